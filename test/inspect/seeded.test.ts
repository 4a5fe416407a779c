/**
 * `inspect` on a dataset exported from the embedded server over CSV fixtures seeded with known
 * problems (test/fixtures/inspect), then with a file appended after the export. Every expected count
 * follows from how the fixtures were built:
 *
 * 1D, 5 bins, runs 1001 (LS 1-6) and 1002 (LS 1-4):
 * - hitResiduals, run 1001: LS 2 all zero, LS 3 one negative bin, LS 4 entries 0.
 *   run 1002: LS 1, 2, 4 (LS 3 absent); LS 4 all in the last bin (the planted outlier).
 * - clusterCharge, run 1001: LS 1-4, 6 (LS 5 absent). run 1002: LS 1-4, LS 2 all zero with entries 0.
 * 2D, 4 x 3 bins: occupancy, run 1001 LS 1-6 (LS 6 all zero), run 1002 LS 1-4.
 * Appended (run=1002/part-appended.arrows, not in the manifest): hitResiduals LS 3 with a NaN bin
 * (filling the gap), and a second clusterCharge LS 1 (a duplicate key).
 */
import { rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Dictionary, Field, Float64, Int32, Int64, List, Table, Utf8, tableToIPC, vectorFromArray } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspectDataset } from '../../src/inspect/index.js';
import type { CheckCounts, DatasetReport } from '../../src/inspect/index.js';
import { exportSeeded } from './export.js';

let root: string;

beforeAll(async () => {
  root = await exportSeeded([
    { name: 'h1d', dims: 1 },
    { name: 'h2d', dims: 2, layout: 'tensor', dtype: 'float32' },
  ]);
}, 240_000);

const title = (r: DatasetReport, name: string) => r.titles.find((t) => t.title === name)!;
const checks = (partial: Partial<CheckCounts>): CheckCounts => ({
  emptyHistograms: 0,
  nanHistograms: 0,
  negativeHistograms: 0,
  zeroEntries: 0,
  missingLumisections: 0,
  duplicateKeys: 0,
  shapeMismatches: 0,
  ...partial,
});

async function appendProblems(dataset: string): Promise<void> {
  const item = new Field('item', new Float64(), true);
  const table = new Table({
    id: vectorFromArray([9001n, 9002n], new Int64()),
    lumisection: vectorFromArray([3, 1], new Int32()),
    title: vectorFromArray(['hitResiduals', 'clusterCharge'], new Dictionary(new Utf8(), new Int32())),
    entries: vectorFromArray([20n, 40n], new Int64()),
    x_min: vectorFromArray([-5, -5], new Float64()),
    x_max: vectorFromArray([5, 5], new Float64()),
    x_bin: vectorFromArray([5, 5], new Int32()),
    data: vectorFromArray(
      [
        [1, 4, NaN, 4, 1],
        [2, 8, 20, 8, 2],
      ],
      new List(item),
    ),
  });
  await mkdir(join(dataset, 'run=1002'), { recursive: true });
  await writeFile(join(dataset, 'run=1002', 'part-appended.arrows'), tableToIPC(table, 'stream'));
}

describe('inspect: seeded dataset', () => {
  it('counts every check exactly on the clean export', async () => {
    const r = await inspectDataset(join(root, 'h1d'));
    expect(r.complete).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.records).toBe(18);
    expect(r.recordsPerRun).toEqual({ 1001: 11, 1002: 7 });
    expect(r.layout).toBe('nested');
    expect(r.dtype).toBe('float64');
    expect(r.partitionBy).toEqual(['run']);
    expect(r.provenance?.endpoint).toBe('lumisection_histograms_1d');
    expect(r.provenance?.configHash).toMatch(/^[0-9a-f]{64}$/);
    expect(title(r, 'hitResiduals').checks).toEqual(
      checks({ emptyHistograms: 1, negativeHistograms: 1, zeroEntries: 1, missingLumisections: 1 }),
    );
    expect(title(r, 'clusterCharge').checks).toEqual(
      checks({ emptyHistograms: 1, zeroEntries: 1, missingLumisections: 1 }),
    );
    expect(r.checks).toEqual(
      checks({ emptyHistograms: 2, negativeHistograms: 1, zeroEntries: 2, missingLumisections: 2 }),
    );
  });

  it('finds the planted outlier, the mean, the percentiles and the entries series', async () => {
    const r = await inspectDataset(join(root, 'h1d'), { titles: ['hitResiduals'] });
    const t = title(r, 'hitResiduals');
    expect(r.titles.map((x) => x.title)).toEqual(['hitResiduals']);
    expect(t.shapes).toEqual({ 5: 9 });
    expect(t.xRange).toEqual([-5, 5]);
    expect(t.outliers[0]).toMatchObject({ run: 1002, lumisection: 4, values: [0, 0, 0, 0, 20] });
    // Bin 2 over the 9 records: six 10s, two 0s (empty, planted), one -3.
    expect(t.inMean).toBe(9);
    expect(t.mean[2]).toBeCloseTo(57 / 9, 12);
    const median = t.percentiles.find((p) => p.p === 50)!.values[2]!;
    expect(Math.abs(median - 10)).toBeLessThanOrEqual(13 / 256);
    expect(t.entries).toEqual([
      {
        run: 1001,
        points: [
          [1, 20],
          [2, 20],
          [3, 20],
          [4, 0],
          [5, 20],
          [6, 20],
        ],
      },
      {
        run: 1002,
        points: [
          [1, 20],
          [2, 20],
          [4, 20],
        ],
      },
    ]);
  });

  it('counts the 2D checks and reads the tensor shape and axis ranges', async () => {
    const r = await inspectDataset(join(root, 'h2d'));
    const t = title(r, 'occupancy');
    expect(r.layout).toBe('tensor');
    expect(r.dtype).toBe('float32');
    expect(t.dims).toBe(2);
    expect([t.xBins, t.yBins]).toEqual([4, 3]);
    expect(t.xRange).toEqual([-2, 2]);
    expect(t.yRange).toEqual([-1.5, 1.5]);
    expect(t.checks).toEqual(checks({ emptyHistograms: 1 }));
    expect(t.mean.slice(4, 8)).toEqual([2, 4, 6, 8].map((v) => (v * 9) / 10));
  });

  it('--run and --title restrict the records', async () => {
    const r = await inspectDataset(join(root, 'h1d'), { runs: [1002], titles: ['clusterCharge'] });
    expect(r.records).toBe(4);
    expect(r.titles.map((t) => [t.title, t.records])).toEqual([['clusterCharge', 4]]);
    expect(r.checks).toEqual(checks({ emptyHistograms: 1, zeroEntries: 1 }));
  });

  it('after appending a file: the NaN and the duplicate are counted, and the stray file is a problem', async () => {
    const dataset = join(root, 'h1d');
    await appendProblems(dataset);
    const r = await inspectDataset(dataset);
    expect(r.records).toBe(20);
    expect(title(r, 'hitResiduals').checks).toEqual(
      checks({ emptyHistograms: 1, nanHistograms: 1, negativeHistograms: 1, zeroEntries: 1 }),
    );
    expect(title(r, 'clusterCharge').checks).toEqual(
      checks({ emptyHistograms: 1, zeroEntries: 1, missingLumisections: 1, duplicateKeys: 1 }),
    );
    expect(r.checks).toEqual(
      checks({
        emptyHistograms: 2,
        nanHistograms: 1,
        negativeHistograms: 1,
        zeroEntries: 2,
        missingLumisections: 1,
        duplicateKeys: 1,
      }),
    );
    expect(r.formats.sort()).toEqual(['arrows', 'parquet']);
    expect(r.complete).toBe(false);
    expect(r.problems).toEqual(['data files not in the manifest: 1 (first: run=1002/part-appended.arrows)']);
    // The NaN histogram is left out of the mean, the percentiles and the ranking.
    expect(title(r, 'hitResiduals').inMean).toBe(9);
  });

  it('says a dataset without its commit marker is incomplete, and reads the manifest from .dqm-export/', async () => {
    const dataset = join(root, 'h2d');
    await rm(join(dataset, '_SUCCESS'), { force: true });
    await rm(join(dataset, '.dqm-export', '_SUCCESS'), { force: true });
    await mkdir(join(dataset, '.dqm-export'), { recursive: true });
    await rename(join(dataset, 'manifest.json'), join(dataset, '.dqm-export', 'manifest.json')).catch(() => undefined);
    const r = await inspectDataset(dataset);
    expect(r.complete).toBe(false);
    expect(r.provenance?.endpoint).toBe('lumisection_histograms_2d');
    expect(r.problems).toEqual([expect.stringContaining('no _SUCCESS marker')]);
    await rm(join(dataset, '.dqm-export', 'manifest.json'));
    const bare = await inspectDataset(dataset);
    expect(bare.provenance).toBeNull();
    expect(bare.problems[0]).toContain('no manifest');
    expect(bare.records).toBe(10);
  });
});
