/**
 * The histogram page decoder against JSON.parse: the same values (bit for bit, -0 included), the same
 * JSON through `toJSON`, the same error for a broken body, on real captures, generated pages and
 * randomly mutated ones; and the fall-back cases that must not take the fast path.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeHistogramPage } from '../../src/extract/decode-page.js';
import { PackedHistogramData } from '../../src/histogram-values.js';

const CAPTURES = join(import.meta.dirname, '..', 'fixtures', 'captures');

/** A deterministic generator (xorshift), so a failing case can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x100000000;
  };
}

/** True when `a` and `b` are the same JSON value, numbers compared with Object.is (-0 is not 0). */
function same(a: unknown, b: unknown): boolean {
  if (a instanceof PackedHistogramData) return same(a.toJSON(), b);
  if (b instanceof PackedHistogramData) return same(a, b.toJSON());
  if (typeof a === 'number' || typeof b === 'number') return Object.is(a, b);
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (a && typeof a === 'object') {
    if (!b || typeof b !== 'object' || Array.isArray(b)) return false;
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k, i) => k === kb[i] && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

/** Decodes `text` both ways: both throw the same error, or both give the same value. */
function check(text: string): unknown {
  let expected: unknown;
  let error: string | null = null;
  try {
    expected = JSON.parse(text);
  } catch (err) {
    error = (err as Error).message;
  }
  if (error !== null) {
    expect(() => decodeHistogramPage(Buffer.from(text), text)).toThrow(error);
    return undefined;
  }
  const got = decodeHistogramPage(Buffer.from(text), text);
  expect(same(got, expected)).toBe(true);
  expect(JSON.stringify(got)).toBe(JSON.stringify(expected));
  return got;
}

function packedCount(page: unknown): number {
  const results = (page as { results: { data?: unknown }[] }).results;
  return results.filter((r) => r.data instanceof PackedHistogramData).length;
}

/** A number as Python's json module or a hand-written client might write it. */
function numberText(r: () => number): string {
  const k = Math.floor(r() * 12);
  const int = Math.floor(r() * 100000);
  switch (k) {
    case 0:
      return '0.0';
    case 1:
      return '-0.0';
    case 2:
      return `${int}.0`;
    case 3:
      return String(int);
    case 4:
      return `${(r() * 1000 - 500).toPrecision(1 + Math.floor(r() * 17))}`.replace(/^0+(?=\d)/, '');
    case 5:
      return `${int}e-${Math.floor(r() * 30)}`;
    case 6:
      return `-${int}.${Math.floor(r() * 1000)}E+${Math.floor(r() * 25)}`;
    case 7:
      return String(r() * 1e-300);
    case 8:
      return '12345678901234567890123';
    case 9:
      return '0.1000000000000000055511151231257827';
    case 10:
      return String(r());
    default:
      return `${int}`;
  }
}

function record(r: () => number, id: number, dims: 1 | 2, x: number, y: number, sp: string): string {
  const row = (): string => `[${Array.from({ length: x }, () => numberText(r)).join(',' + sp)}]`;
  const data = dims === 1 ? row() : `[${Array.from({ length: y }, row).join(',' + sp)}]`;
  const title = `"title":${sp}"h${id}_data"`;
  const bins = dims === 1 ? `"x_bin":${x}` : `"x_bin":${x},"y_bin":${y}`;
  return `{"id":${id},${title},"data":${sp}${data},${bins},"entries":${id * 3}}`;
}

function page(r: () => number, n: number, dims: 1 | 2, sp = ''): string {
  const x = 1 + Math.floor(r() * 9);
  const y = 1 + Math.floor(r() * 6);
  const records = Array.from({ length: n }, (_, i) => record(r, i + 1, dims, x, y, sp));
  return `{"next":null,"previous":null,"total":${n},"results":[${records.join(',' + sp)}]}`;
}

describe('decodeHistogramPage', () => {
  test('real capture pages (1D and 2D lists) decode to typed data equal to JSON.parse', () => {
    for (const name of ['70_h1d_list.json', '81_h1d_page2.json', '90_h2d_list.json', '91_h2d_filter_run.json']) {
      const body = (JSON.parse(readFileSync(join(CAPTURES, name), 'utf8')) as { body: unknown }).body;
      // Python's json.dumps spelling (the server's): floats keep their `.0`.
      const text = JSON.stringify(body).replace(/([[,])(-?\d+)(?=[\],])/g, '$1$2.0');
      const got = check(text) as { results: { data: PackedHistogramData }[] };
      expect(got.results.length).toBeGreaterThan(0);
      expect(packedCount(got)).toBe(got.results.length);
      const first = got.results[0]!.data;
      expect(first.values).toBeInstanceOf(Float64Array);
      expect(first.rows === null ? 1 : 2).toBe(name.includes('h2d') ? 2 : 1);
    }
  });

  test('generated pages of every number spelling, with and without spaces, are packed and exact', () => {
    const r = rng(16);
    for (let i = 0; i < 300; i++) {
      const dims = i % 2 === 0 ? 1 : 2;
      const text = page(r, 1 + Math.floor(r() * 5), dims, i % 3 === 0 ? ' ' : '');
      const got = check(text);
      expect(packedCount(got)).toBe((got as { results: unknown[] }).results.length);
    }
  });

  test('randomly mutated pages: same value or same error as JSON.parse', () => {
    const r = rng(7);
    const alphabet = '[]{},:"-+.eE0123456789 \\nulltruefalse\t';
    let packedPages = 0;
    for (let i = 0; i < 3000; i++) {
      const base = page(r, 1 + Math.floor(r() * 3), i % 2 === 0 ? 1 : 2);
      const chars = [...base];
      for (let m = 1 + Math.floor(r() * 3); m > 0; m--) {
        const at = Math.floor(r() * chars.length);
        const c = alphabet[Math.floor(r() * alphabet.length)]!;
        const op = Math.floor(r() * 3);
        if (op === 0) chars[at] = c;
        else if (op === 1) chars.splice(at, 0, c);
        else chars.splice(at, 1);
      }
      const got = check(chars.join(''));
      if (got && typeof got === 'object' && Array.isArray((got as { results?: unknown }).results))
        if (packedCount(got) > 0) packedPages++;
    }
    // Most mutations break the JSON; the rest must still exercise the fast path.
    expect(packedPages).toBeGreaterThan(100);
  });

  const FALLBACKS: [string, string][] = [
    ['a null in the data', '{"results":[{"id":1,"data":[1.0,null,2.0],"x_bin":3}]}'],
    ['a string in the data', '{"results":[{"id":1,"data":[1.0,"2",2.0],"x_bin":3}]}'],
    ['a 3-deep array', '{"results":[{"id":1,"data":[[[1.0]]],"x_bin":1}]}'],
    ['ragged rows', '{"results":[{"id":1,"data":[[1.0,2.0],[3.0]],"x_bin":2,"y_bin":2}]}'],
    ['an empty list', '{"results":[{"id":1,"data":[],"x_bin":0}]}'],
    ['an empty row', '{"results":[{"id":1,"data":[[],[]],"x_bin":0,"y_bin":2}]}'],
    ['a value overflowing to Infinity', '{"results":[{"id":1,"data":[1e400],"x_bin":1}]}'],
    ['a 400-digit integer', `{"results":[{"id":1,"data":[${'9'.repeat(400)}],"x_bin":1}]}`],
    ['data in the envelope', '{"data":[1.0],"results":[{"id":1,"data":[2.0],"x_bin":1}]}'],
    ['data in a nested object', '{"results":[{"id":1,"meta":{"data":[2.0]},"data":[3.0],"x_bin":1}]}'],
    ['a duplicated key', '{"results":[{"id":1,"data":[1.0],"data":[2.0],"x_bin":1}]}'],
    ['a backslash before the key', '{"results":[{"id":1,"x\\"data":[1.0],"data":[2.0],"x_bin":1}]}'],
    ['a \\u escape', '{"results":[{"id":1,"title":"\\u0041","data":[2.0],"x_bin":1}]}'],
    ['the marker in a string', '{"results":[{"id":1,"title":"#dqm-export:data:0","data":[2.0],"x_bin":1}]}'],
    ['a marker spelled with escapes', '{"results":[{"id":1,"data":"\\u0023dqm-export:data:0"},{"id":2,"data":[1.0]}]}'],
    ['results not a list', '{"results":{"data":[1.0]}}'],
  ];
  test.each(FALLBACKS)('%s: falls back to JSON.parse', (_, text) => {
    const got = check(text);
    const results = (got as { results: unknown }).results;
    const packed = Array.isArray(results) ? packedCount(got) : 0;
    expect(packed).toBe(0);
  });

  test('the key spelled inside a string is not cut; the real one is', () => {
    const got = check('{"results":[{"id":1,"title":"a\\"data\\":[1.0]","data":[2.0],"x_bin":1}]}');
    expect(packedCount(got)).toBe(1);
  });

  test('a data value that is not a list is left alone, the others are packed', () => {
    const got = check('{"results":[{"id":1,"data":null},{"id":2,"data":"data","x":"data"},{"id":3,"data":[1.5]}]}');
    const results = (got as { results: { data: unknown }[] }).results;
    expect(results[0]!.data).toBeNull();
    expect(results[1]!.data).toBe('data');
    expect(results[2]!.data).toBeInstanceOf(PackedHistogramData);
  });

  test('a bare list page (no envelope) is packed too', () => {
    const got = check('[{"id":1,"data":[[1.0,2.0],[3.0,-0.0]]}]') as { data: PackedHistogramData }[];
    expect(got[0]!.data.rows).toBe(2);
    expect(Object.is(got[0]!.data.values[3], -0)).toBe(true);
  });

  test('broken bodies throw what JSON.parse throws', () => {
    check('{"results":[{"id":1,"data":[1.0,2.0]}');
    check('{"results":[{"id":1,"data":[1.0,2.0],}]}');
    check('');
    check('<html>bad gateway</html>');
  });

  test('pages larger than the reused buffer keep every value', () => {
    const r = rng(3);
    const values = Array.from({ length: 100_000 }, () => numberText(r));
    const text = `{"results":[{"id":1,"data":[${values.join(',')}]},{"id":2,"data":[[${values.slice(0, 50_000).join(',')}]]}]}`;
    const got = check(text) as { results: { data: PackedHistogramData }[] };
    expect(got.results[0]!.data.values.length).toBe(100_000);
    expect(got.results[1]!.data.values.length).toBe(50_000);
  });

  test("a page's records view one copy of its values, each its own range", () => {
    const text = '{"results":[{"id":1,"data":[1.0,2.0,3.0]},{"id":2,"data":[[4,5],[6,7]]},{"id":3,"data":[8.5]}]}';
    const got = check(text) as { results: { data: PackedHistogramData }[] };
    const [a, b, c] = got.results.map((r) => r.data);
    expect(a!.values.buffer).toBe(b!.values.buffer);
    expect(b!.values.buffer).toBe(c!.values.buffer);
    expect([...a!.values, ...b!.values, ...c!.values]).toEqual([1, 2, 3, 4, 5, 6, 7, 8.5]);
    // A second page gets its own copy: the first page's values are not overwritten by the reuse of
    // the decoder's scratch buffer.
    const second = decodeHistogramPage(Buffer.from('{"results":[{"id":4,"data":[9.0,9.0,9.0]}]}')) as {
      results: { data: PackedHistogramData }[];
    };
    expect([...second.results[0]!.data.values]).toEqual([9, 9, 9]);
    expect(second.results[0]!.data.values.buffer).not.toBe(a!.values.buffer);
    expect([...a!.values]).toEqual([1, 2, 3]);
  });

  test('the text is asked for only when the page falls back to JSON.parse', () => {
    let asked = 0;
    const text = (body: string) => () => {
      asked++;
      return body;
    };
    const packed = '{"results":[{"id":1,"data":[1.0,2.0]}]}';
    decodeHistogramPage(Buffer.from(packed), text(packed));
    expect(asked).toBe(0);
    const plain = '{"results":[{"id":1,"data":[1.0,"x"]}]}';
    expect(decodeHistogramPage(Buffer.from(plain), text(plain))).toEqual(JSON.parse(plain));
    expect(asked).toBe(1);
  });
});
