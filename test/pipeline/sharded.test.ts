/**
 * Sharded exports end to end: `plan --shards 4 --write-plan`, four `run --plan --shard I` processes in
 * parallel against one server, `finalize`; the dataset read back with DuckDB equals a single-process
 * run's, partition by partition. Also: hash-assigned shards (`--shard I/N`, index from the engine's
 * environment), a missing shard failing `finalize` by index, and a shard run twice changing nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { closeDuckDB, queryParquet, sqlString } from '../helpers/duckdb.js';
import { DIST_CLI } from '../helpers/server.js';

// Each test runs the built CLI several times; under a busy machine (load 20-35 seen) one took over
// the default 60 s: a time limit is not what these tests check.
vi.setConfig({ testTimeout: 240_000 });

const PIPELINE = `
version: 1
name: sharded
source:
  type: dqm-playground
  url: \${DQM_PLAYGROUND_URL}
  token: \${DQM_PLAYGROUND_TOKEN}
  concurrency: 4
streams:
  - name: h2d
    endpoint: lumisection_histograms_2d
    slice: {by: run}
    transform: {layout: tensor, dtype: float32}
    output: {path: h2d, partition_by: [run], mode: overwrite}
  - name: ls
    endpoint: lumisections
    slice: {by: run}
    output: {path: ls, mode: overwrite}
`;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let server: RunningServer;
let env: Record<string, string>;
let pipelineFile: string;
let work: string;

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DIST_CLI, ...args], {
      env: { ...process.env, CI: '1', ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Per-partition digest of the h2d dataset plus the ls rows, as DuckDB reads them. */
async function digest(out: string): Promise<{ h2d: unknown[]; ls: unknown[] }> {
  const h2d = await queryParquet(
    `SELECT run, count(*) AS n, md5(string_agg(lumisection || '|' || title || '|' || entries || '|' || md5(CAST(data AS VARCHAR)), ',' ORDER BY lumisection, title)) AS h
     FROM read_parquet(${sqlString(join(out, 'h2d', '**', '*.parquet'))}, hive_partitioning = true) GROUP BY run ORDER BY run`,
  );
  const ls = await queryParquet(
    `SELECT * FROM read_parquet(${sqlString(join(out, 'ls', '*.parquet'))}) ORDER BY run, ls_number`,
  );
  const plain = (rows: unknown[]) =>
    rows.map((r) => JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))));
  return { h2d: plain(h2d.rows), ls: plain(ls.rows) };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join((e as unknown as { parentPath: string }).parentPath, e.name).slice(dir.length + 1))
    .sort();
}

beforeAll(async () => {
  server = await startServer({ port: 0, synthetic: 'runs=9,ls=12,titles=2,dim=2,x=10,y=8', pageSize: 10 });
  env = { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: server.userToken };
  work = await mkdtemp(join(tmpdir(), 'dqm-shards-'));
  pipelineFile = join(work, 'p.yaml');
  await writeFile(pipelineFile, PIPELINE);
});
afterAll(async () => {
  await server?.close();
  closeDuckDB();
});

describe('sharded export', () => {
  let reference: { h2d: unknown[]; ls: unknown[] };
  const planned = () => join(work, 'plan.json');

  it('one process: the reference dataset', async () => {
    const r = await cli(['run', pipelineFile, '--out', join(work, 'single')]);
    expect(r.code, r.stderr).toBe(0);
    reference = await digest(join(work, 'single'));
    expect(reference.h2d).toHaveLength(9);
    expect(reference.ls).toHaveLength(9 * 12);
  });

  it('plan prints estimates, writes the plan file and nothing else', async () => {
    const out = join(work, 'planned');
    const r = await cli(['plan', pipelineFile, '--shards', '4', '--write-plan', planned(), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/h2d\s+lumisection_histograms_2d\s+9\s+216\s+27/);
    expect(r.stdout).toMatch(/shard\s+slices\s+records/);
    expect(existsSync(out)).toBe(false);
    const plan = JSON.parse(await readFile(planned(), 'utf8'));
    expect(plan.shards).toBe(4);
    expect(
      plan.streams[0].slices.every(
        (s: { shard: number; estimate: { records: number } }) =>
          s.shard >= 0 && s.shard < 4 && s.estimate.records === 24,
      ),
    ).toBe(true);
    expect(JSON.stringify(plan)).not.toContain(server.userToken);
    const json = await cli(['plan', pipelineFile, '--json', '--no-probe']);
    expect(JSON.parse(json.stdout).streams[1].slices[0].estimate).toBeUndefined();
  });

  it('4 shard processes in parallel + finalize equal the single run, partition by partition', async () => {
    const out = join(work, 'sharded');
    const runs = await Promise.all(
      [0, 1, 2, 3].map((i) => cli(['run', pipelineFile, '--out', out, '--plan', planned(), '--shard', String(i)])),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, 'h2d', '.dqm-export', '_SUCCESS'))).toBe(false);
    const f = await cli(['finalize', pipelineFile, '--out', out, '--plan', planned(), '--verify', '--json']);
    expect(f.code, f.stderr).toBe(0);
    expect(JSON.parse(f.stdout).streams.map((s: { rows: number }) => s.rows)).toEqual([216, 108]);
    expect(existsSync(join(out, 'h2d', '.dqm-export', '_SUCCESS'))).toBe(true);
    expect(await digest(out)).toEqual(reference);
    const names = (await listFiles(join(out, 'h2d'))).filter((n) => n.endsWith('.parquet'));
    expect(new Set(names.map((n) => /part-(s\d{4})-/.exec(n)?.[1])).size).toBe(4);
    const manifest = JSON.parse(await readFile(join(out, 'h2d', '.dqm-export', 'manifest.json'), 'utf8'));
    expect(manifest.files.map((x: { path: string }) => x.path).sort()).toEqual(names);
    expect(manifest.shards.count).toBe(4);

    // A shard run twice (a batch engine's retry) changes nothing.
    const before = await Promise.all(
      (await listFiles(join(out, 'h2d'))).map(async (n) => `${n}:${(await stat(join(out, 'h2d', n))).mtimeMs}`),
    );
    const again = await cli(['run', pipelineFile, '--out', out, '--plan', planned(), '--resume'], {
      JOB_COMPLETION_INDEX: '2',
    });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(
      /shard 2 of 4 \(JOB_COMPLETION_INDEX=2\) was already complete \(\d+ slices committed by an earlier run\): nothing to do/,
    );
    const after = await Promise.all(
      (await listFiles(join(out, 'h2d'))).map(async (n) => `${n}:${(await stat(join(out, 'h2d', n))).mtimeMs}`),
    );
    expect(after).toEqual(before);
  });

  it('hash-assigned shards (--shard I/N and the Slurm index) equal the single run', async () => {
    const out = join(work, 'hashed');
    const runs = await Promise.all([
      cli(['run', pipelineFile, '--out', out, '--shard', '0/3']),
      cli(['run', pipelineFile, '--out', out, '--shard', '1/3']),
      cli(['run', pipelineFile, '--out', out, '--shards', '3'], {
        SLURM_ARRAY_TASK_ID: '2',
        SLURM_ARRAY_TASK_MIN: '2',
      }),
    ]);
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const f = await cli(['finalize', pipelineFile, '--out', out]);
    expect(f.code, f.stderr).toBe(0);
    expect(await digest(out)).toEqual(reference);
  });

  it('finalize names a missing shard, marks nothing complete; rerunning it completes the dataset, 0.1 shard manifests included', async () => {
    const out = join(work, 'missing');
    for (const i of [0, 1, 3])
      expect((await cli(['run', pipelineFile, '--out', out, '--plan', planned(), '--shard', String(i)])).code).toBe(0);
    const f = await cli(['finalize', pipelineFile, '--out', out, '--plan', planned()]);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/E_FINALIZE_INCOMPLETE.*missing shards: 2\b/);
    expect(existsSync(join(out, 'h2d', '.dqm-export', '_SUCCESS'))).toBe(false);
    expect(existsSync(join(out, 'h2d', '.dqm-export', 'manifest.json'))).toBe(false);
    // The finished shards' manifests where version 0.1 wrote them: the last shard and finalize move them.
    for (const stream of ['h2d', 'ls']) {
      await rename(join(out, stream, '.dqm-export', 'shards'), join(out, stream, '_shards'));
    }
    expect((await cli(['run', pipelineFile, '--out', out, '--plan', planned(), '--shard', '2'])).code).toBe(0);
    expect((await cli(['finalize', pipelineFile, '--out', out, '--plan', planned()])).code).toBe(0);
    expect(await digest(out)).toEqual(reference);
  });

  it('an unsharded plan file runs as a whole; finalize refuses a dataset that was not sharded', async () => {
    const plan = join(work, 'plan-unsharded.json');
    expect((await cli(['plan', pipelineFile, '--write-plan', plan, '--no-probe'])).code).toBe(0);
    const out = join(work, 'from-plan');
    const r = await cli(['run', pipelineFile, '--out', out, '--plan', plan]);
    expect(r.code, r.stderr).toBe(0);
    expect(await digest(out)).toEqual(reference);
    const f = await cli(['finalize', pipelineFile, '--out', out]);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/E_FINALIZE_INCOMPLETE: .*no shard has finished/);
  });

  it('refuses shard settings that cannot work, with exit 2', async () => {
    for (const args of [
      ['--shard', '4/4'],
      ['--shard', '1'],
      ['--plan', planned()],
      ['--shard', 'x'],
    ]) {
      const r = await cli(['run', pipelineFile, '--out', join(work, 'refused'), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/E_SHARD_(INDEX|COUNT)/);
    }
    expect(existsSync(join(work, 'refused'))).toBe(false);
  });
});
