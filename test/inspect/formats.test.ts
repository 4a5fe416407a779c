/**
 * Every format (Parquet, Arrow IPC file, Arrow IPC stream) x layout (nested, flat, tensor, array), 1D and
 * 2D, float32 and float64, partitioned or not, exported from the embedded server over the seeded
 * fixtures: `inspect` reads each and finds the same records, checks, shapes and means.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inspectDataset, type DatasetReport } from '../../src/inspect/index.js';
import { exportSeeded, type StreamSpec } from './export.js';

const FORMATS = ['parquet', 'arrow', 'arrows'] as const;
const LAYOUTS = ['nested', 'flat', 'tensor', 'array'] as const;

const STREAMS: StreamSpec[] = FORMATS.flatMap((format, f) =>
  LAYOUTS.flatMap((layout, l) =>
    ([1, 2] as const).map((dims) => ({
      name: `${format}_${layout}_${dims}d`,
      dims,
      format,
      layout,
      dtype: (f + l + dims) % 2 === 0 ? ('float32' as const) : ('float64' as const),
      partitioned: (f + l) % 2 === 0,
    })),
  ),
);

let root: string;
const reports = new Map<string, DatasetReport>();

beforeAll(async () => {
  root = await exportSeeded(STREAMS);
  for (const s of STREAMS) reports.set(s.name, await inspectDataset(join(root, s.name)));
}, 180_000);

/** What must be equal across formats and layouts. */
function essence(r: DatasetReport) {
  return {
    records: r.records,
    recordsPerRun: r.recordsPerRun,
    checks: r.checks,
    titles: r.titles.map((t) => ({
      title: t.title,
      dims: t.dims,
      records: t.records,
      shapes: t.shapes,
      x: [t.xBins, t.yBins],
      checks: t.checks,
      mean: t.mean.map((v) => Number(v.toPrecision(6))),
    })),
  };
}

describe('inspect reads every format x layout', () => {
  it.each(STREAMS.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    const r = reports.get(s.name)!;
    const reference = reports.get(`parquet_nested_${s.dims}d`)!;
    expect(r.complete).toBe(true);
    expect(r.formats).toEqual([s.format]);
    expect(r.dtype).toBe(s.dtype);
    expect(r.partitionBy).toEqual(s.partitioned ? ['run'] : []);
    // 1D nested and flat are the same Arrow type (list<float>), reported as nested.
    expect(r.layout).toBe(s.dims === 1 && s.layout === 'flat' ? 'nested' : s.layout);
    expect(essence(r)).toEqual(essence(reference));
    expect(r.records).toBe(s.dims === 1 ? 18 : 10);
  });
});
