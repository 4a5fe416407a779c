/**
 * Python-compatible JSON text: the real server is Django REST Framework on CPython, so floats are
 * rendered by `repr(float)` (`2.0`, `1e-05`, `1e+16`), `total_pages` by `round(x, 1)`, and a
 * malformed request body gets CPython 3.11's `json` error message. Clients are tested against these
 * exact texts, so they are reproduced here rather than approximated with JSON.stringify.
 */

/** `repr(x)` of a Python float: shortest round-trip digits, `.0` on integers, exponent outside [1e-4, 1e16). */
export function pyFloat(x: number): string {
  if (Number.isInteger(x) && x > -1e16 && x < 1e16) return Object.is(x, -0) ? '-0.0' : `${x}.0`;
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  // toExponential() without digits gives the shortest round-trip mantissa, as repr does.
  const exp = x.toExponential();
  const e = Number(exp.slice(exp.indexOf('e') + 1));
  if (e < -4 || e >= 16) {
    const [mantissa, power] = exp.split('e');
    const sign = power[0] === '-' ? '-' : '+';
    const digits = power.replace(/^[+-]/, '');
    return `${mantissa}e${sign}${digits.padStart(2, '0')}`;
  }
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}

/** A number as Python would print it from a Django IntegerField (integers) or FloatField (otherwise). */
export function pyNumber(x: number): string {
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? String(x) : pyFloat(x);
}

/**
 * `round(total / perPage, 1)` rendered as Python does: a float with one decimal (65/50 -> `1.3`,
 * 1/50 -> `0.0`, 250/50 -> `5.0`). Exact binary ties round half to even, like Python.
 */
export function pyRoundOneDecimal(total: number, perPage: number): string {
  const x = total / perPage;
  // A tie x = q/20 with q odd is exact in binary only when 5 divides q (x = 0.25, 0.75, ...); then
  // Python rounds half to even where toFixed rounds up. Every other case toFixed gets right, as it
  // rounds the exact binary value, like Python.
  const q = (20 * total) / perPage;
  if (Number.isInteger(q) && q % 2 === 1 && q % 5 === 0) {
    const down = Math.floor(x * 10);
    return pyFloat((down % 2 === 0 ? down : down + 1) / 10);
  }
  return pyFloat(Number(x.toFixed(1)));
}

/** A Python JSONDecodeError: message and 0-based character position. */
interface PyJsonError {
  msg: string;
  pos: number;
}

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;

/** Mirrors CPython 3.11's json scanner just far enough to find the first error and its position. */
class PyJsonScanner {
  constructor(private readonly s: string) {}

  private ws(i: number): number {
    while (i < this.s.length && WS.has(this.s[i])) i++;
    return i;
  }

  /** Parses a value at `i`; returns the end index or throws PyJsonError. */
  value(i: number): number {
    const s = this.s;
    const c = s[i];
    if (c === '"') return this.string(i + 1);
    if (c === '{') return this.object(i + 1);
    if (c === '[') return this.array(i + 1);
    for (const lit of ['null', 'true', 'false']) if (s.startsWith(lit, i)) return i + lit.length;
    for (const lit of ['NaN', 'Infinity', '-Infinity']) {
      // DRF's strict JSON parser refuses these constants.
      if (s.startsWith(lit, i))
        throw { msg: 'Out of range float values are not JSON compliant', pos: -1 } satisfies PyJsonError;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(s);
    if (m) return i + m[0].length;
    throw { msg: 'Expecting value', pos: i } satisfies PyJsonError;
  }

  private string(i: number): number {
    const s = this.s;
    const begin = i - 1;
    for (;;) {
      if (i >= s.length) throw { msg: 'Unterminated string starting at', pos: begin } satisfies PyJsonError;
      const c = s[i];
      if (c === '"') return i + 1;
      if (c === '\\') {
        const e = s[i + 1];
        if (e === undefined) throw { msg: 'Unterminated string starting at', pos: begin } satisfies PyJsonError;
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(s.slice(i + 2, i + 6)))
            throw { msg: 'Invalid \\uXXXX escape', pos: i + 1 } satisfies PyJsonError;
          i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) throw { msg: 'Invalid \\escape', pos: i } satisfies PyJsonError;
        i += 2;
        continue;
      }
      if (c.charCodeAt(0) < 0x20) throw { msg: 'Invalid control character at', pos: i } satisfies PyJsonError;
      i++;
    }
  }

  private object(i: number): number {
    const s = this.s;
    i = this.ws(i);
    if (s[i] === '}') return i + 1;
    for (;;) {
      if (s[i] !== '"')
        throw { msg: 'Expecting property name enclosed in double quotes', pos: i } satisfies PyJsonError;
      i = this.ws(this.string(i + 1));
      if (s[i] !== ':') throw { msg: "Expecting ':' delimiter", pos: i } satisfies PyJsonError;
      i = this.ws(this.value(this.ws(i + 1)));
      if (s[i] === '}') return i + 1;
      if (s[i] !== ',') throw { msg: "Expecting ',' delimiter", pos: i } satisfies PyJsonError;
      i = this.ws(i + 1);
    }
  }

  private array(i: number): number {
    const s = this.s;
    i = this.ws(i);
    if (s[i] === ']') return i + 1;
    for (;;) {
      i = this.ws(this.value(i));
      if (s[i] === ']') return i + 1;
      if (s[i] !== ',') throw { msg: "Expecting ',' delimiter", pos: i } satisfies PyJsonError;
      i = this.ws(i + 1);
    }
  }

  /** Whole-document parse, as `json.loads`: leading/trailing whitespace, then "Extra data". */
  document(): void {
    const end = this.ws(this.value(this.ws(0)));
    if (end !== this.s.length) throw { msg: 'Extra data', pos: end } satisfies PyJsonError;
  }
}

/**
 * The message CPython's `json.loads` gives for `text`, e.g.
 * `Expecting value: line 1 column 17 (char 16)`, or undefined if Python would accept it.
 */
export function pythonJsonErrorMessage(text: string): string | undefined {
  try {
    new PyJsonScanner(text).document();
    return undefined;
  } catch (err) {
    const { msg, pos } = err as PyJsonError;
    if (pos < 0) return msg;
    const line = (text.slice(0, pos).match(/\n/g)?.length ?? 0) + 1;
    const column = pos - text.lastIndexOf('\n', pos - 1);
    return `${msg}: line ${line} column ${column} (char ${pos})`;
  }
}
