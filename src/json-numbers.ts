/**
 * Exact JSON number arrays straight from bytes into typed arrays, shared by the CSV reader and the
 * DQM Playground page decoder (src/extract/decode-page.ts).
 *
 * The hot loop of a CSV export: the `histo` cell of an ML4DQM row (a JSON array of numbers, about
 * 4,300 of them for a 72 x 56 histogram) parsed straight from the file's bytes into a typed array,
 * the flow bins dropped on the way. Hand-written because it is the measured hot path
 * (bench/csv.ts): JSON.parse builds a JS array of boxed numbers per row only to copy it again.
 *
 * Exactness: a number is accumulated as an integer mantissa and a power of ten. When the mantissa
 * has at most 15 digits (so it is an exact double) and the power is within 10^±22 (exact doubles
 * too), one IEEE multiplication or division gives the correctly rounded result, the same double as
 * JSON.parse (Clinger's fast path). Anything else (more digits, larger exponents) is handed to
 * `Number()` on the text, which is JSON.parse's own conversion. Storing into a Float32Array is
 * `Math.fround` of that double. The parser accepts strict JSON only; whatever it does not
 * understand returns FALLBACK, and the caller re-parses the cell with JSON.parse, which either
 * succeeds or gives the reason a bad row reports.
 */

/** `parseHistoInto` could not take the fast path: re-parse the cell with JSON.parse. */
export const FALLBACK = -1;

/** Exact powers of ten, 10^0 .. 10^22 (all exactly representable as doubles). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Where the values of one `histo` array go, and which of them are kept. */
export interface HistoTarget {
  /** Output buffer (Float32Array for dtype float32: stores round with Math.fround). */
  out: Float64Array | Float32Array;
  /** Index in `out` of the first kept value. */
  pos: number;
  /** Values per histogram row, flow bins included: Xbins + 2. */
  stride: number;
  /** First kept row: 0 for 1D (one row), 1 for 2D (row 0 is the underflow row). */
  firstRow: number;
  /** Last kept row: 0 for 1D, Ybins for 2D. */
  lastRow: number;
  /** First kept column of each row. Default 1 (column 0 is the underflow bin); 0 keeps every value. */
  firstCol?: number;
  /** Last kept column of each row. Default `stride - 2` (the overflow bin is dropped). */
  lastCol?: number;
}

/** The value of the last number `parseTail` read (module-level keeps the rare path allocation-free). */
let tailValue = 0;

function isDigit(b: number): boolean {
  return b >= 48 && b <= 57;
}

/**
 * The rest of a number whose integer digits were read (`mantissa`, `digits` of them, from `begin`):
 * an optional fraction and exponent, strict JSON. Sets `tailValue`; returns the index after the
 * number, or FALLBACK for text that is not a JSON number.
 */
function parseTail(buf: Uint8Array, p: number, begin: number, mantissa: number, digits: number, neg: boolean): number {
  let scale = 0;
  if (buf[p] === 46) {
    p++;
    if (!isDigit(buf[p])) return FALLBACK;
    while (isDigit(buf[p])) {
      mantissa = mantissa * 10 + (buf[p] - 48);
      // Leading zeros of the mantissa ("0.000123") do not count towards its 15 exact digits.
      if (mantissa !== 0) digits++;
      scale++;
      p++;
    }
  }
  let exp = 0;
  if (buf[p] === 101 || buf[p] === 69) {
    p++;
    let expNeg = false;
    if (buf[p] === 43 || buf[p] === 45) {
      expNeg = buf[p] === 45;
      p++;
    }
    if (!isDigit(buf[p])) return FALLBACK;
    while (isDigit(buf[p])) {
      // Capped: a huge exponent only needs to be recognised as out of the fast range.
      if (exp < 100000) exp = exp * 10 + (buf[p] - 48);
      p++;
    }
    if (expNeg) exp = -exp;
  }
  const power = exp - scale;
  if (digits <= 15 && power >= -22 && power <= 22) {
    const m = power === 0 ? mantissa : power > 0 ? mantissa * POW10[power] : mantissa / POW10[-power];
    tailValue = neg ? -m : m;
    return p;
  }
  tailValue = slowNumber(buf, begin, p);
  return p;
}

/** Number() of the text: exactly what JSON.parse computes for a JSON number. */
function slowNumber(buf: Uint8Array, begin: number, end: number): number {
  let text = '';
  for (let i = begin; i < end; i++) text += String.fromCharCode(buf[i]);
  return Number(text);
}

function isSpace(b: number): boolean {
  return b === 32 || b === 9 || b === 10 || b === 13;
}

/**
 * Parses the JSON array of numbers in `buf[start, end)` (the cell's text, quotes excluded) and
 * writes the kept values (rows `firstRow..lastRow`, columns `firstCol..lastCol` of each, by default
 * `1..stride-2`) to `target.out` from `target.pos`, row-major. Returns how many values the array holds (kept or not), or FALLBACK
 * when the text is anything but a well-formed array of finite numbers (the caller then uses
 * JSON.parse and its error message). Writes past the kept region are never made, so a wrong length
 * never overruns `out`; the caller compares the returned count with the expected one.
 *
 * The byte at `end` (a closing quote, a comma or a line end) stops every digit loop, so those loops
 * need no bounds check; positions past `end` are refused at the end.
 */
export function parseHistoInto(buf: Uint8Array, start: number, end: number, target: HistoTarget): number {
  let p = start;
  while (p < end && isSpace(buf[p])) p++;
  if (p >= end || buf[p] !== 91) return FALLBACK;
  p++;
  while (p < end && isSpace(buf[p])) p++;
  if (p < end && buf[p] === 93) return closed(buf, p + 1, end, 0);
  return integers(buf, p, end, target);
}

/** The count, when only JSON whitespace follows the array's `]` (which ends at `p`) up to `end`. */
function closed(buf: Uint8Array, p: number, end: number, count: number): number {
  if (p > end) return FALLBACK;
  while (p < end && isSpace(buf[p])) p++;
  return p === end ? count : FALLBACK;
}

/** A DataView of the last buffer parsed: the CSV reader parses every cell of a read from one buffer. */
let view: DataView | null = null;
let viewOf: Uint8Array | null = null;

/**
 * Where the first non-digit byte of a little-endian word is (0..3), or 4 when its four bytes are
 * ASCII digits. Per byte: high nibble 3, and low nibble + 6 without a carry into bit 4.
 */
function digitRun(w: number): number {
  const nonDigit = ((w & 0xf0f0f0f0) ^ 0x30303030) | (((w & 0x0f0f0f0f) + 0x06060606) & 0x10101010);
  // The top bit of each byte that is not zero; the lowest such byte is the first non-digit.
  const flags = (((nonDigit & 0x7f7f7f7f) + 0x7f7f7f7f) | nonDigit) & 0x80808080;
  return flags === 0 ? 4 : (31 - Math.clz32(flags & -flags)) >>> 3;
}

/** The value of the first `len` (1..4) bytes of a little-endian word, all ASCII digits. */
function digitsValue(w: number, len: number): number {
  // The digits moved to the top bytes, then combined in pairs: (d0 * 10 + d1) * 100 + (d2 * 10 + d3).
  let v = (w & 0x0f0f0f0f) << ((4 - len) << 3);
  v = (v * 10 + (v >>> 8)) & 0x00ff00ff;
  return (v & 0xff) * 100 + (v >>> 16);
}

const SCALE = [1, 10, 100, 1000, 10000];

/**
 * The values from `p` (the first number) on. The fast path of real data: ML4DQM cells and
 * DQM Playground and DIALS pages hold bin counts, non-negative integers of at most 8 digits (`49`
 * in files, `49.0` in pages) separated by `, ` or `,`, read here four bytes at a time (one word
 * load, no branch per digit). The first number it does not take whole (a sign, a fraction other than
 * `.0`, an exponent, 9+ digits, a leading zero, other whitespace, anything malformed, the buffer's
 * last 8 bytes) goes to `values`, the general parser, which goes on from that number with the same
 * state. One thread, the bench's 2D cells: 12.1 ns per value against 13.9 for the general parser
 * alone (docs/decisions.md).
 */
function integers(buf: Uint8Array, p: number, end: number, target: HistoTarget): number {
  if (viewOf !== buf) {
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    viewOf = buf;
  }
  const words = view!;
  const limit = Math.min(end, buf.byteLength - 8);
  const out = target.out;
  const stride = target.stride;
  const firstRow = target.firstRow;
  const lastRow = target.lastRow;
  const firstCol = target.firstCol ?? 1;
  const lastCol = target.lastCol ?? stride - 2;
  let pos = target.pos;
  let count = 0;
  let row = 0;
  let col = 0;
  let rowKept = row >= firstRow && row <= lastRow;
  while (p < limit) {
    const w = words.getUint32(p, true);
    let len = digitRun(w);
    if (len === 0) break;
    let v: number;
    if (len < 4) {
      if (len > 1 && (w & 0xff) === 48) break;
      v = digitsValue(w, len);
    } else {
      if ((w & 0xff) === 48) break;
      const w2 = words.getUint32(p + 4, true);
      const len2 = digitRun(w2);
      if (len2 === 4) break;
      v = digitsValue(w, 4);
      if (len2 > 0) v = v * SCALE[len2] + digitsValue(w2, len2);
      len += len2;
    }
    let q = p + len;
    let b = buf[q];
    if (b === 46) {
      // `N.0`: a count written as a float, as DQM Playground's and DIALS' pages write every bin
      // (Python's float repr). Any other fraction, or an exponent, is the general parser's.
      if (buf[q + 1] !== 48) break;
      q += 2;
      b = buf[q];
    }
    if (b === 44) {
      if (rowKept && col >= firstCol && col <= lastCol) out[pos++] = v;
      count++;
      if (++col === stride) {
        col = 0;
        row++;
        rowKept = row >= firstRow && row <= lastRow;
      }
      p = q + 1;
      let c = buf[p];
      if (c === 32) c = buf[++p];
      if (isSpace(c)) while (p < end && isSpace(buf[p])) p++;
      continue;
    }
    if (b === 93 && q < end) {
      if (rowKept && col >= firstCol && col <= lastCol) out[pos] = v;
      return closed(buf, q + 1, end, count + 1);
    }
    break;
  }
  return values(buf, p, end, target, pos, count, row, col);
}

/**
 * The general parser: the values from `p` (the start of a number, whitespace skipped) on, `count`
 * of them already read, the next one at (`row`, `col`), the next kept one going to `out[pos]`.
 */
function values(
  buf: Uint8Array,
  p: number,
  end: number,
  target: HistoTarget,
  pos: number,
  count: number,
  row: number,
  col: number,
): number {
  const out = target.out;
  const stride = target.stride;
  const firstRow = target.firstRow;
  const lastRow = target.lastRow;
  const firstCol = target.firstCol ?? 1;
  const lastCol = target.lastCol ?? stride - 2;
  for (;;) {
    if (p >= end) return FALLBACK;
    const begin = p;
    let b = buf[p];
    const neg = b === 45;
    if (neg) b = buf[++p];
    // Positive range checks: past the buffer's end a byte reads as undefined, and NaN fails them.
    let d = b - 48;
    if (!(d >= 0 && d <= 9)) return FALLBACK;
    let m = d;
    let digits = 1;
    p++;
    if (d === 0) {
      d = buf[p] - 48;
      if (d >= 0 && d <= 9) return FALLBACK; // a leading zero: not JSON
    } else {
      for (;;) {
        d = buf[p] - 48;
        if (!(d >= 0 && d <= 9)) break;
        m = m * 10 + d;
        digits++;
        p++;
      }
    }
    b = buf[p];
    let v: number;
    if (b === 46 || b === 101 || b === 69) {
      p = parseTail(buf, p, begin, m, digits, neg);
      if (p === FALLBACK) return FALLBACK;
      v = tailValue;
      if (v - v !== 0) return FALLBACK; // ±Infinity (an overflowing exponent)
      b = buf[p];
    } else if (digits <= 15) {
      v = neg ? -m : m;
    } else {
      v = slowNumber(buf, begin, p);
      if (v - v !== 0) return FALLBACK; // an integer of over 308 digits: Infinity
    }
    if (row >= firstRow && row <= lastRow && col >= firstCol && col <= lastCol) out[pos++] = v;
    count++;
    if (++col === stride) {
      col = 0;
      row++;
    }
    while (b === 32) b = buf[++p];
    if (b === 44) {
      b = buf[++p];
      while (b === 32) b = buf[++p];
      if (isSpace(b)) while (p < end && isSpace(buf[p])) p++;
      continue;
    }
    if (b === 93) return closed(buf, p + 1, end, count);
    if (!isSpace(b) || p >= end) return FALLBACK;
    while (p < end && isSpace(buf[p])) p++;
    if (p < end && buf[p] === 93) return closed(buf, p + 1, end, count);
    if (p >= end || buf[p] !== 44) return FALLBACK;
    p++;
    while (p < end && isSpace(buf[p])) p++;
  }
}
