/**
 * Pagination as small strategies behind one interface: where the first page is, which query selects a
 * page, and where the next one is after a page. Page numbers (DQM Playground: `?page=N`, pages can be
 * fetched in any order once the total is known) and cursors (DIALS: `?next_token=...`, strictly one
 * page after another). The HTTP itself stays in the transport.
 */
import { ServerError } from '../errors.js';

/** What a strategy reads from a received page. */
export interface PageLinks {
  /** The `next` link as sent (relative or absolute), null on the last page. */
  next: string | null;
  /** Token-free URL of the page (for errors). */
  url: string;
}

/** A way to walk a list page by page. `P` is a position: a page number, or a cursor token. */
export interface Pagination<P> {
  readonly name: 'page-number' | 'cursor';
  /** Query parameters selecting the page at `position` (null: the first page). */
  params(position: P | null): Record<string, string>;
  /** Position of the page after `page` (which was at `position`), or null at the end. */
  after(page: PageLinks, position: P | null): P | null;
}

/** `?page=N` from 1; the next page exists while the server sends a `next` link. */
export const pageNumberPagination: Pagination<number> = {
  name: 'page-number',
  params: (page): Record<string, string> => (page !== null && page > 1 ? { page: String(page) } : {}),
  after: (page, position) => (page.next ? (position ?? 1) + 1 : null),
};

/**
 * `?next_token=...`: the token is read out of the `next` link, and only the token: DIALS builds `next`
 * as an absolute URL from the request's Host header, so its host and scheme may not be this client's.
 */
export const cursorPagination: Pagination<string> = {
  name: 'cursor',
  params: (token): Record<string, string> => (token !== null ? { next_token: token } : {}),
  after: (page) => {
    if (page.next === null) return null;
    let token: string | null;
    try {
      token = new URL(page.next, 'http://relative.invalid').searchParams.get('next_token');
    } catch {
      token = null;
    }
    if (!token)
      throw new ServerError('E_DIALS_BAD_NEXT', `next link without a next_token in the page from ${page.url}`, {
        url: page.url,
      });
    return token;
  },
};
