/**
 * DRF PageNumberPagination as the real server configures it: `?page=N` or `?page=last`, a 404
 * "Invalid page." outside the range, `next`/`previous` as relative paths whose query string is
 * rebuilt the way DRF does (parse_qs, replace or drop `page`, sort by key, urlencode), and the
 * `{next, previous, total, per_page, total_pages, results}` envelope (or stock DRF's `count`).
 */
import type { Listing } from '../tables/model.js';
import { pyRoundOneDecimal } from '../tables/pyjson.js';

/** Envelope flavour: the real server's (`total`, `per_page`, `total_pages`) or stock DRF's (`count`). */
export type EnvelopeKind = 'total' | 'count';

/** How pages are cut and rendered. */
export interface PageOptions {
  /** Records per page (the real server: 50). */
  perPage: number;
  envelope: EnvelopeKind;
  /** Maps a position in the page sequence to a position in the listing (for `--shuffle`). */
  order?: (k: number) => number;
}

/** Python's `urllib.parse.quote_plus(s, safe='')`. */
export function quotePlus(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

/**
 * DRF's `replace_query_param` / `remove_query_param`: groups values by key (parse_qs), sets or
 * drops `key`, and re-encodes sorted by key with each key's values in their original order.
 */
export function rebuildQuery(params: ReadonlyArray<[string, string]>, key: string, value: string | undefined): string {
  const grouped = new Map<string, string[]>();
  for (const [k, v] of params) {
    const list = grouped.get(k);
    if (list) list.push(v);
    else grouped.set(k, [v]);
  }
  if (value === undefined) grouped.delete(key);
  else grouped.set(key, [value]);
  return [...grouped.keys()]
    .sort()
    .flatMap((k) => grouped.get(k)!.map((v) => `${quotePlus(k)}=${quotePlus(v)}`))
    .join('&');
}

/** Django's `Paginator.num_pages` (an empty list still has page 1). */
export function numPages(total: number, perPage: number): number {
  return Math.max(1, Math.ceil(total / perPage));
}

/**
 * The page number asked for, as DRF and Django validate it (`last`, Python `int()` syntax), or
 * undefined for "Invalid page.".
 */
export function resolvePage(value: string | undefined, total: number, perPage: number): number | undefined {
  const pages = numPages(total, perPage);
  if (value === undefined) return 1;
  if (value === 'last') return pages;
  if (!/^\s*[+-]?\d+(?:_\d+)*\s*$/.test(value)) return undefined;
  const page = Number(value.replace(/[\s_]/g, ''));
  return page >= 1 && page <= pages ? page : undefined;
}

/**
 * Renders one page of `listing` as JSON bytes, or undefined if the `page` parameter is invalid.
 * `params` are the request's decoded query pairs in order; `path` its path.
 */
export function renderPage(
  listing: Listing,
  path: string,
  params: ReadonlyArray<[string, string]>,
  options: PageOptions,
): Buffer | undefined {
  const pageValues = params.filter(([k]) => k === 'page');
  // QueryDict.get returns the last value of a repeated key.
  const page = resolvePage(pageValues.at(-1)?.[1], listing.total, options.perPage);
  if (page === undefined) return undefined;
  const pages = numPages(listing.total, options.perPage);
  const link = (query: string): string => JSON.stringify(query ? `${path}?${query}` : path);
  const next = page < pages ? link(rebuildQuery(params, 'page', String(page + 1))) : 'null';
  const previous = page > 1 ? link(rebuildQuery(params, 'page', page === 2 ? undefined : String(page - 1))) : 'null';
  const head =
    options.envelope === 'count'
      ? `{"count":${listing.total},"next":${next},"previous":${previous},"results":[`
      : `{"next":${next},"previous":${previous},"total":${listing.total},"per_page":${options.perPage},` +
        `"total_pages":${pyRoundOneDecimal(listing.total, options.perPage)},"results":[`;
  const parts: Buffer[] = [Buffer.from(head)];
  const start = (page - 1) * options.perPage;
  const end = Math.min(listing.total, start + options.perPage);
  const order = options.order ?? ((k: number) => k);
  for (let k = start; k < end; k++) {
    if (k > start) parts.push(COMMA);
    listing.append(order(k), parts);
  }
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');
