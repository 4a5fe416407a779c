/**
 * DIALS authentication as the real backend answers: `X-CLIENT-SECRET` checked first (a wrong one
 * fails even beside a valid Bearer token), then `Authorization: Bearer <token>`. Every failure is a
 * 403 `{detail, code}`, never 401; a header that is not exactly `Bearer ...` (`Token x`,
 * lowercase `bearer`) crashes the real backend, so it is a 500 page here too. Tokens are opaque:
 * the configured ones never expire; device-flow ones carry an expiry that, like the real
 * backend's locked libraries, is not checked unless `rejectExpired` is set.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { registerSecret } from '../../secrets.js';
import type { Reply } from '../http.js';
import { dialsForbidden, dialsHtmlServerError } from './http.js';

/** Lifetimes and checks of issued tokens. */
export interface TokenPolicy {
  /** Access token lifetime, seconds. */
  accessTtlSeconds: number;
  /** Refresh token lifetime, seconds. */
  refreshTtlSeconds: number;
  /** Answer 403 `token_not_valid` to an expired access token (the real server accepts it). */
  rejectExpired: boolean;
}

/** A token pair as the device-token and refresh-token endpoints return it. */
export interface IssuedTokens {
  access_token: string;
  expires_in: number;
  refresh_expires_in: number;
  refresh_token: string;
  token_type: 'Bearer';
  session_state: string;
  scope: string;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Accepted access tokens and refresh tokens, with their expiry (ms since the epoch; Infinity: never). */
export class TokenStore {
  private readonly access = new Map<string, number>();
  private readonly refresh = new Map<string, { expires: number; session: string }>();

  constructor(
    readonly policy: TokenPolicy,
    staticTokens: readonly string[],
    private readonly clock: () => number = Date.now,
  ) {
    for (const t of staticTokens) this.access.set(t, Infinity);
  }

  /** Issues a new pair (device approved, or refresh); both are registered as secrets. */
  issue(session = randomBytes(16).toString('hex')): IssuedTokens {
    const now = this.clock();
    const access = `dials_at_${randomBytes(20).toString('hex')}`;
    const refresh = `dials_rt_${randomBytes(20).toString('hex')}`;
    registerSecret(access);
    registerSecret(refresh);
    this.access.set(access, now + this.policy.accessTtlSeconds * 1000);
    this.refresh.set(refresh, { expires: now + this.policy.refreshTtlSeconds * 1000, session });
    const s = session.padEnd(32, '0');
    return {
      access_token: access,
      expires_in: this.policy.accessTtlSeconds,
      refresh_expires_in: this.policy.refreshTtlSeconds,
      refresh_token: refresh,
      token_type: 'Bearer',
      session_state: `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`,
      scope: 'openid profile email',
    };
  }

  /** Exchanges a refresh token (single use) for a new pair; undefined if unknown or expired. */
  refreshWith(token: string): IssuedTokens | undefined {
    const entry = this.refresh.get(token);
    if (!entry) return undefined;
    this.refresh.delete(token);
    if (entry.expires <= this.clock()) return undefined;
    return this.issue(entry.session);
  }

  /** 'ok', 'expired' or 'unknown'. */
  check(token: string): 'ok' | 'expired' | 'unknown' {
    const expires = this.access.get(token);
    if (expires === undefined) return 'unknown';
    return expires <= this.clock() ? 'expired' : 'ok';
  }
}

/** How a request authenticated. */
export type AuthOutcome = { via: 'secret' | 'bearer' } | { reply: Reply };

/** Authenticates a request's headers. */
export function authenticateDials(
  headers: Record<string, string | string[] | undefined>,
  store: TokenStore,
  clientSecret: string,
): AuthOutcome {
  const secret = headers['x-client-secret'];
  if (typeof secret === 'string') {
    return same(secret, clientSecret)
      ? { via: 'secret' }
      : { reply: dialsForbidden('Token is invalid or expired', 'token_not_valid') };
  }
  const header = headers.authorization;
  if (typeof header !== 'string' || header === '')
    return { reply: dialsForbidden('Authorization header not found.', 'authorization_not_found') };
  if (!header.startsWith('Bearer')) return { reply: dialsHtmlServerError() };
  const token = header.slice('Bearer'.length).trim();
  const state = token === '' ? 'unknown' : store.check(token);
  if (state === 'unknown' || (state === 'expired' && store.policy.rejectExpired)) {
    return { reply: dialsForbidden('Token is invalid or expired', 'token_not_valid') };
  }
  return { via: 'bearer' };
}
