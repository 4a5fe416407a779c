/**
 * DRF TokenAuthentication, message for message: `Authorization: Token <key>`; any other scheme
 * (e.g. Bearer) counts as no credentials; two users, an admin and a plain user.
 */
import { timingSafeEqual } from 'node:crypto';
import { NOT_PROVIDED } from './http.js';

/** Who made a request. */
export type User = 'admin' | 'user';

/** The two tokens the server accepts. */
export interface Tokens {
  admin: string;
  user: string;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Authenticates an `Authorization` header value: the user, or the 401 `detail` message. */
export function authenticate(header: string | undefined, tokens: Tokens): { user: User } | { error: string } {
  const parts = (header ?? '').split(/\s+/).filter(Boolean);
  if (parts.length === 0 || parts[0].toLowerCase() !== 'token') return { error: NOT_PROVIDED };
  if (parts.length === 1) return { error: 'Invalid token header. No credentials provided.' };
  if (parts.length > 2) return { error: 'Invalid token header. Token string should not contain spaces.' };
  if (sameToken(parts[1], tokens.admin)) return { user: 'admin' };
  if (sameToken(parts[1], tokens.user)) return { user: 'user' };
  return { error: 'Invalid token.' };
}
