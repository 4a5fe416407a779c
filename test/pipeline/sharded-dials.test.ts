/**
 * A sharded DIALS export end to end: `plan --shards 3 --write-plan` against `serve --api dials` (the
 * captures' fixture data), three `run --plan --shard I` processes, one of them SIGKILLed after its
 * first commit and run again with `--resume`, then `finalize --verify`. Read back with DuckDB, the
 * dataset equals a single run's row for row, and the completeness proof of every slice (lumisection
 * counts, the `count/` route, the end of the cursor walk) travels from the shard manifests into the
 * finalized manifest, equal to what the single run recorded.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_ENV } from '../../src/crash-points.js';
import type { RunningServer } from '../../src/server/index.js';
import { CAPTURE_TOKEN, startDialsFixtureServer } from '../helpers/dials.js';
import { closeDuckDB, queryParquet, sqlString } from '../helpers/duckdb.js';
import { DIST_CLI } from '../helpers/server.js';

const PIPELINE = (url: string) => `
version: 1
name: sharded-dials
source:
  type: dials
  url: '${url}'
  page_size: 25
  concurrency: 3
streams:
  - name: th2
    endpoint: th2
    slice: {by: run}
    output: {path: th2, partition_by: [run_number]}
  - name: th1
    endpoint: th1
    slice: {by: run-range, size: 2}
    filters: {me__regex: '.*'}
    output: {path: th1}
  - name: ls
    endpoint: lumisection
    slice: {by: dataset}
    output: {path: ls}
`;
const STREAMS = ['th2', 'th1', 'ls'] as const;

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

let server: RunningServer;
let work: string;
let pipelineFile: string;

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DIST_CLI, ...args, '--log-level', 'warn'], {
      env: { ...process.env, CI: '1', DIALS_TOKEN: CAPTURE_TOKEN, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Every row of a stream's dataset (all columns), in natural-key order, as plain JSON values. */
async function rows(root: string): Promise<unknown[]> {
  const order = root.endsWith('ls') ? 'dataset_id, run_number, ls_number' : 'dataset_id, run_number, ls_number, me_id';
  const { rows: out } = await queryParquet(
    `SELECT * FROM read_parquet(${sqlString(join(root, '**', '*.parquet'))}, hive_partitioning = true) ORDER BY ${order}`,
  );
  return out.map((r) => JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))));
}

async function manifest(root: string): Promise<{ rows: number; completeness?: Record<string, string> }> {
  return JSON.parse(await readFile(join(root, '.dqm-export', 'manifest.json'), 'utf8'));
}

beforeAll(async () => {
  server = await startDialsFixtureServer();
  work = await mkdtemp(join(tmpdir(), 'dqm-shards-dials-'));
  pipelineFile = join(work, 'p.yaml');
  await writeFile(pipelineFile, PIPELINE(server.url));
}, 240_000);

afterAll(async () => {
  await server?.close();
  closeDuckDB();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('sharded DIALS export', () => {
  it('3 shards (one killed after a commit, then resumed) + finalize --verify equal a single run, proofs included', async () => {
    const single = join(work, 'single');
    const one = await cli(['run', pipelineFile, '--out', single]);
    expect(one.code, one.stderr).toBe(0);

    const plan = join(work, 'plan.json');
    const planned = await cli(['plan', pipelineFile, '--shards', '3', '--write-plan', plan, '--no-probe']);
    expect(planned.code, planned.stderr).toBe(0);
    const planFile = JSON.parse(await readFile(plan, 'utf8')) as {
      streams: { name: string; slices: { key: string; shard: number }[] }[];
    };
    expect(planFile.streams.map((s) => s.slices.length)).toEqual([5, 3, 2]);

    const out = join(work, 'sharded');
    const shardArgs = (i: number) => ['run', pipelineFile, '--out', out, '--plan', plan, '--shard', String(i)];
    const [first, killed] = await Promise.all([
      cli(shardArgs(0)),
      cli(shardArgs(1), { [CRASH_ENV]: 'commit:1' }),
      cli(shardArgs(2)).then((r) => expect(r.code, r.stderr).toBe(0)),
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(killed.signal, killed.stderr).toBe('SIGKILL');

    // Shard 1 has not finished: finalize names it and marks nothing complete.
    const early = await cli(['finalize', pipelineFile, '--out', out, '--plan', plan]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/E_FINALIZE_INCOMPLETE.*missing shards: 1\b/);
    expect(existsSync(join(out, 'th2', '.dqm-export', '_SUCCESS'))).toBe(false);

    const rerun = await cli([...shardArgs(1), '--resume']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const f = await cli(['finalize', pipelineFile, '--out', out, '--plan', plan, '--verify', '--json']);
    expect(f.code, f.stderr).toBe(0);

    for (const name of STREAMS) {
      const want = await rows(join(single, name));
      expect(want.length, name).toBeGreaterThan(0);
      expect(await rows(join(out, name)), name).toEqual(want);

      const wantManifest = await manifest(join(single, name));
      const gotManifest = await manifest(join(out, name));
      expect(gotManifest.rows, name).toBe(wantManifest.rows);
      // Every slice of the plan has its proof, the same as the single run recorded.
      const keys = planFile.streams.find((s) => s.name === name)!.slices.map((s) => s.key);
      expect(Object.keys(gotManifest.completeness ?? {}).sort(), name).toEqual([...keys].sort());
      expect(gotManifest.completeness, name).toEqual(wantManifest.completeness);

      // Each shard manifest carries the proofs of exactly the slices it committed.
      for (let i = 0; i < 3; i++) {
        const shard = JSON.parse(
          await readFile(join(out, name, '.dqm-export', 'shards', `s${String(i).padStart(4, '0')}.json`), 'utf8'),
        ) as { slices: string[]; completeness?: Record<string, string> };
        expect(Object.keys(shard.completeness ?? {}).sort(), `${name} shard ${i}`).toEqual([...shard.slices].sort());
      }
    }
    const proofs = (name: string) => manifest(join(out, name)).then((m) => new Set(Object.values(m.completeness!)));
    expect(await proofs('th2')).toEqual(new Set(['lumisection-counts']));
    expect(await proofs('th1')).toEqual(new Set(['cursor-end']));
    expect(await proofs('ls')).toEqual(new Set(['count-endpoint']));
  }, 300_000);
});
