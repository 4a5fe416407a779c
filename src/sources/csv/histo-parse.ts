/**
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
}

/** One parsed number and where its text ended; module-level to keep the hot loop allocation-free. */
let value = 0;

function isDigit(b: number): boolean {
  return b >= 48 && b <= 57;
}

/**
 * Parses one JSON number starting at `p` (strict grammar: `-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?`)
 * into `value`; returns the index after it, or FALLBACK for text that is not a JSON number.
 */
function parseNumber(buf: Uint8Array, p: number, end: number): number {
  const begin = p;
  let neg = false;
  if (buf[p] === 45) {
    neg = true;
    p++;
  }
  if (p >= end || !isDigit(buf[p])) return FALLBACK;
  let mantissa = 0;
  let digits = 0;
  if (buf[p] === 48) {
    p++;
    if (p < end && isDigit(buf[p])) return FALLBACK; // leading zero: not JSON
  } else {
    while (p < end && isDigit(buf[p])) {
      mantissa = mantissa * 10 + (buf[p] - 48);
      digits++;
      p++;
    }
  }
  let scale = 0;
  let plain = true;
  if (p < end && buf[p] === 46) {
    plain = false;
    p++;
    if (p >= end || !isDigit(buf[p])) return FALLBACK;
    while (p < end && isDigit(buf[p])) {
      mantissa = mantissa * 10 + (buf[p] - 48);
      // Leading zeros of the mantissa ("0.000123") do not count towards its 15 exact digits.
      if (mantissa !== 0) digits++;
      scale++;
      p++;
    }
  }
  let exp = 0;
  if (p < end && (buf[p] === 101 || buf[p] === 69)) {
    plain = false;
    p++;
    let expNeg = false;
    if (p < end && (buf[p] === 43 || buf[p] === 45)) {
      expNeg = buf[p] === 45;
      p++;
    }
    if (p >= end || !isDigit(buf[p])) return FALLBACK;
    while (p < end && isDigit(buf[p])) {
      // Capped: a huge exponent only needs to be recognised as out of the fast range.
      if (exp < 100000) exp = exp * 10 + (buf[p] - 48);
      p++;
    }
    if (expNeg) exp = -exp;
  }
  const power = exp - scale;
  if (digits <= 15 && (plain || (power >= -22 && power <= 22))) {
    const m = power === 0 ? mantissa : power > 0 ? mantissa * POW10[power] : mantissa / POW10[-power];
    value = neg ? -m : m;
    return p;
  }
  // Slow but exact: Number() of a JSON number's text is what JSON.parse computes.
  let text = '';
  for (let i = begin; i < p; i++) text += String.fromCharCode(buf[i]);
  value = Number(text);
  return p;
}

function isSpace(b: number): boolean {
  return b === 32 || b === 9 || b === 10 || b === 13;
}

/**
 * Parses the JSON array of numbers in `buf[start, end)` (the cell's text, quotes excluded) and
 * writes the kept values (rows `firstRow..lastRow`, columns `1..stride-2` of each) to `target.out`
 * from `target.pos`, row-major. Returns how many values the array holds (kept or not), or FALLBACK
 * when the text is anything but a well-formed array of finite numbers (the caller then uses
 * JSON.parse and its error message). Writes past the kept region are never made, so a wrong length
 * never overruns `out`; the caller compares the returned count with the expected one.
 */
export function parseHistoInto(buf: Uint8Array, start: number, end: number, target: HistoTarget): number {
  let p = start;
  while (p < end && isSpace(buf[p])) p++;
  if (p >= end || buf[p] !== 91) return FALLBACK;
  p++;
  while (p < end && isSpace(buf[p])) p++;
  const { out, stride, firstRow, lastRow } = target;
  const lastCol = stride - 2;
  let pos = target.pos;
  let count = 0;
  let row = 0;
  let col = 0;
  if (p < end && buf[p] === 93) {
    p++;
  } else {
    for (;;) {
      p = parseNumber(buf, p, end);
      if (p === FALLBACK) return FALLBACK;
      if (value - value !== 0) return FALLBACK; // ±Infinity (an overflowing exponent)
      if (row >= firstRow && row <= lastRow && col >= 1 && col <= lastCol) out[pos++] = value;
      count++;
      if (++col === stride) {
        col = 0;
        row++;
      }
      while (p < end && isSpace(buf[p])) p++;
      if (p >= end) return FALLBACK;
      const b = buf[p++];
      if (b === 93) break;
      if (b !== 44) return FALLBACK;
      while (p < end && isSpace(buf[p])) p++;
    }
  }
  while (p < end && isSpace(buf[p])) p++;
  return p === end ? count : FALLBACK;
}
