/**
 * List envelopes, normalised: the real server's `{total, per_page, total_pages, next, results}` and
 * stock DRF's `{count, next, results}`. `total_pages` is ignored on purpose: the server computes it
 * as `round(total / 50, 1)` (65 -> 1.3, 1 -> 0.0), a float and not a page count.
 */
import { ServerError } from '../errors.js';
import type { Page } from './types.js';

/** Builds a `Page` from a parsed list body; a body without a `results` array is a ServerError. */
export function parsePage<T>(json: unknown, url: string, bytes: number, retries: number): Page<T> {
  if (!json || typeof json !== 'object' || !Array.isArray((json as { results?: unknown }).results)) {
    throw new ServerError('E_BAD_RESPONSE', `expected a list envelope with "results" from ${url}`, { url });
  }
  const body = json as Record<string, unknown>;
  const total = isCount(body.total) ? body.total : isCount(body.count) ? body.count : null;
  const perPage = isCount(body.per_page) && body.per_page > 0 ? body.per_page : null;
  const next = typeof body.next === 'string' && body.next !== '' ? body.next : null;
  return { records: body.results as T[], total, perPage, next, bytes, retries, url };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/**
 * Page size to compute page numbers with: `per_page` when sent, else the length of a page 1 that is
 * not the last one. Null when it cannot be known (then `next` is followed).
 */
export function pageSizeOf(first: Page<unknown>): number | null {
  if (first.perPage) return first.perPage;
  if (first.total !== null && first.records.length > 0 && first.records.length < first.total)
    return first.records.length;
  return null;
}

/** Number of pages for `total` records: ceil(total / perPage), and at least 1 (an empty list has page 1). */
export function pageCount(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / perPage));
}

/**
 * Path and query a `next` link points to, to be requested from our own origin. Relative links (the
 * real server) and absolute ones (stock DRF, maybe naming an internal host behind a proxy) both work,
 * and the token never goes to a host other than the configured one. A link that lost the base URL's
 * path prefix (a proxy the server does not know about) is re-rooted at `/api/`.
 */
export function nextPath(next: string, baseUrl: string): string {
  const url = new URL(next, baseUrl);
  const prefix = new URL(baseUrl).pathname.replace(/\/+$/, '');
  let path = url.pathname;
  if (!path.startsWith(prefix + '/api/')) {
    const at = path.indexOf('/api/');
    if (at >= 0) path = prefix + path.slice(at);
  }
  return path + url.search;
}
