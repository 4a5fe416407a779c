/**
 * Replies as plain data, and the canned ones of the real server (Django/DRF headers, HTML error
 * pages). A handler returns a Reply; server.ts sends it, possibly through a fault.
 */

/** A complete HTTP response, built before anything is written. */
export interface Reply {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Methods allowed per route kind, as the real server's `Allow` header lists them. */
export const ALLOW = {
  root: 'GET, HEAD, OPTIONS',
  list: 'GET, POST, HEAD, OPTIONS',
  detail: 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS',
  discover: 'GET, HEAD, OPTIONS',
  startParsing: 'POST, OPTIONS',
} as const;

const SECURITY_HEADERS: Array<[string, string]> = [
  ['X-Frame-Options', 'DENY'],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'same-origin'],
];

const EMPTY = Buffer.alloc(0);

/** A DRF JSON response; `body` is JSON text (or bytes) already rendered the Python way. */
export function jsonReply(
  status: number,
  body: string | Buffer,
  allow: string,
  extra: Array<[string, string]> = [],
): Reply {
  return {
    status,
    headers: [
      ['Content-Type', 'application/json'],
      ...extra,
      ['Vary', 'Accept'],
      ['Allow', allow],
      ...SECURITY_HEADERS,
    ],
    body: typeof body === 'string' ? Buffer.from(body) : body,
  };
}

/** `{"detail": message}` with a status. */
export function detailReply(status: number, message: string, allow: string): Reply {
  return jsonReply(status, JSON.stringify({ detail: message }), allow);
}

/** A DRF response without a body (202 start_parsing/discover, 204 delete). */
export function emptyReply(status: number, allow: string): Reply {
  return { status, headers: [['Vary', 'Accept'], ['Allow', allow], ...SECURITY_HEADERS], body: EMPTY };
}

/** 401 as DRF's TokenAuthentication answers it (`Vary: Accept, Cookie` when no credentials came). */
export function unauthorizedReply(message: string, allow: string): Reply {
  const vary = message === NOT_PROVIDED ? 'Accept, Cookie' : 'Accept';
  return {
    status: 401,
    headers: [
      ['Content-Type', 'application/json'],
      ['WWW-Authenticate', 'Token'],
      ['Vary', vary],
      ['Allow', allow],
      ...SECURITY_HEADERS,
    ],
    body: Buffer.from(JSON.stringify({ detail: message })),
  };
}

/** DRF's message when no `Authorization: Token` header came. */
export const NOT_PROVIDED = 'Authentication credentials were not provided.';

/** `Method "X" not allowed.` */
export function methodNotAllowed(method: string, allow: string): Reply {
  return detailReply(405, `Method "${method}" not allowed.`, allow);
}

/** Django's 404 page for a URL no route matches. */
export function htmlNotFound(): Reply {
  const body =
    '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n' +
    '  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n';
  return { status: 404, headers: [['Content-Type', 'text/html'], ...SECURITY_HEADERS], body: Buffer.from(body) };
}

/** Django's 500 page (what a bad value inside an `__in` filter produces on the real server). */
export function htmlServerError(): Reply {
  const body =
    '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n' +
    '  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n';
  return { status: 500, headers: [['Content-Type', 'text/html'], ...SECURITY_HEADERS], body: Buffer.from(body) };
}

/** Django's APPEND_SLASH redirect. */
export function redirectReply(location: string): Reply {
  return {
    status: 301,
    headers: [['Content-Type', 'text/html; charset=utf-8'], ['Location', location], ...SECURITY_HEADERS],
    body: EMPTY,
  };
}
