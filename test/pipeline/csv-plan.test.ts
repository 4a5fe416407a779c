/**
 * `plan` on an ml4dqm-csv pipeline (the built CLI): per-slice records and bytes from the fast scan,
 * for slices by run and by title with filters on run, lumisection and title, equal to what `run`
 * then writes per partition (DuckDB), in the JSON and the human output; a filter the files cannot
 * satisfy (an unknown title) fails the plan as it fails the run.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDuckDB, sqlString } from '../helpers/duckdb.js';
import {
  duck,
  errorLine,
  removeTempDirs,
  runCli,
  tempDir,
  writeCsvData,
  writePipeline,
  summaryLine,
} from '../reliability/helpers.js';

const STREAMS = `streams:
  - name: h1d
    endpoint: lumisection_histograms_1d
    slice: {by: run}
    output: {path: h1d, partition_by: [run]}
  - name: h2d
    endpoint: lumisection_histograms_2d
    slice: {by: run}
    filters: {lumisection__run__run_number__gte: 320010, lumisection__ls_number__lte: 4, title: [PXLayer_0, PXLayer_2]}
    transform: {layout: tensor, dtype: float32}
    output: {path: h2d, partition_by: [run]}
  - name: by_title
    endpoint: lumisection_histograms_2d
    slice: {by: title}
    filters: {lumisection__run__run_number__in: [320000, 320030], lumisection__ls_number__gte: 3, title: [PXLayer_0, PXLayer_1, PXLayer_2]}
    output: {path: by_title}
`;

interface PlanJson {
  shards: null;
  streams: {
    name: string;
    slices: {
      key: string;
      partition: Record<string, unknown>;
      estimate: { records: number; pages: number; bytes: number };
    }[];
  }[];
}

let dir: string;
let pipeline: string;
let plan: PlanJson;

beforeAll(async () => {
  dir = await tempDir('dqm-csv-plan-');
  const data = join(dir, 'data');
  await mkdir(data);
  // Runs 320000..320040, 6 LS, 3 titles per dimensionality.
  await writeCsvData(data, { runs: 5, ls: 6, titles: 3, x1: 12, x2: 10, y2: 6 });
  pipeline = await writePipeline(
    data,
    `version: 1\nname: csv-plan\nsource: {type: ml4dqm-csv, files: ["*.csv"]}\n${STREAMS}`,
  );
  const r = await runCli(['plan', pipeline, '--json'], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  plan = JSON.parse(r.stdout) as PlanJson;
}, 240_000);

afterAll(async () => {
  closeDuckDB();
  await removeTempDirs();
});

/** Rows per group as DuckDB reads the dataset back. */
async function countsBy(root: string, column: string, hive: boolean): Promise<Record<string, number>> {
  const { rows } = await duck(
    `SELECT CAST(${column} AS VARCHAR) AS k, count(*) AS n FROM read_parquet(${sqlString(join(root, '**', '*.parquet'))}, hive_partitioning = ${hive}) GROUP BY 1`,
  );
  return Object.fromEntries(rows.map((r) => [String(r.k), Number(r.n)]));
}

describe('plan on CSV files', () => {
  it('JSON: the slices a run makes, with exact record counts, byte estimates and no pages', () => {
    const byName = Object.fromEntries(plan.streams.map((s) => [s.name, s]));
    expect(plan.shards).toBeNull();
    expect(byName.h1d.slices.map((s) => s.partition)).toEqual(
      [320000, 320010, 320020, 320030, 320040].map((run) => ({ run })),
    );
    // Every 1D row: 6 LS x 3 titles per run.
    expect(byName.h1d.slices.map((s) => s.estimate.records)).toEqual([18, 18, 18, 18, 18]);
    // Run >= 320010 (no slice for 320000), LS <= 4, two of three titles.
    expect(byName.h2d.slices.map((s) => s.partition.run)).toEqual([320010, 320020, 320030, 320040]);
    expect(byName.h2d.slices.map((s) => s.estimate.records)).toEqual([8, 8, 8, 8]);
    // Two runs, LS >= 3 (4 of 6), one slice per title.
    expect(byName.by_title.slices.map((s) => s.estimate.records)).toEqual([8, 8, 8]);
    for (const s of plan.streams.flatMap((x) => x.slices)) {
      expect(s.estimate.pages).toBe(0);
      expect(s.estimate.bytes > 0).toBe(s.estimate.records > 0);
    }
  });

  it('run writes what plan counted, slice by slice (DuckDB)', async () => {
    const out = join(dir, 'out');
    const r = await runCli(['run', pipeline, '--out', out, '--no-progress'], { timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const written = {
      h1d: await countsBy(join(out, 'h1d'), 'run', true),
      h2d: await countsBy(join(out, 'h2d'), 'run', true),
      by_title: await countsBy(join(out, 'by_title'), 'title', false),
    };
    for (const s of plan.streams) {
      const counts = written[s.name as keyof typeof written];
      const planned = Object.fromEntries(
        s.slices
          .filter((x) => x.estimate.records > 0)
          .map((x) => [
            s.name === 'by_title' ? x.key.replace(/^title=/, '') : String(x.partition.run),
            x.estimate.records,
          ]),
      );
      expect(counts, s.name).toEqual(planned);
    }
    // The run's own total (the progress bar's) is the plan's.
    const summary = summaryLine<{
      streams: { stream: string; records: number }[];
    }>(r);
    for (const s of plan.streams)
      expect(summary.streams.find((x) => x.stream === s.name)!.records).toBe(
        s.slices.reduce((n, x) => n + x.estimate.records, 0),
      );
  }, 240_000);

  it('the human output: one row per stream with its slices and records', async () => {
    const r = await runCli(['plan', pipeline], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const row = (name: string) => r.stdout.split('\n').find((l) => l.trimStart().startsWith(name + ' '))!;
    expect(row('h1d')).toMatch(/lumisection_histograms_1d\s+5\s+90\s+0\s+\S+/);
    expect(row('h2d')).toMatch(/lumisection_histograms_2d\s+4\s+32\s+0\s+\S+/);
    expect(row('by_title')).toMatch(/lumisection_histograms_2d\s+3\s+24\s+0\s+\S+/);
  }, 240_000);

  it('an unknown title fails the plan with the reason the run would give, exit non-zero', async () => {
    const bad = await writePipeline(
      join(dir, 'data'),
      `version: 1\nname: bad\nsource: {type: ml4dqm-csv, files: ["*.csv"]}\nstreams:\n  - {name: h2d, endpoint: lumisection_histograms_2d, filters: {title: [NoSuchTitle]}, output: {path: h2d}}\n`,
      'bad.yaml',
    );
    const planned = await runCli(['plan', bad], { timeoutMs: 120_000 });
    const ran = await runCli(['run', bad, '--out', join(dir, 'bad-out'), '--no-progress'], { timeoutMs: 120_000 });
    expect(planned.code).not.toBe(0);
    expect(errorLine(planned.stderr)).toMatchObject({ code: 'E_HTTP_400' });
    expect(errorLine(planned.stderr)!.message).toMatch(/NoSuchTitle/);
    expect(errorLine(planned.stderr)).toEqual(errorLine(ran.stderr));
    expect(ran.code).toBe(planned.code);
  }, 240_000);
});
