import { describe, expect, it } from 'vitest';
import { constraintOf, isSingle, restrictTo, runKeys, satisfies } from '../../src/extract/constraints.js';
import { chunkForPages, Narrower } from '../../src/extract/narrow.js';
import type { DqmClient } from '../../src/extract/types.js';

const H1 = 'lumisection_histograms_1d' as const;

describe('constraints', () => {
  const keys = runKeys(H1)!;
  it('reads every form of a run constraint', () => {
    expect(
      constraintOf({ lumisection__run__run_number__in: '1, 2', lumisection__run__run_number__gte: '0' }, keys),
    ).toEqual({ gte: 0, in: [1, 2] });
    expect(isSingle({ eq: 1 })).toBe(true);
    expect(isSingle({ gte: 3, lte: 3 })).toBe(true);
    expect(isSingle({ gte: 3 })).toBe(false);
    expect(satisfies({ gte: 2, lte: 4, in: [1, 3, 5] }, 3)).toBe(true);
    expect(satisfies({ gte: 2, lte: 4, in: [1, 3, 5] }, 5)).toBe(false);
  });
  it('restricts to values with eq, a range or a list', () => {
    const f = { lumisection__run__run_number__gte: 1, title: ['t'] };
    expect(restrictTo(f, keys, [5], true)).toEqual({ lumisection__run__run_number: 5, title: ['t'] });
    expect(restrictTo(f, keys, [5, 6, 9], true)).toEqual({
      lumisection__run__run_number__gte: 5,
      lumisection__run__run_number__lte: 9,
      title: ['t'],
    });
    expect(restrictTo(f, keys, [5, 9], false)).toEqual({ lumisection__run__run_number__in: [5, 9], title: ['t'] });
    expect(() => restrictTo({}, runKeys('lumisections')!, [1, 2], false)).toThrow(/cannot restrict run/);
  });
});

describe('chunkForPages', () => {
  it.each([
    [[1, 2, 3, 4], 200, 50, [[1], [2], [3], [4]]],
    [
      [1, 2, 3, 4, 5, 6, 7, 8],
      160,
      50,
      [
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
      ],
    ],
    [[1, 2, 3], 60, 50, [[1, 2], [3]]],
    [[1, 2], 51, 50, [[1], [2]]],
    [[7], 500, 50, [[7]]],
  ])('%j total %i per page %i', (values, total, perPage, expected) => {
    expect(chunkForPages(values, total, perPage)).toEqual(expected);
  });
});

describe('Narrower', () => {
  // Only listAll is used: a plain object stands in for the client.
  const client = {
    listAll: async (endpoint: string, filters: Record<string, unknown>) => {
      if (endpoint === 'runs') return [1, 2, 3, 4].map((run_number) => ({ run_number }));
      return Array.from({ length: 10 }, (_, i) => ({ run: filters.run, ls_number: i + 1 }));
    },
  } as unknown as DqmClient;
  const narrower = new Narrower(client, new AbortController().signal);

  it('splits a run range by server runs', async () => {
    const parts = await narrower.narrow(H1, { lumisection__run__run_number__gte: 2 }, 300, 50);
    expect(parts).toEqual([
      { lumisection__run__run_number: 2 },
      { lumisection__run__run_number: 3 },
      { lumisection__run__run_number: 4 },
    ]);
  });
  it('splits one run by lumisection ranges, keeping other filters', async () => {
    const parts = await narrower.narrow(H1, { lumisection__run__run_number: 2, entries__gte: 5 }, 100, 50);
    expect(parts).toEqual([
      {
        lumisection__run__run_number: 2,
        entries__gte: 5,
        lumisection__ls_number__gte: 1,
        lumisection__ls_number__lte: 5,
      },
      {
        lumisection__run__run_number: 2,
        entries__gte: 5,
        lumisection__ls_number__gte: 6,
        lumisection__ls_number__lte: 10,
      },
    ]);
  });
  it('keeps an __in lumisection list as lists', async () => {
    const parts = await narrower.narrow(
      H1,
      { lumisection__run__run_number: 2, lumisection__ls_number__in: [1, 3, 9] },
      60,
      50,
    );
    expect(parts).toEqual([
      { lumisection__run__run_number: 2, lumisection__ls_number__in: [1, 3] },
      { lumisection__run__run_number: 2, lumisection__ls_number: 9 },
    ]);
  });
  it('splits titles of one lumisection, then gives up', async () => {
    const f = { lumisection__run__run_number: 2, lumisection__ls_number: 4, title: ['a', 'b', 'c'] };
    expect(await narrower.narrow(H1, f, 120, 50)).toEqual([
      { ...f, title: ['a', 'b'] },
      { ...f, title: ['c'] },
    ]);
    expect(await narrower.narrow(H1, { ...f, title: ['a'] }, 60, 50)).toEqual([]);
  });
  it('does not narrow ordered endpoints', async () => {
    expect(await narrower.narrow('runs', {}, 100, 50)).toEqual([]);
  });
});
