/**
 * DIALS' replies as the real deployment sends them (Django + DRF behind gunicorn): JSON with the
 * `Vary`/`Allow` pair DRF adds, the cache headers of cached views, Django's HTML error pages, the
 * APPEND_SLASH redirect, and the gateway's timeout page.
 */
import type { Reply } from '../http.js';

/** `Allow` of every GET route. */
export const ALLOW_GET = 'GET, HEAD, OPTIONS';
/** `Allow` of the device-flow POST routes. */
export const ALLOW_POST = 'POST, OPTIONS';

const SECURITY: Array<[string, string]> = [
  ['X-Frame-Options', 'DENY'],
  ['X-Content-Type-Options', 'nosniff'],
  ['Referrer-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
];

/** Seconds a list or detail response may be cached (settings.CACHE_TTL). */
export const CACHE_TTL_SECONDS = 30;

/** How a JSON reply varies: cached views add `workspace` (and `Authorization` when one came). */
export interface JsonReplyOptions {
  allow?: string;
  /** A cached view (list, detail): `Vary: workspace, ...`, `Expires`, `Cache-Control`. */
  cached?: boolean;
  /** The request bore an `Authorization` header (Django adds it to `Vary` of cached views). */
  authorization?: boolean;
}

/** A DRF JSON reply. */
export function dialsJson(status: number, body: string | Buffer | Buffer[], options: JsonReplyOptions = {}): Reply {
  const vary = options.cached
    ? `workspace, Accept, ${options.authorization ? 'Authorization, ' : ''}origin`
    : 'Accept, origin';
  const headers: Array<[string, string]> = [
    ['Content-Type', 'application/json'],
    ['Vary', vary],
    ['Allow', options.allow ?? ALLOW_GET],
  ];
  if (options.cached) {
    headers.push(
      ['Expires', new Date(Date.now() + CACHE_TTL_SECONDS * 1000).toUTCString()],
      ['Cache-Control', `max-age=${CACHE_TTL_SECONDS}`],
    );
  }
  const bytes = Array.isArray(body) ? Buffer.concat(body) : typeof body === 'string' ? Buffer.from(body) : body;
  return { status, headers: [...headers, ...SECURITY], body: bytes };
}

/** `{"detail": message}` (404 not found, 405, ...). */
export function dialsDetail(status: number, message: string, allow?: string): Reply {
  return dialsJson(status, JSON.stringify({ detail: message }), { allow });
}

/** 403 with DIALS' `{detail, code}`. */
export function dialsForbidden(detail: string, code: string): Reply {
  return dialsJson(403, JSON.stringify({ detail, code }));
}

function htmlPage(status: number, title: string, text: string): Reply {
  const body =
    `\n<!doctype html>\n<html lang="en">\n<head>\n  <title>${title}</title>\n</head>\n<body>\n  <h1>${title}</h1><p>${text}</p>\n</body>\n</html>\n` +
    '<!-- dqm-export -->';
  return {
    status,
    headers: [['Content-Type', 'text/html; charset=utf-8'], ['Vary', 'origin'], ...SECURITY],
    body: Buffer.from(body),
  };
}

/** Django's 404 page (unknown route, non-numeric id in a detail path). */
export function dialsHtmlNotFound(): Reply {
  return htmlPage(404, 'Not Found', 'The requested resource was not found on this server.');
}

/** Django's 500 page (invalid regex, unknown `order_by`, malformed `Authorization`, ...). */
export function dialsHtmlServerError(): Reply {
  return htmlPage(500, 'Server Error (500)', '');
}

/** Django's HttpResponseBadRequest with a text message (device flow without its attribute). */
export function dialsBadRequestText(message: string): Reply {
  return {
    status: 400,
    headers: [['Content-Type', 'text/html; charset=utf-8'], ['Vary', 'origin'], ...SECURITY],
    body: Buffer.from(message),
  };
}

/** APPEND_SLASH's 301 with a relative `Location`. */
export function dialsRedirect(location: string): Reply {
  return {
    status: 301,
    headers: [['Content-Type', 'text/html; charset=utf-8'], ['Location', location], ['Vary', 'origin'], ...SECURITY],
    body: Buffer.alloc(0),
  };
}

/**
 * The gateway's answer when the backend's worker was killed by its own timeout before answering
 * (HAProxy's 502 page): what a big page gets when the backend gives up first.
 */
export function gatewayBadGateway(): Reply {
  const body =
    '<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n';
  return {
    status: 502,
    headers: [
      ['Content-Type', 'text/html'],
      ['Cache-Control', 'no-cache'],
    ],
    body: Buffer.from(body),
  };
}

/** The gateway's answer when the backend took longer than its timeout (OpenShift router page). */
export function gatewayTimeout(): Reply {
  const body = "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n";
  return {
    status: 504,
    headers: [
      ['Content-Type', 'text/html'],
      ['Cache-Control', 'no-cache'],
    ],
    body: Buffer.from(body),
  };
}
