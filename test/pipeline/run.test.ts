/**
 * End to end: the built CLI runs a pipeline against the embedded server (fault-free, and with
 * shuffled pages, failures, resets and truncation), and DuckDB reads the dataset back. A kill -9 in
 * the middle of a run followed by --resume gives the same data as a clean run.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { CRASH_ENV, CRASH_POINTS } from '../../src/crash-points.js';
import { closeDuckDB, queryParquet, sqlString } from '../helpers/duckdb.js';
import { DIST_CLI } from '../helpers/server.js';

// Each test runs the built CLI several times; under a busy machine (load 20-35 seen) one took over
// the default 60 s: a time limit is not what these tests check.
vi.setConfig({ testTimeout: 240_000 });

const PIPELINE = `
version: 1
name: e2e
source:
  type: dqm-playground
  url: \${DQM_PLAYGROUND_URL}
  token: \${DQM_PLAYGROUND_TOKEN}
  concurrency: 8
  retries: 12
streams:
  - name: h1d
    endpoint: lumisection_histograms_1d
    slice: {by: run}
    output: {path: h1d, partition_by: [run], mode: overwrite}
  - name: h2d
    endpoint: lumisection_histograms_2d
    slice: {by: run}
    transform: {layout: tensor, dtype: float32}
    output: {path: h2d, partition_by: [run], mode: overwrite}
`;

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DIST_CLI, ...args], {
      env: { ...process.env, CI: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function datasetDigest(root: string): Promise<string[]> {
  const glob = sqlString(join(root, '**', '*.parquet'));
  const r = await queryParquet(
    `SELECT run, lumisection, title, entries, md5(CAST(data AS VARCHAR)) AS h FROM read_parquet(${glob}, hive_partitioning = true) ORDER BY run, lumisection, title`,
  );
  return r.rows.map((row) => JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));
}

const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  closeDuckDB();
});

async function setup(options: Parameters<typeof startServer>[0] = {}) {
  const server = await startServer({ port: 0, ...options });
  servers.push(server);
  const dir = await mkdtemp(join(tmpdir(), 'dqm-run-'));
  await writeFile(join(dir, 'p.yaml'), PIPELINE);
  return { server, dir, env: { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: server.userToken } };
}

describe('dqm-export run', () => {
  it('exports every record once, readable by DuckDB, with manifest and _SUCCESS, no token anywhere', async () => {
    const { server, dir, env } = await setup();
    const res = await runCli(['run', join(dir, 'p.yaml')], env);
    expect(res.stderr + res.stdout).not.toContain(server.userToken);
    expect(res.code, res.stderr).toBe(0);
    const summary = JSON.parse(res.stdout.trim().split('\n').pop()!);
    expect(summary.streams.map((s: { records: number }) => s.records)).toEqual([249, 240]);
    const types = await queryParquet(
      `SELECT typeof(data) AS t, count(*) AS n, count(DISTINCT id) AS d FROM read_parquet(${sqlString(join(dir, 'h2d', '**', '*.parquet'))}) GROUP BY 1`,
    );
    expect(types.rows).toEqual([{ t: 'FLOAT[]', n: 240n, d: 240n }]);
    expect(existsSync(join(dir, 'h2d', '.dqm-export', '_SUCCESS'))).toBe(true);
    const manifest = await readFile(join(dir, 'h2d', '.dqm-export', 'manifest.json'), 'utf8');
    expect(JSON.parse(manifest).rows).toBe(240);
    expect(manifest).not.toContain(server.userToken);
  });

  it('with shuffled pages and faults, the dataset equals a fault-free run', async () => {
    const clean = await setup();
    expect((await runCli(['run', join(clean.dir, 'p.yaml')], clean.env)).code).toBe(0);
    const faulty = await setup({
      shuffle: true,
      failRate: 0.1,
      resetRate: 0.02,
      truncateRate: 0.02,
      pageSize: 20,
      seed: 7,
    });
    const res = await runCli(['run', join(faulty.dir, 'p.yaml')], faulty.env);
    expect(res.code, res.stderr).toBe(0);
    for (const stream of ['h1d', 'h2d']) {
      expect(await datasetDigest(join(faulty.dir, stream))).toEqual(await datasetDigest(join(clean.dir, stream)));
    }
  });

  it('kill -9 mid-run, then --resume, gives the same dataset as a clean run', async () => {
    const clean = await setup();
    expect((await runCli(['run', join(clean.dir, 'p.yaml')], clean.env)).code).toBe(0);
    // Killed by a crash point right after the second slice commit: mid-run on any machine, loaded or not.
    const slow = await setup({ latencyMs: 40 });
    const killed = await runCli(['run', join(slow.dir, 'p.yaml'), '--concurrency', '2'], {
      ...slow.env,
      [CRASH_ENV]: `${CRASH_POINTS.commit}:2`,
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(slow.dir, 'h2d', '.dqm-export', '_SUCCESS'))).toBe(false);
    const resumed = await runCli(['run', join(slow.dir, 'p.yaml'), '--resume'], slow.env);
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const stream of ['h1d', 'h2d']) {
      expect(await datasetDigest(join(slow.dir, stream))).toEqual(await datasetDigest(join(clean.dir, stream)));
    }
  });

  it('an invalid pipeline exits 2 with a file:line message and writes nothing', async () => {
    const { dir, env } = await setup();
    await writeFile(join(dir, 'bad.yaml'), PIPELINE.replace('layout: tensor', 'layout: tensorr'));
    const res = await runCli(['run', join(dir, 'bad.yaml')], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/bad\.yaml:\d+:\d+/);
    expect(existsSync(join(dir, 'h1d'))).toBe(false);
  });
});
