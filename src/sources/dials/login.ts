/**
 * The DIALS device flow for people (`dqm-export login dials`) and token refresh: `GET auth/new-device/`
 * gives a verification URL to open; `POST auth/device-token/` answers 400 `authorization_pending` until
 * the user approves, then the tokens; `POST auth/refresh-token/` renews them. Polling follows the
 * server's interval (5 s like dials-py when it names none) and backs off on `slow_down`.
 */
import type { CodeOf } from '../../error-codes.js';
import { AuthError, ServerError } from '../../errors.js';
import type { Resolution, ResponseFacts } from '../../extract/http/response.js';
import { sleep } from '../../extract/http/backoff.js';
import { registerSecret } from '../../secrets.js';
import type { DialsClient } from './client.js';
import type { StoredTokens } from './token-store.js';

/** What the user must do to approve the login. */
export interface DevicePrompt {
  /** URL to open (it carries the user code). */
  verificationUrl: string;
  /** Seconds the device code stays valid. */
  expiresIn: number;
}

/** Options of `deviceLogin`. */
export interface DeviceLoginOptions {
  /** Shows the verification URL to the user. */
  onPrompt: (prompt: DevicePrompt) => void;
  /** Poll interval when the server names none. Default 5 000 ms. */
  pollMs?: number;
  now?: () => number;
  signal?: AbortSignal;
}

/** Tokens from a token response, times made absolute. */
export function tokensFromResponse(body: unknown, now: number, url: string): StoredTokens {
  const b = body as Record<string, unknown> | null;
  const access = b?.access_token;
  const refresh = b?.refresh_token;
  const expiresIn = Number(b?.expires_in);
  const refreshExpiresIn = Number(b?.refresh_expires_in ?? 0);
  if (typeof access !== 'string' || !access || typeof refresh !== 'string' || !refresh || !(expiresIn > 0)) {
    throw new ServerError('E_DIALS_TOKEN_RESPONSE', `expected {access_token, refresh_token, expires_in} from ${url}`, {
      url,
    });
  }
  registerSecret(access);
  registerSecret(refresh);
  return {
    access_token: access,
    refresh_token: refresh,
    issued_at: now,
    expires_at: now + expiresIn * 1000,
    // 0 means "no expiry announced": keep it usable for a day, then ask for a new login.
    refresh_expires_at: now + (refreshExpiresIn > 0 ? refreshExpiresIn : 86_400) * 1000,
  };
}

/** Reads the 400 answers of the polling endpoint as data instead of errors. */
function pollInterpret(facts: ResponseFacts): Resolution | undefined {
  if (facts.status !== 400) return undefined;
  const state = /authorization_pending/.test(facts.body)
    ? 'pending'
    : /slow_down/.test(facts.body)
      ? 'slow_down'
      : /expired_token/.test(facts.body)
        ? 'expired'
        : /access_denied/.test(facts.body)
          ? 'denied'
          : null;
  if (!state) return undefined;
  return {
    action: 'fail',
    error: new AuthError(`E_DIALS_DEVICE_${state.toUpperCase()}` as CodeOf<'auth'>, `device login ${state}`, {
      url: facts.url,
      status: 400,
      deviceState: state,
    }),
  };
}

/** Runs the device flow; resolves to the tokens once the user approved. */
export async function deviceLogin(client: DialsClient, o: DeviceLoginOptions): Promise<StoredTokens> {
  const now = o.now ?? Date.now;
  const device = (await client.call('GET', 'auth/new-device/', undefined, { signal: o.signal })) as Record<
    string,
    unknown
  > | null;
  const code = device?.device_code;
  const url = device?.verification_uri_complete ?? device?.verification_uri;
  if (typeof code !== 'string' || typeof url !== 'string') {
    throw new ServerError(
      'E_DIALS_TOKEN_RESPONSE',
      `expected {device_code, verification_uri_complete} from ${client.baseUrl}/api/v1/auth/new-device/`,
    );
  }
  registerSecret(code);
  const expiresIn = Number(device?.expires_in) > 0 ? Number(device?.expires_in) : 600;
  o.onPrompt({ verificationUrl: url, expiresIn });
  let interval = Number(device?.interval) > 0 ? Number(device?.interval) * 1000 : (o.pollMs ?? 5_000);
  const deadline = now() + expiresIn * 1000;
  for (;;) {
    await sleep(interval, o.signal);
    try {
      const body = await client.call(
        'POST',
        'auth/device-token/',
        { device_code: code },
        { signal: o.signal, interpret: pollInterpret },
      );
      return tokensFromResponse(body, now(), `${client.baseUrl}/api/v1/auth/device-token/`);
    } catch (err) {
      const state = (err as { context?: { deviceState?: string } }).context?.deviceState;
      if (state === 'slow_down') interval += 5_000;
      else if (state !== 'pending') {
        if (state === 'denied')
          throw new AuthError('E_DIALS_LOGIN_DENIED', 'the DIALS login was refused in the browser');
        if (state === 'expired')
          throw new AuthError(
            'E_DIALS_LOGIN_TIMEOUT',
            'the DIALS login code expired before it was approved: run login again',
          );
        throw err;
      }
    }
    if (now() > deadline)
      throw new AuthError(
        'E_DIALS_LOGIN_TIMEOUT',
        `the DIALS login was not approved within ${expiresIn} s: run login again`,
      );
  }
}

/** Renews tokens with a refresh token. */
export async function refreshTokens(
  client: DialsClient,
  refreshToken: string,
  now: () => number = Date.now,
): Promise<StoredTokens> {
  const body = await client.call('POST', 'auth/refresh-token/', { refresh_token: refreshToken });
  return tokensFromResponse(body, now(), `${client.baseUrl}/api/v1/auth/refresh-token/`);
}
