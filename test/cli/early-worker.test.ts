/**
 * The built CLI (bin.cjs) starts the Parquet encoder worker before it loads its bundle, and the
 * bundle's encoder pool adopts that worker (src/cli/bin.ts, src/load/parquet/early-worker.ts): both
 * name the same script, bundle/parquet-worker.cjs. If they ever named different scripts, every `run`
 * would start a second worker (~70 ms of CPU on Node 20) and still export correctly: so this checks
 * the workers a one-record `run` starts, through the binary.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import { withServer } from '../helpers/server.js';
import { BIN, binBuilt, runBin, writeOneStreamPipeline } from './harness.js';

const PRELOAD = fileURLToPath(new URL('../fixtures/cli/worker-scripts-preload.cjs', import.meta.url));

let server: RunningServer;
let dir: string;
beforeAll(async () => {
  server = await withServer({ synthetic: 'runs=1,ls=1,titles=1,dim=1,x=10' });
  dir = mkdtempSync(join(tmpdir(), 'dqm-early-worker-'));
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!binBuilt)('the early encoder worker', () => {
  it('is the only worker a one-record run starts: the pool adopts it', async () => {
    const pipeline = writeOneStreamPipeline(dir, server.url);
    const report = join(dir, 'workers.json');
    const args = ['run', pipeline, '--out', join(dir, 'out'), '--no-progress', '--log-level', 'warn'];
    const env = { DQM_PLAYGROUND_TOKEN: server.adminToken, DQM_TEST_WORKERS_FILE: report };
    const r = await runBin(args, env, undefined, undefined, ['-r', PRELOAD, BIN]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"records":1');
    const scripts = JSON.parse(readFileSync(report, 'utf8')) as string[];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toMatch(/\/bundle\/parquet-worker\.cjs$/);
  });
});
