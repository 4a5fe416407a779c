/** Pure parts of the DIALS server: cursor tokens, page sizes, PostgreSQL regexes, map files. */
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, paginate, type Orderable } from '../../../src/server/dials/cursor.js';
import { pageSizeOf } from '../../../src/server/dials/handlers.js';
import { derivedDatasetName, parseDialsMap } from '../../../src/server/dials/mapping.js';
import { pgRegex } from '../../../src/server/dials/regex.js';
import { resolveServerOptions } from '../../../src/server/options.js';

describe('cursor tokens', () => {
  it('encode and decode as DRF does (o, r, p; base64 of the url-encoded query)', () => {
    // From capture 037's `previous` link.
    const token = 'cj0xJnA9JTVCJTIyMTQ2NzcwNjAlMjIlMkMrJTIyMzgwMDAwJTIyJTJDKyUyMjIlMjIlMkMrJTIyMiUyMiU1RA==';
    const c = decodeCursor(token)!;
    expect(c).toEqual({ offset: 0, reverse: true, position: '["14677060", "380000", "2", "2"]' });
    expect(encodeCursor(c)).toBe(token);
    expect(encodeCursor({ offset: 3, reverse: false, position: null })).toBe('bz0z');
  });

  it('refuses what Python refuses (404 Invalid cursor) and caps the offset at 1000', () => {
    expect(decodeCursor('garbage')).toBeUndefined();
    expect(decodeCursor(Buffer.from('o=-1').toString('base64'))).toBeUndefined();
    expect(decodeCursor(Buffer.from('r=x').toString('base64'))).toBeUndefined();
    expect(decodeCursor(Buffer.from('o=5000').toString('base64'))).toEqual({
      offset: 1000,
      reverse: false,
      position: null,
    });
  });

  it('walks forward and back over ties with offsets', () => {
    const rows = [1, 1, 1, 1, 2, 3].map((v, i) => ({ v, i }));
    const o: Orderable<{ v: number; i: number }> = { kind: () => 'int', value: (r) => r.v };
    const first = paginate(rows, [{ field: 'v', desc: false }], undefined, 2, o);
    expect(first.page.map((r) => r.i)).toEqual([0, 1]);
    expect(first.next).toEqual({ offset: 2, reverse: false, position: null });
    const second = paginate(rows, [{ field: 'v', desc: false }], first.next!, 2, o);
    expect(second.page.map((r) => r.i)).toEqual([2, 3]);
    const third = paginate(rows, [{ field: 'v', desc: false }], second.next!, 2, o);
    expect(third.page.map((r) => r.i)).toEqual([4, 5]);
    expect(third.next).toBeNull();
    expect(third.previous).toEqual({ offset: 0, reverse: true, position: '["2"]' });
    // Back over ties: DRF (like PostgreSQL) only promises rows before the position, not which tied ones.
    const back = paginate(rows, [{ field: 'v', desc: false }], third.previous!, 2, o);
    expect(back.page.map((r) => r.v)).toEqual([1, 1]);
    expect(back.next).toEqual({ offset: 0, reverse: false, position: '["1"]' });
  });
});

describe('presorted pages', () => {
  it('equal the filter-and-sort path for every cursor of a walk, both ways', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ a: Math.floor(i / 7), b: i % 7 }));
    const o: Orderable<{ a: number; b: number }> = { kind: () => 'int', value: (r, f) => (f === 'a' ? r.a : r.b) };
    const ordering = [
      { field: 'a', desc: false },
      { field: 'b', desc: false },
    ];
    const cursors = [
      undefined,
      { offset: 0, reverse: false, position: '["2", "3"]' },
      { offset: 2, reverse: true, position: '["4", "1"]' },
      { offset: 1, reverse: false, position: null },
    ];
    for (const size of [1, 3, 10]) {
      for (const c of cursors) {
        const slow = paginate(rows, ordering, c, size, o);
        const fast = paginate(rows, ordering, c, size, o, true);
        expect(fast).toEqual(slow);
        for (const next of [slow.next, slow.previous])
          if (next)
            expect(paginate(rows, ordering, next, size, o, true)).toEqual(paginate(rows, ordering, next, size, o));
      }
    }
  });
});

describe('page_size', () => {
  it('is a positive Python int up to 500; 0, -1 and junk give 10', () => {
    const ps = (v: string): number => pageSizeOf([['page_size', v]]);
    expect([ps('1'), ps('500'), ps('501'), ps('100000'), ps(' 7 '), ps('1_0')]).toEqual([1, 500, 500, 500, 7, 10]);
    expect([ps('0'), ps('-1'), ps('abc'), ps(''), ps('2.5'), pageSizeOf([])]).toEqual([10, 10, 10, 10, 10, 10]);
  });
});

describe('PostgreSQL regex', () => {
  it('is case-sensitive and unanchored', () => {
    expect(pgRegex('PXLayer').test('PixelPhase1/Tracks/PXBarrel/charge_PXLayer_1')).toBe(true);
    expect(pgRegex('pxlayer').test('charge_PXLayer_1')).toBe(false);
    expect(pgRegex('^PXLayer').test('charge_PXLayer_1')).toBe(false);
  });

  it('translates the escapes and classes that differ, and refuses what PostgreSQL refuses', () => {
    expect(pgRegex('\\mcharge').test('x charge')).toBe(true);
    expect(pgRegex('\\mharge').test('charge')).toBe(false);
    expect(pgRegex('[[:digit:]]+_[[:alpha:]]').test('380_a')).toBe(true);
    expect(pgRegex('(?i)PXLAYER').test('PXLayer')).toBe(true);
    expect(() => pgRegex('([')).toThrow(SyntaxError);
    expect(() => pgRegex('\\q')).toThrow(SyntaxError);
    expect(() => pgRegex('[[:nope:]]')).toThrow(SyntaxError);
  });
});

describe('options', () => {
  it('refuse what does not apply to DIALS and bad DIALS values, naming the option', () => {
    expect(() => resolveServerOptions({ api: 'dials', shuffle: true })).toThrow(
      /--shuffle does not apply to --api dials/,
    );
    expect(() => resolveServerOptions({ api: 'dials', manual: true })).toThrow(/--manual does not apply/);
    expect(() => resolveServerOptions({ api: 'dials', tokenTtlSeconds: 0 })).toThrow(
      /token TTL must be an integer >= 1/,
    );
    expect(() => resolveServerOptions({ api: 'dials', gatewayTimeoutBytes: -1 })).toThrow(/gateway timeout bytes/);
    expect(() => resolveServerOptions({ api: 'nope' as never })).toThrow(/--api must be dqm-playground or dials/);
    expect(resolveServerOptions({ api: 'dials' })).toMatchObject({
      tokenTtlSeconds: 1200,
      rejectExpiredTokens: false,
      gatewayTimeoutBytes: 0,
    });
  });
});

describe('map files', () => {
  it('derive dataset names from ML4DQM file names', () => {
    expect(derivedDatasetName('/x/ZeroBias_2018A_DataFrame_1D_2.csv')).toBe('/ZeroBias/Run2018A-v1/DQMIO');
    expect(derivedDatasetName('/x/my data.csv')).toBe('/my_data/Local-v1/DQMIO');
  });

  it('name the field at fault', () => {
    expect(() => parseDialsMap({ datasets: [{ dataset_id: 1, dataset: 'nope' }] }, 'm.json')).toThrow(
      /m\.json: datasets\.0\.dataset: a dataset name/,
    );
    expect(() => parseDialsMap({ datasets: [], files: [{ dataset_id: 9, file_id: 1 }] }, 'm.json')).toThrow(
      /files\.0\.dataset_id: 9 is not in datasets/,
    );
    expect(() => parseDialsMap({ extra: 1 }, 'm.json')).toThrow(/m\.json/);
  });
});
