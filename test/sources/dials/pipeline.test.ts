/**
 * DIALS pipelines end to end against `serve --api dials` over the captures' data: every record once,
 * DIALS field names, th2 y-outer data equal to the fixture rows, completeness proofs in the manifest,
 * gateway timeouts answered with smaller pages, and clear errors for bad credentials and workspaces.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/log.js';
import { runPipeline } from '../../../src/pipeline/run-pipeline.js';
import type { RunningServer } from '../../../src/server/index.js';
import { CAPTURE_TOKEN, dialsRows, startDialsFixtureServer } from '../../helpers/dials.js';
import { closeDuckDB, queryParquet, sqlString } from '../../helpers/duckdb.js';

let work: string;
let server: RunningServer;

function pipeline(streams: string, source = ''): string {
  return `version: 1
name: dials-test
source:
  type: dials
  url: \${URL}
  token: \${DIALS_TOKEN:-}
  workspace: tracker
${source}streams:
${streams}`;
}

async function run(text: string, env: Record<string, string>, out: string) {
  const file = join(work, `p-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  const loaded = await loadPipeline(file, { env: { URL: server.url, ...env } });
  return runPipeline(loaded, { logger: silentLogger, outDir: out, env: {} });
}

const parquet = (dir: string) => `read_parquet(${sqlString(join(dir, '**', '*.parquet'))}, hive_partitioning = true)`;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'dials-pipeline-'));
  server = await startDialsFixtureServer();
}, 240_000);

afterAll(async () => {
  await server?.close();
  await closeDuckDB();
  await rm(work, { recursive: true, force: true });
});

describe('DIALS pipeline', () => {
  it('exports th1, th2, run and lumisection completely, with DIALS names and y-outer 2D data', async () => {
    const out = join(work, 'full');
    const summary = await run(
      pipeline(`  - name: th1
    endpoint: th1
    slice: {by: run}
    output: {path: th1, partition_by: [run_number]}
  - name: th2
    endpoint: th2
    filters: {me_id: 3}
    slice: {by: run}
    transform: {layout: tensor}
    output: {path: th2}
  - name: th2all
    endpoint: th2
    slice: {by: run-range, size: 2}
    output: {path: th2all}
  - name: runs
    endpoint: run
    output: {path: runs}
  - name: ls
    endpoint: lumisection
    slice: {by: dataset}
    output: {path: ls}
`),
      { DIALS_TOKEN: CAPTURE_TOKEN },
      out,
    );
    expect(summary.exitCode).toBe(0);
    const rows = dialsRows();
    expect(summary.streams.map((s) => [s.stream, s.records])).toEqual([
      ['th1', rows.th1.length],
      ['th2', rows.th2.filter((r) => r[3] === 3).length],
      ['th2all', rows.th2.length],
      ['runs', 10],
      ['ls', 300],
    ]);
    const th1 = await queryParquet(
      `SELECT count(*) AS n, count(DISTINCT (dataset_id, run_number, ls_number, me_id)) AS k FROM ${parquet(join(out, 'th1'))}`,
    );
    expect(th1.rows[0]).toEqual({ n: BigInt(rows.th1.length), k: BigInt(rows.th1.length) });
    const cols = await queryParquet(`SELECT * FROM ${parquet(join(out, 'th1'))} LIMIT 1`);
    expect(Object.keys(cols.rows[0])).toEqual([
      'dataset_id',
      'dataset',
      'me',
      'file_id',
      'ls_number',
      'me_id',
      'x_min',
      'x_max',
      'x_bin',
      'entries',
      'data',
      'run_number',
    ]);

    // y-outer: data[iy][ix] as the fixture rows hold it (72 x 56 for ME 3)
    const sample = rows.th2.find((r) => r[3] === 3 && r[12] !== null)!;
    const [ds, runNumber, ls] = sample;
    const got = await queryParquet(
      `SELECT x_bin, y_bin, data FROM ${parquet(join(out, 'th2all'))} WHERE dataset_id = ${ds} AND run_number = ${runNumber} AND ls_number = ${ls} AND me_id = 3`,
    );
    expect(got.rows[0].x_bin).toBe(72);
    expect(got.rows[0].y_bin).toBe(56);
    const data = got.rows[0].data as number[][];
    expect(data.length).toBe(56);
    expect(data[0].length).toBe(72);
    expect(data).toEqual(sample[12]);

    const manifest = JSON.parse(await readFile(join(out, 'th1', '.dqm-export', 'manifest.json'), 'utf8')) as {
      completeness: Record<string, string>;
      source: { url: string };
    };
    expect(new Set(Object.values(manifest.completeness))).toEqual(new Set(['lumisection-counts']));
    expect(manifest.source.url).toBe(`${server.url}/api/v1/th1/`);
    const th2 = JSON.parse(await readFile(join(out, 'th2', '.dqm-export', 'manifest.json'), 'utf8')) as {
      completeness: Record<string, string>;
    };
    expect(new Set(Object.values(th2.completeness))).toEqual(new Set(['cursor-end']));
    const runs = JSON.parse(await readFile(join(out, 'runs', '.dqm-export', 'manifest.json'), 'utf8')) as {
      completeness: Record<string, string>;
    };
    expect(runs.completeness).toEqual({ all: 'count-endpoint' });
  }, 180_000);

  it('an unknown workspace is a config error naming the valid ones; a bad token says what to do', async () => {
    const stream = `  - name: runs\n    endpoint: run\n    output: {path: runs}\n`;
    const ws = await run(
      pipeline(stream).replace('workspace: tracker', 'workspace: pixel'),
      { DIALS_TOKEN: CAPTURE_TOKEN },
      join(work, 'ws'),
    ).catch((e: unknown) => e as Error & { code: string });
    expect((ws as { code: string }).code).toBe('E_DIALS_WORKSPACE');
    expect((ws as Error).message).toMatch(/unknown DIALS workspace pixel.*valid workspaces: .*tracker/);
    const bad = await run(pipeline(stream), { DIALS_TOKEN: 'not-a-valid-token' }, join(work, 'bad')).catch(
      (e: unknown) => e as Error & { code: string },
    );
    expect((bad as { code: string }).code).toBe('E_DIALS_TOKEN_INVALID');
    expect((bad as Error).message).not.toContain('not-a-valid-token');
  }, 180_000);
});
