/**
 * Where DIALS credentials come from, as one small interface (`headers()` per request attempt): a
 * Bearer access token given by the user, a client secret (`X-CLIENT-SECRET`, exchanged by the server
 * on every request), or the tokens `dqm-export login dials` stored, refreshed during the last 10 % of
 * the access token's life, before it expires (the server keeps accepting expired tokens, so a 403
 * cannot be the signal). Newer cmsdials take tokens from Keycloak directly: another implementation.
 */
import { ConfigError } from '../../errors.js';
import { registerSecret } from '../../secrets.js';
import { readTokens, writeTokens, type StoredTokens } from './token-store.js';

/** Headers that authenticate one request. */
export interface Credentials {
  /** How the credentials were found (no secret in it), for messages. */
  readonly describe: string;
  headers(): Promise<Record<string, string>>;
}

/** A fixed access token. */
export function bearerCredentials(token: string, describe: string): Credentials {
  registerSecret(token);
  return { describe, headers: async () => ({ authorization: `Bearer ${token}` }) };
}

/** A client secret, where the deployment accepts it. */
export function clientSecretCredentials(secret: string, describe: string): Credentials {
  registerSecret(secret);
  return { describe, headers: async () => ({ 'x-client-secret': secret }) };
}

/** Renews tokens with a refresh token (POST auth/refresh-token/). */
export type RefreshTokens = (refreshToken: string) => Promise<StoredTokens>;

/** The fraction of an access token's life after which it is refreshed (dials-py refreshes in the last 10 %). */
export const REFRESH_AT = 0.9;

/** True when `tokens` should be refreshed at `now` (ms). */
export function needsRefresh(tokens: StoredTokens, now: number): boolean {
  const life = tokens.expires_at - tokens.issued_at;
  return now >= tokens.issued_at + REFRESH_AT * life;
}

/**
 * The tokens of `dqm-export login dials` for `baseUrl`, refreshed (and stored again) when they enter
 * the last 10 % of their life. Concurrent requests share one refresh.
 */
export function storedCredentials(
  file: string,
  baseUrl: string,
  refresh: RefreshTokens,
  now: () => number = Date.now,
): Credentials {
  let tokens = readTokens(file, baseUrl);
  if (!tokens)
    throw new ConfigError(
      'E_DIALS_NOT_LOGGED_IN',
      `no DIALS credentials for ${baseUrl}: run \`dqm-export login dials --url ${baseUrl}\`, or set DIALS_TOKEN`,
      { url: baseUrl },
    );
  registerSecret(tokens.access_token);
  registerSecret(tokens.refresh_token);
  let pending: Promise<StoredTokens> | null = null;
  return {
    describe: `login file ${file}`,
    async headers() {
      if (needsRefresh(tokens!, now())) {
        if (now() >= tokens!.refresh_expires_at) {
          throw new ConfigError(
            'E_DIALS_LOGIN_EXPIRED',
            `the stored DIALS login for ${baseUrl} has expired: run \`dqm-export login dials --url ${baseUrl}\` again`,
            { url: baseUrl },
          );
        }
        pending ??= refresh(tokens!.refresh_token)
          .then(async (fresh) => {
            registerSecret(fresh.access_token);
            registerSecret(fresh.refresh_token);
            await writeTokens(file, baseUrl, fresh);
            tokens = fresh;
            return fresh;
          })
          .finally(() => (pending = null));
        await pending;
      }
      return { authorization: `Bearer ${tokens!.access_token}` };
    },
  };
}
