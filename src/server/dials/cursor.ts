/**
 * DIALS' cursor pagination: DRF's CursorPagination with DIALS' multi-field position patch
 * (`DynamicMultiOrderingCursorPagination`), step for step, so links, offsets and edge cases are the
 * real ones. A cursor is `o` (offset, when non-zero), `r=1` (reverse) and `p` (JSON list of the
 * boundary row's ordering values as strings), url-encoded then base64'd into `next_token`.
 */
import { quotePlus } from '../pagination.js';
import { pyFloat } from '../../tables/pyjson.js';

/** One `order_by` term. */
export interface OrderTerm {
  field: string;
  desc: boolean;
}

/** A decoded cursor; `position` is the JSON text of `p` as received or built. */
export interface Cursor {
  offset: number;
  reverse: boolean;
  position: string | null;
}

/** How a field's values compare and print (`int` and `float` columns, text columns). */
export type FieldKind = 'int' | 'float' | 'str';

/** What pagination needs to know of a record type. */
export interface Orderable<T> {
  kind(field: string): FieldKind | undefined;
  value(record: T, field: string): number | string | null;
}

/** A page and the cursors of its links (null: no link). */
export interface CursorPage<T> {
  page: T[];
  next: Cursor | null;
  previous: Cursor | null;
}

/** Thrown where the real server fails with a 500 (an unusable position in a cursor). */
export class CursorFault extends Error {}

/** DRF's offset_cutoff. */
const OFFSET_CUTOFF = 1000;

/** Python `int(text)` for decimal strings; undefined where Python raises ValueError. */
export function pyInt(text: string): number | undefined {
  const t = text.trim();
  if (!/^[+-]?\d+(?:_\d+)*$/.test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

/** Python's `b64decode(s)` (non-validating: other characters dropped, padding required), or undefined. */
function pyB64decode(s: string): Buffer | undefined {
  if (!/^\p{ASCII}*$/u.test(s)) return undefined;
  const clean = s.replace(/[^A-Za-z0-9+/=]/g, '');
  const data = clean.replace(/=.*$/s, '');
  const pad = clean.length - data.length;
  const rest = data.length % 4;
  if (rest === 1 || (rest === 2 && pad < 2) || (rest === 3 && pad < 1)) return undefined;
  return Buffer.from(data, 'base64');
}

/** Decodes `next_token` as DRF does; undefined means 404 "Invalid cursor". */
export function decodeCursor(token: string): Cursor | undefined {
  const bytes = pyB64decode(token);
  if (!bytes || bytes.some((b) => b > 0x7f)) return undefined;
  const tokens = new URLSearchParams(bytes.toString('latin1'));
  const offset = pyInt(tokens.get('o') ?? '0');
  if (offset === undefined || offset < 0) return undefined;
  const reverse = pyInt(tokens.get('r') ?? '0');
  if (reverse === undefined) return undefined;
  return { offset: Math.min(offset, OFFSET_CUTOFF), reverse: reverse !== 0, position: tokens.get('p') };
}

/** Encodes a cursor into the `next_token` value. */
export function encodeCursor(c: Cursor): string {
  const parts: string[] = [];
  if (c.offset !== 0) parts.push(`o=${c.offset}`);
  if (c.reverse) parts.push('r=1');
  if (c.position !== null) parts.push(`p=${quotePlus(c.position)}`);
  return Buffer.from(parts.join('&'), 'latin1').toString('base64');
}

/** Python `json.dumps` of a list of strings (ensure_ascii). */
function pyJsonStrings(values: string[]): string {
  const quoted = values.map((v) =>
    JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')),
  );
  return '[' + quoted.join(', ') + ']';
}

/** Python `str()` of a value. */
function pyStr(v: number | string | null, kind: FieldKind): string {
  if (v === null) return 'None';
  if (typeof v === 'string') return v;
  return kind === 'float' ? pyFloat(v) : String(v);
}

function compareValues(a: number | string | null, b: number | string | null): number {
  // PostgreSQL: NULLS LAST ascending.
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A position value converted to the column's type, as Django's get_prep_value does (else a 500). */
function prepValue(text: unknown, kind: FieldKind): number | string {
  if (kind === 'str') return String(text);
  const s = String(text);
  const n = kind === 'int' ? pyInt(s) : /^\s*[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?\s*$/i.test(s) ? Number(s) : undefined;
  if (n === undefined) throw new CursorFault(`expected a number, got ${s}`);
  return n;
}

/** The parsed `p` of a cursor, as column values; throws CursorFault where the real server fails. */
function positionValues(position: string, ordering: OrderTerm[], kinds: FieldKind[]): Array<number | string> {
  let values: unknown;
  try {
    values = JSON.parse(position);
  } catch {
    throw new CursorFault('the cursor position is not JSON');
  }
  if (!Array.isArray(values) || values.length < ordering.length)
    throw new CursorFault('the cursor position is too short');
  return ordering.map((t, i) => prepValue(values[i], kinds[i]));
}

/** Compares a record with position values under `ordering` (ascending/descending per term). */
function compareToPosition<T>(r: T, at: Array<number | string>, ordering: OrderTerm[], o: Orderable<T>): number {
  for (let i = 0; i < ordering.length; i++) {
    const c = compareValues(o.value(r, ordering[i].field), at[i]);
    if (c !== 0) return ordering[i].desc ? -c : c;
  }
  return 0;
}

/** DIALS' position filter: rows strictly after the position (before it for a reverse cursor). */
function afterPosition<T>(
  ordering: OrderTerm[],
  kinds: FieldKind[],
  position: string,
  reverse: boolean,
  o: Orderable<T>,
): (r: T) => boolean {
  const at = positionValues(position, ordering, kinds);
  return (r) => {
    const c = compareToPosition(r, at, ordering, o);
    return reverse ? c < 0 : c > 0;
  };
}

/**
 * The page window of rows already sorted by `ordering` (the default, natural-key order): binary
 * search for the position instead of filtering and sorting every row, so a page of a large table
 * costs O(log n + page).
 */
function presortedWindow<T>(
  rows: readonly T[],
  ordering: OrderTerm[],
  position: string | null,
  reverse: boolean,
  offset: number,
  pageSize: number,
  o: Orderable<T>,
): T[] {
  const kinds = ordering.map((t) => o.kind(t.field)!);
  const at = position === null ? undefined : positionValues(position, ordering, kinds);
  // First index whose row is > position (forward) or >= position (reverse: rows before it qualify).
  const bound = (strict: boolean): number => {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareToPosition(rows[mid], at!, ordering, o);
      if (c < 0 || (strict && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  if (!reverse) {
    const start = (at ? bound(true) : 0) + offset;
    return rows.slice(start, start + pageSize + 1);
  }
  const end = (at ? bound(false) : rows.length) - offset;
  return rows.slice(Math.max(0, end - pageSize - 1), Math.max(0, end)).reverse();
}

/**
 * Runs CursorPagination over `rows` (filtered): the page and its link cursors. `presorted`: the
 * rows are already in `ordering` (ascending natural key), which skips the sort.
 */
export function paginate<T>(
  rows: readonly T[],
  ordering: OrderTerm[],
  cursor: Cursor | undefined,
  pageSize: number,
  o: Orderable<T>,
  presorted = false,
): CursorPage<T> {
  const { offset, reverse, position } = cursor ?? { offset: 0, reverse: false, position: null };
  const terms = reverse ? ordering.map((t) => ({ field: t.field, desc: !t.desc })) : ordering;
  const kinds = ordering.map((t) => o.kind(t.field)!);
  const positionOf = (r: T): string => pyJsonStrings(ordering.map((t, i) => pyStr(o.value(r, t.field), kinds[i])));
  let results: T[];
  if (presorted) {
    results = presortedWindow(rows, ordering, position, reverse, offset, pageSize, o);
  } else {
    const list = position === null ? rows.slice() : rows.filter(afterPosition(ordering, kinds, position, reverse, o));
    list.sort((a, b) => {
      for (const t of terms) {
        const c = compareValues(o.value(a, t.field), o.value(b, t.field));
        if (c !== 0) return t.desc ? -c : c;
      }
      return 0;
    });
    results = list.slice(offset, offset + pageSize + 1);
  }
  const page = results.slice(0, pageSize);
  const hasFollowing = results.length > page.length;
  const following = hasFollowing ? positionOf(results[results.length - 1]) : null;
  let hasNext: boolean, hasPrevious: boolean;
  let nextPosition: string | null = null;
  let previousPosition: string | null = null;
  if (reverse) {
    page.reverse();
    hasNext = position !== null || offset > 0;
    hasPrevious = hasFollowing;
    if (hasNext) nextPosition = position;
    if (hasPrevious) previousPosition = following;
  } else {
    hasNext = hasFollowing;
    hasPrevious = position !== null || offset > 0;
    if (hasNext) nextPosition = following;
    if (hasPrevious) previousPosition = position;
  }
  const state = { page, cursor, hasNext, hasPrevious, nextPosition, previousPosition, pageSize, positionOf };
  return { page, next: hasNext ? nextLink(state) : null, previous: hasPrevious ? previousLink(state) : null };
}

interface LinkState<T> {
  page: T[];
  cursor: Cursor | undefined;
  hasNext: boolean;
  hasPrevious: boolean;
  nextPosition: string | null;
  previousPosition: string | null;
  pageSize: number;
  positionOf(r: T): string;
}

/** DRF `get_next_link`. */
function nextLink<T>(s: LinkState<T>): Cursor {
  let compare =
    s.page.length && s.cursor?.reverse && s.cursor.offset ? s.positionOf(s.page[s.page.length - 1]) : s.nextPosition;
  let offset = 0;
  let position: string | null = null;
  let unique = false;
  for (let i = s.page.length - 1; i >= 0; i--) {
    position = s.positionOf(s.page[i]);
    if (position !== compare) {
      unique = true;
      break;
    }
    compare = position;
    offset++;
  }
  if (s.page.length && !unique) {
    if (!s.hasPrevious) [offset, position] = [s.pageSize, null];
    else if (s.cursor!.reverse) [offset, position] = [0, s.previousPosition];
    else [offset, position] = [s.cursor!.offset + s.pageSize, s.previousPosition];
  }
  if (!s.page.length) position = s.nextPosition;
  return { offset, reverse: false, position };
}

/** DRF `get_previous_link`. */
function previousLink<T>(s: LinkState<T>): Cursor {
  let compare =
    s.page.length && s.cursor && !s.cursor.reverse && s.cursor.offset ? s.positionOf(s.page[0]) : s.previousPosition;
  let offset = 0;
  let position: string | null = null;
  let unique = false;
  for (const item of s.page) {
    position = s.positionOf(item);
    if (position !== compare) {
      unique = true;
      break;
    }
    compare = position;
    offset++;
  }
  if (s.page.length && !unique) {
    if (!s.hasNext) [offset, position] = [s.pageSize, null];
    else if (s.cursor!.reverse) [offset, position] = [s.cursor!.offset + s.pageSize, s.nextPosition];
    else [offset, position] = [0, s.nextPosition];
  }
  if (!s.page.length) position = s.previousPosition;
  return { offset, reverse: true, position };
}
