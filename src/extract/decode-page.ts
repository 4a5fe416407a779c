/**
 * A decoder for list pages of 1D and 2D histograms that reads each record's `data` array straight
 * from the body's bytes into a Float64Array (src/json-numbers.ts, the exact parser the CSV reader
 * uses) and JSON.parses only the rest: a skeleton of the page with every array replaced by a marker
 * string. A 72 x 56 record is ~20 KB of JSON of which all but ~300 bytes is `data`; JSON.parse would
 * build 72 arrays of boxed numbers only for the transform to copy them once more.
 *
 * Identical to JSON.parse by construction: anything the fast path does not fully understand (a
 * value that is not a finite JSON number, ragged or empty rows, deeper nesting, a backslash before
 * the key, a marker or a `\u` escape in the body, a `data` key anywhere but directly in a result record, a
 * duplicated key) makes it return JSON.parse of the whole text instead, which either gives the
 * plain arrays or throws the error a bad body reports.
 */
import { PackedHistogramData } from '../histogram-values.js';
import { FALLBACK, parseHistoInto, type HistoTarget } from '../json-numbers.js';

const KEY = Buffer.from('"data"');
/**
 * Marker standing in for a cut array in the skeleton (plain ASCII, no character JSON escapes as
 * `\"`-style). A body that holds it, or any `\u` escape (which could spell it), is never cut, so no
 * string of the page itself can equal a marker.
 */
const MARK = '#dqm-export:data:';
const MARK_BYTES = Buffer.from(MARK);
const UNICODE_ESCAPE = Buffer.from('\\u');
/** A row length no real histogram reaches: with it, every value of a row is "row 0" and kept. */
const WHOLE_ROW = 0x3fffffff;

/** Reused between calls (decoding is synchronous): each record's values are sliced out of it. */
let scratch = new Float64Array(1 << 15);
const target: HistoTarget = {
  out: scratch,
  pos: 0,
  stride: WHOLE_ROW,
  firstRow: 0,
  lastRow: 0,
  firstCol: 0,
  lastCol: WHOLE_ROW,
};
/** Shape of the array `readData` last read. */
let readRows: number | null = null;
let readCols = 0;
let readCount = 0;

function isSpace(b: number | undefined): boolean {
  return b === 32 || b === 9 || b === 10 || b === 13;
}

/** Makes room for `extra` more values after `used` ones, keeping those. */
function reserve(used: number, extra: number): void {
  if (used + extra <= scratch.length) return;
  const grown = new Float64Array(Math.max(used + extra, scratch.length * 2));
  grown.set(scratch.subarray(0, used));
  scratch = grown;
}

/**
 * Parses the flat array of numbers starting at `buf[p]` (a `[`) into `scratch` from `used`. Returns
 * the index after its `]` and sets `readCount`, or FALLBACK.
 */
function readRow(buf: Buffer, p: number, used: number): number {
  const close = buf.indexOf(93, p);
  if (close < 0) return FALLBACK;
  // n values need at least 2n - 1 bytes between the brackets: room for all of them, so the parser's
  // writes past a typed array's end (which would be dropped silently) cannot happen.
  reserve(used, (close - p + 1) >> 1);
  target.out = scratch;
  target.pos = used;
  const n = parseHistoInto(buf, p, close + 1, target);
  if (n === FALLBACK || n === 0) return FALLBACK;
  readCount = n;
  return close + 1;
}

/**
 * Reads the `data` array at `buf[p]` (a `[`): a list of numbers (1D) or a list of equally long rows
 * (2D) into `scratch[base, base + readRows * readCols)`. Returns the index after it, or FALLBACK.
 */
function readData(buf: Buffer, p: number, base: number): number {
  let q = p + 1;
  while (isSpace(buf[q])) q++;
  if (buf[q] !== 91) {
    const end = readRow(buf, p, base);
    readRows = null;
    readCols = readCount;
    return end;
  }
  let rows = 0;
  let cols = -1;
  for (;;) {
    q = readRow(buf, q, base + rows * Math.max(cols, 0));
    if (q === FALLBACK || (cols !== -1 && readCount !== cols)) return FALLBACK;
    cols = readCount;
    rows++;
    while (isSpace(buf[q])) q++;
    if (buf[q] === 93) break;
    if (buf[q] !== 44) return FALLBACK;
    q++;
    while (isSpace(buf[q])) q++;
    if (buf[q] !== 91) return FALLBACK;
  }
  readRows = rows;
  readCols = cols;
  return q + 1;
}

/**
 * Decodes a list page of histograms (`HttpRequest.decode`): the page JSON.parse would give, except
 * that each result record's `data` is a PackedHistogramData. Throws what JSON.parse throws for a
 * body that is not JSON. `text` is the body's UTF-8 text, or a function giving it: only a page the
 * fast path does not take needs it.
 */
export function decodeHistogramPage(
  body: Buffer,
  text: string | (() => string) = () => body.toString('utf8'),
): unknown {
  const plain = (): unknown => JSON.parse(typeof text === 'string' ? text : text());
  if (body.indexOf(MARK_BYTES) !== -1 || body.indexOf(UNICODE_ESCAPE) !== -1) return plain();
  const parts: string[] = [];
  // Each record's values follow the previous record's in `scratch`; the page's are copied out once,
  // into one Float64Array each record views (one allocation per page, not per record).
  const spans: number[] = [];
  let used = 0;
  let copied = 0;
  let from = 0;
  for (;;) {
    const k = body.indexOf(KEY, from);
    if (k < 0) break;
    from = k + KEY.length;
    if (k > 0 && body[k - 1] === 92) return plain();
    let p = from;
    while (isSpace(body[p])) p++;
    if (body[p] !== 58) continue; // "data" as a value, not a key
    p++;
    while (isSpace(body[p])) p++;
    if (body[p] !== 91) continue; // null, a string...: left to JSON.parse (and the transform)
    const end = readData(body, p, used);
    if (end === FALLBACK) return plain();
    parts.push(body.toString('utf8', copied, p), `"${MARK}${spans.length / 3}"`);
    spans.push(used, readRows ?? -1, readCols);
    used += (readRows ?? 1) * readCols;
    copied = from = end;
  }
  if (spans.length === 0) return plain();
  const values = scratch.slice(0, used);
  const packed: PackedHistogramData[] = [];
  for (let i = 0; i < spans.length; i += 3) {
    const rows = spans[i + 1] === -1 ? null : spans[i + 1];
    const cols = spans[i + 2];
    packed.push(new PackedHistogramData(values.subarray(spans[i], spans[i] + (rows ?? 1) * cols), rows, cols));
  }
  parts.push(body.toString('utf8', copied));
  let page: unknown;
  try {
    page = JSON.parse(parts.join(''));
  } catch {
    return plain();
  }
  return attach(page, packed) ? page : plain();
}

/**
 * Puts the packed arrays in place of their markers: each must be the `data` of a result record, in
 * order, once. False when any is not (then the caller parses the page the plain way).
 */
function attach(page: unknown, packed: PackedHistogramData[]): boolean {
  const results = Array.isArray(page) ? page : (page as { results?: unknown } | null)?.results;
  if (!Array.isArray(results)) return false;
  let next = 0;
  for (const record of results) {
    if (typeof record !== 'object' || record === null) continue;
    const data = (record as { data?: unknown }).data;
    if (typeof data !== 'string' || !data.startsWith(MARK)) continue;
    if (data !== MARK + next) return false;
    (record as { data: unknown }).data = packed[next++];
  }
  return next === packed.length;
}
