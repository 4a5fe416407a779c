/**
 * The hand-written `histo` parser (src/sources/csv/histo-parse.ts) against JSON.parse: every value
 * it accepts is the very double JSON.parse gives (Object.is, so -0 counts), over many random doubles
 * written in every JSON form, and the float32 store is Math.fround of that double. Whatever is not
 * strict JSON falls back (the caller then asks JSON.parse, which words the error).
 */
import { describe, expect, it } from 'vitest';
import { FALLBACK, parseHistoInto } from '../../../src/sources/csv/histo-parse.js';

/**
 * The cell `text` in a buffer, as `[start, end)`: alone (the buffer ends with the cell: the parser
 * reads byte by byte near a buffer's end), or `padded`, followed by the rest of a CSV row as in a
 * real read (the fast path for integers then reads four bytes at a time, past the cell's end too).
 */
function cell(text: string, padded: boolean): { buf: Buffer; start: number; end: number } {
  if (!padded) return { buf: Buffer.from(text, 'latin1'), start: 0, end: text.length };
  const before = '7,1,h,"';
  return {
    buf: Buffer.from(`${before}${text}",123,1.0,0.0,5,2.0,0.0,9\n`, 'latin1'),
    start: before.length,
    end: before.length + text.length,
  };
}

/** Parses `[text]` as one 1-value row (stride 3 keeps index 1 only, so pad with flow values). */
function parseOne(text: string, float32 = false, padded = false): number | typeof FALLBACK {
  const { buf, start, end } = cell(`[0, ${text}, 0]`, padded);
  const out = float32 ? new Float32Array(1) : new Float64Array(1);
  const n = parseHistoInto(buf, start, end, { out, pos: 0, stride: 3, firstRow: 0, lastRow: 0 });
  return n === FALLBACK ? FALLBACK : out[0];
}

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random finite double from random bits (every exponent, subnormals included). */
function randomDouble(rand: () => number): number {
  const view = new DataView(new ArrayBuffer(8));
  for (;;) {
    view.setUint32(0, Math.floor(rand() * 2 ** 32));
    view.setUint32(4, Math.floor(rand() * 2 ** 32));
    const x = view.getFloat64(0);
    if (Number.isFinite(x)) return x;
  }
}

/** JSON texts of a double: shortest, exponent forms, fixed forms, and truncated digit strings. */
function jsonForms(x: number, rand: () => number): string[] {
  const forms = [JSON.stringify(x)];
  for (const digits of [0, 3, 8, 14, 16, 20]) forms.push(x.toExponential(digits));
  if (Math.abs(x) < 1e21) for (const digits of [0, 1, 5, 12]) forms.push(x.toFixed(digits));
  forms.push(x.toPrecision(1 + Math.floor(rand() * 21)));
  // JSON has no "+" in a mantissa, nor "1." forms; toExponential gives "1e+5", which is valid JSON.
  return forms.filter((f) => !/^-?\d+\.$/.test(f));
}

/** Why `text` parses differently from JSON.parse (null when it does not); infinities must fall back. */
function mismatch(text: string, padded = false): string | null {
  const expected = JSON.parse(text) as number;
  const got = parseOne(text, false, padded);
  if (!Number.isFinite(expected))
    return got === FALLBACK ? null : `${text}: got ${String(got)}, expected FALLBACK (JSON.parse overflows)`;
  if (!Object.is(got, expected)) return `${text}: got ${String(got)}, JSON.parse gives ${expected}`;
  const f32 = parseOne(text, true, padded);
  return Object.is(f32, Math.fround(expected))
    ? null
    : `${text} as float32: got ${String(f32)}, Math.fround gives ${Math.fround(expected)}`;
}

function check(text: string, padded: boolean): void {
  expect(mismatch(text, padded)).toBeNull();
}

describe.each([false, true])('parseHistoInto: numbers (cell followed by the rest of a row: %s)', (padded) => {
  it('gives the same double as JSON.parse for 20,000 random doubles in every JSON form', () => {
    const rand = prng(15);
    const bad: string[] = [];
    for (let i = 0; i < 20_000; i++)
      for (const text of jsonForms(randomDouble(rand), rand)) bad.push(mismatch(text, padded) ?? '');
    expect(bad.filter(Boolean)).toEqual([]);
  });

  it('gives the same double as JSON.parse for random decimal strings (short, long, with fractions and exponents)', () => {
    const rand = prng(16);
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rand() * 10)).join('');
    const bad: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const int = String(Number(digits(1 + Math.floor(rand() * 20)))).replace(/e.*$/, '');
      const frac = rand() < 0.7 ? '.' + digits(1 + Math.floor(rand() * 25)) : '';
      const exp =
        rand() < 0.5
          ? `${rand() < 0.5 ? 'e' : 'E'}${['', '+', '-'][Math.floor(rand() * 3)]}${Math.floor(rand() * 330)}`
          : '';
      const text = `${rand() < 0.3 ? '-' : ''}${/^\d+$/.test(int) ? int : '0'}${frac}${exp}`;
      bad.push(mismatch(text, padded) ?? '');
    }
    expect(bad.filter(Boolean)).toEqual([]);
  });

  it.each([
    '0',
    '-0',
    '-0.0',
    '0.0',
    '1',
    '12',
    '4294967296',
    '9007199254740991',
    '9007199254740992',
    '9007199254740993',
    '123456789012345678901234567890',
    '0.1',
    '0.2',
    '0.3',
    '1e22',
    '1e23',
    '1e-22',
    '1e-23',
    '123456789012345e22',
    '2.2250738585072014e-308',
    '2.2250738585072011e-308',
    '4.9e-324',
    '5e-324',
    '2e-324',
    '1.7976931348623157e308',
    '0.000001234567890123456789',
    '1E5',
    '1e+5',
    '1e-5',
    '-1.5e-7',
    '3.4028235677973366e38',
    '3.4028236e38',
    '1.00000005960464477539062499',
    '1.000000059604644775390625',
    '1.00000005960464477539062501',
    '0.30000000000000004',
  ])('%s: exactly as JSON.parse', (text) => check(text, padded));

  it.each(['1e400', '-1e400', '1e999999999'])('%s: overflows to Infinity, so the caller asks JSON.parse', (text) => {
    expect(parseOne(text, false, padded)).toBe(FALLBACK);
  });

  it.each([
    '01',
    '-',
    '.5',
    '1.',
    '+1',
    '1e',
    '1e+',
    '- 1',
    '0x10',
    'NaN',
    'Infinity',
    'true',
    'null',
    '"1"',
    '[1]',
    '1_000',
  ])('%j is not a JSON number: FALLBACK', (text) => expect(parseOne(text, false, padded)).toBe(FALLBACK));
});

describe.each([false, true])(
  'parseHistoInto: arrays and flow bins (cell followed by the rest of a row: %s)',
  (padded) => {
    const parse = (text: string, stride: number, firstRow: number, lastRow: number, size: number) => {
      const out = new Float64Array(size);
      const { buf, start, end } = cell(text, padded);
      return { n: parseHistoInto(buf, start, end, { out, pos: 0, stride, firstRow, lastRow }), out: [...out] };
    };

    it('keeps bins 1..Xbins of a 1D histogram', () => {
      expect(parse('[9, 1, 2, 3, 9]', 5, 0, 0, 3)).toEqual({ n: 5, out: [1, 2, 3] });
    });

    it('keeps rows 1..Ybins and bins 1..Xbins of a 2D histogram (row-major, Y outer)', () => {
      // Xbins=2, Ybins=2: 4 x 4 values, the border is flow.
      const values = [9, 9, 9, 9, 9, 1, 2, 9, 9, 3, 4, 9, 9, 9, 9, 9];
      expect(parse(`[${values.join(',')}]`, 4, 1, 2, 4)).toEqual({ n: 16, out: [1, 2, 3, 4] });
    });

    it('counts every value and never writes past the kept region when the length is wrong', () => {
      expect(parse('[9, 1, 2, 3, 9, 7, 7]', 5, 0, 0, 3)).toEqual({ n: 7, out: [1, 2, 3] });
      expect(parse('[9, 1]', 5, 0, 0, 3)).toEqual({ n: 2, out: [1, 0, 0] });
    });

    it.each(['[]', ' [ ] ', '[ 1 ,\t2 ]', '\n[1,2]\r\n'])('accepts JSON whitespace: %j', (text) => {
      expect(parse(text, 4, 0, 0, 2).n).toBe(text.includes('1') ? 2 : 0);
    });

    it.each(['', '1, 2', '[1, 2', '[1, 2,]', '[1 2]', '[,]', '[1, "2"]', '[1, [2]]', '[1] x', '[1, null]'])(
      '%j: FALLBACK',
      (text) => {
        expect(parse(text, 4, 0, 0, 2).n).toBe(FALLBACK);
      },
    );
  },
);

describe('parseHistoInto: integer fast path against JSON.parse', () => {
  /** What the parser must give for `text`: JSON.parse's values (flow bins dropped), or FALLBACK. */
  function expected(text: string, stride: number, firstRow: number, lastRow: number): number[] | typeof FALLBACK {
    let values: unknown;
    try {
      values = JSON.parse(text);
    } catch {
      return FALLBACK;
    }
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) return FALLBACK;
    return (values as number[]).filter((_, i) => {
      const row = Math.floor(i / stride);
      const col = i % stride;
      return row >= firstRow && row <= lastRow && col >= 1 && col <= stride - 2;
    });
  }

  /**
   * Random bin counts of 0-10 digits, written `N` or, with `floats`, `N.0` as DQM Playground's and
   * DIALS' pages write them; now and then a sign, another fraction, a leading zero or an odd separator.
   */
  function randomCell(rand: () => number, cells: number, odd: number, floats = false): string {
    const parts: string[] = [];
    for (let i = 0; i < cells; i++) {
      const digits = rand() < 0.9 ? 1 + Math.floor(rand() * 4) : 1 + Math.floor(rand() * 10);
      let n = String(Math.floor(rand() * 10 ** digits));
      if (floats) n += '.0';
      if (rand() < odd)
        n =
          ['-', '0', ''][Math.floor(rand() * 3)] +
          n +
          ['.5', 'e2', '', 'E-1', '.0', '0', '5', '.', 'e1', '.00'][Math.floor(rand() * 10)];
      parts.push(n);
    }
    let text = '[';
    for (let i = 0; i < parts.length; i++) {
      text += parts[i];
      if (i < parts.length - 1)
        text += rand() < odd ? [',', ' ,', ',  ', ',\n', ',,', ' '][Math.floor(rand() * 6)] : ', ';
    }
    return text + (rand() < odd ? [' ]', ',]', ''][Math.floor(rand() * 3)] : ']');
  }

  it.each([
    [0, false, 'well-formed counts'],
    [0.002, false, 'a few odd numbers and separators per cell'],
    [0.05, false, 'many odd numbers and separators'],
    [0, true, 'well-formed counts written N.0'],
    [0.002, true, 'counts written N.0, a few odd numbers and separators per cell'],
    [0.05, true, 'counts written N.0, many odd numbers and separators'],
  ])('%s, %s: the same values and count as JSON.parse (%s), float64 and float32, alone and in a row', (odd, floats) => {
    const rand = prng(Math.round(odd * 1000) + (floats ? 43 : 41));
    const bad: string[] = [];
    for (let k = 0; k < 600; k++) {
      const x = 1 + Math.floor(rand() * 12);
      const y = rand() < 0.3 ? 0 : 1 + Math.floor(rand() * 6);
      const stride = x + 2;
      const [firstRow, lastRow] = y === 0 ? [0, 0] : [1, y];
      const rows = y === 0 ? 1 : y + 2;
      const text = randomCell(rand, stride * rows, odd, floats);
      const want = expected(text, stride, firstRow, lastRow);
      for (const padded of [false, true])
        for (const float32 of [false, true]) {
          const size = x * Math.max(y, 1);
          const out = float32 ? new Float32Array(size) : new Float64Array(size);
          const { buf, start, end } = cell(text, padded);
          const n = parseHistoInto(buf, start, end, { out, pos: 0, stride, firstRow, lastRow });
          if (want === FALLBACK) {
            // JSON.parse refuses the text: so must the parser (the caller then words the reason).
            if (n !== FALLBACK) bad.push(`${text}: got ${n} values, JSON.parse refuses it`);
            continue;
          }
          const values = want.map((v) => (float32 ? Math.fround(v) : v));
          if (n !== stride * rows || !values.every((v, i) => Object.is(out[i], v)))
            bad.push(`${text} (padded ${padded}, float32 ${float32}): got ${n}, [${[...out].join(', ')}]`);
        }
    }
    expect(bad).toEqual([]);
  });

  it('reads 8-digit counts whole and hands 9 digits and more to the general parser, at every offset', () => {
    for (const n of ['12345678', '99999999', '10000000', '123456789', '1234567890123', '9007199254740993'])
      for (let lead = 0; lead < 9; lead++) {
        const text = `[${'1, '.repeat(lead)}${n}, 5]`;
        const out = new Float64Array(lead + 3);
        const { buf, start, end } = cell(text, true);
        expect(
          parseHistoInto(buf, start, end, {
            out,
            pos: 0,
            stride: lead + 2,
            firstRow: 0,
            lastRow: 0,
            firstCol: 0,
            lastCol: lead + 1,
          }),
        ).toBe(lead + 2);
        expect(out[lead]).toBe(JSON.parse(n));
      }
  });
});
