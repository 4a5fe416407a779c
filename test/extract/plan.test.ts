import { describe, expect, it } from 'vitest';
import { ConfigError, InternalError } from '../../src/errors.js';
import { planSlices, runListFilters, runsInScope, type StreamSpec } from '../../src/extract/plan.js';

const RUNS = [315705, 315713, 316457, 315488, 315252, 315262];
const H1 = 'lumisection_histograms_1d' as const;

describe('planSlices', () => {
  it('one slice when not sliced', () => {
    expect(planSlices({ endpoint: 'runs' })).toEqual([{ key: 'all', endpoint: 'runs', filters: {}, partition: {} }]);
  });

  it('one slice per run, from the run list, within gte/lte', () => {
    const slices = planSlices(
      {
        endpoint: H1,
        filters: {
          lumisection__run__run_number__gte: 315488,
          lumisection__run__run_number__lte: 315713,
          entries__gte: 1,
        },
        sliceBy: ['run'],
      },
      { runs: RUNS },
    );
    expect(slices).toEqual([
      {
        key: 'run=315488',
        endpoint: H1,
        filters: { entries__gte: 1, lumisection__run__run_number: 315488 },
        partition: { run: 315488 },
      },
      {
        key: 'run=315705',
        endpoint: H1,
        filters: { entries__gte: 1, lumisection__run__run_number: 315705 },
        partition: { run: 315705 },
      },
      {
        key: 'run=315713',
        endpoint: H1,
        filters: { entries__gte: 1, lumisection__run__run_number: 315713 },
        partition: { run: 315713 },
      },
    ]);
  });

  it('maps __in (list or comma string) to runs', () => {
    const a = planSlices(
      { endpoint: H1, filters: { lumisection__run__run_number__in: [316457, 315705, 999] }, sliceBy: ['run'] },
      { runs: RUNS },
    );
    const b = planSlices(
      { endpoint: H1, filters: { lumisection__run__run_number__in: '316457,315705' }, sliceBy: ['run'] },
      { runs: RUNS },
    );
    expect(a.map((s) => s.key)).toEqual(['run=315705', 'run=316457']);
    expect(b).toEqual(a);
  });

  it('uses explicit runs without a run list, intersected with the filters', () => {
    const s = planSlices({
      endpoint: H1,
      runs: [3, 1, 2, 2],
      filters: { lumisection__run__run_number__gte: 2 },
      sliceBy: ['run'],
    });
    expect(s.map((x) => x.partition)).toEqual([{ run: 2 }, { run: 3 }]);
  });

  it('slices lumisections by their `run` filter', () => {
    const s = planSlices({ endpoint: 'lumisections', sliceBy: ['run'] }, { runs: [2, 1] });
    expect(s.map((x) => x.filters)).toEqual([{ run: 1 }, { run: 2 }]);
  });

  it('chunks consecutive server runs into gte/lte ranges', () => {
    const s = planSlices({ endpoint: H1, sliceBy: ['run-range'], runsPerSlice: 4 }, { runs: RUNS });
    expect(s).toEqual([
      {
        key: 'runs=315252..315705',
        endpoint: H1,
        filters: { lumisection__run__run_number__gte: 315252, lumisection__run__run_number__lte: 315705 },
        partition: { run_from: 315252, run_to: 315705 },
      },
      {
        key: 'runs=315713..316457',
        endpoint: H1,
        filters: { lumisection__run__run_number__gte: 315713, lumisection__run__run_number__lte: 316457 },
        partition: { run_from: 315713, run_to: 316457 },
      },
    ]);
  });

  it('chunks an explicit run list as __in lists (it may skip server runs)', () => {
    const s = planSlices({ endpoint: H1, runs: [1, 5, 9], sliceBy: ['run-range'], runsPerSlice: 2 });
    expect(s.map((x) => x.filters)).toEqual([
      { lumisection__run__run_number__in: [1, 5] },
      { lumisection__run__run_number: 9 },
    ]);
  });

  it('slices by title, and by run x title', () => {
    const stream: StreamSpec & { endpoint: typeof H1 } = {
      endpoint: H1,
      filters: { title: ['a', 'b/c'] },
      sliceBy: ['run', 'title'],
    };
    const s = planSlices(stream, { runs: [2, 1] });
    expect(s.map((x) => x.key)).toEqual(['run=1/title=a', 'run=1/title=b%2Fc', 'run=2/title=a', 'run=2/title=b%2Fc']);
    expect(s[1]).toMatchObject({
      filters: { lumisection__run__run_number: 1, title: ['b/c'] },
      partition: { run: 1, title: 'b/c' },
    });
  });

  it('takes titles from the context when the filter does not list them', () => {
    expect(planSlices({ endpoint: H1, sliceBy: ['title'] }, { titles: ['x'] })[0].filters).toEqual({ title: ['x'] });
  });

  it('plans nothing when no run matches', () => {
    expect(
      planSlices({ endpoint: H1, filters: { lumisection__run__run_number: 1 }, sliceBy: ['run'] }, { runs: RUNS }),
    ).toEqual([]);
  });

  it('is pure: same input, same output, input untouched', () => {
    const stream = { endpoint: H1, filters: { lumisection__run__run_number__in: [315705] }, sliceBy: ['run'] as const };
    const copy = JSON.parse(JSON.stringify(stream));
    expect(planSlices(stream, { runs: RUNS })).toEqual(planSlices(stream, { runs: RUNS }));
    expect(stream).toEqual(copy);
  });

  it.each([
    [
      'unknown filter',
      { endpoint: H1, filters: { run: 1 } },
      {},
      ConfigError,
      /unknown filter run .*Valid values are: lumisection__run__run_number,/,
    ],
    [
      'slicing data files',
      { endpoint: 'histogram_data_files', sliceBy: ['run'] },
      {},
      ConfigError,
      /cannot slice histogram_data_files by run/,
    ],
    [
      'run-range on lumisections',
      { endpoint: 'lumisections', sliceBy: ['run-range'] },
      {},
      ConfigError,
      /Valid values are: run$/,
    ],
    [
      'run and run-range',
      { endpoint: H1, sliceBy: ['run', 'run-range'] },
      { runs: [] },
      ConfigError,
      /both run and run-range/,
    ],
    ['repeated dimension', { endpoint: H1, sliceBy: ['title', 'title'] }, {}, ConfigError, /repeats/],
    ['title without titles', { endpoint: H1, sliceBy: ['title'] }, {}, ConfigError, /list them in the title filter/],
    [
      'bad runsPerSlice',
      { endpoint: H1, sliceBy: ['run-range'], runsPerSlice: 0 },
      { runs: [1] },
      ConfigError,
      /runsPerSlice/,
    ],
    [
      'non-numeric run filter',
      { endpoint: H1, filters: { lumisection__run__run_number__gte: 'abc' }, sliceBy: ['run'] },
      { runs: [1] },
      ConfigError,
      /lumisection__run__run_number__gte: expected an integer, got "abc"/,
    ],
    ['no run list', { endpoint: H1, sliceBy: ['run'] }, {}, InternalError, /needs context.runs/],
  ])('%s', (_name, stream, context, cls, message) => {
    const run = () => planSlices(stream as StreamSpec, context);
    expect(run).toThrow(cls);
    expect(run).toThrow(message);
  });
});

describe('run list helpers', () => {
  it('filters runs client-side', () => {
    expect(runsInScope(H1, { lumisection__run__run_number__lte: 315488 }, RUNS)).toEqual([315252, 315262, 315488]);
    expect(runsInScope('lumisections', { run: 315705 }, RUNS)).toEqual([315705]);
    expect(runsInScope('histogram_data_files', {}, [2, 1, 2])).toEqual([1, 2]);
  });
  it('asks /api/runs/ for run_number only when a single run is named', () => {
    expect(runListFilters(H1, { lumisection__run__run_number: 315705 })).toEqual({ run_number: 315705 });
    expect(runListFilters(H1, { lumisection__run__run_number__gte: 315705 })).toEqual({});
    expect(runListFilters('lumisections', { run: 7 })).toEqual({ run_number: 7 });
  });
});
