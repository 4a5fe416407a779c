/**
 * `run` starts the shared Parquet encoder worker while it loads its pipeline (src/cli/main.ts), and
 * stops it again when the pipeline cannot be loaded or writes no Parquet through the shared pool.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { usesSharedEncoder } from '../../src/cli/commands/run.js';
import { prewarmsEncoder } from '../../src/cli/prewarm.js';
import { loadPipeline } from '../../src/config/index.js';
import { sharedEncoderPool } from '../../src/load/index.js';
import { PACKAGE_ROOT } from '../../src/version.js';
import { runCli } from './harness.js';

const pipelines = join(PACKAGE_ROOT, 'pipelines');
const env = { DQM_PLAYGROUND_TOKEN: 'not-used', DQM_PLAYGROUND_URL: 'http://127.0.0.1:9' };

afterAll(() => sharedEncoderPool().dropIdle());

describe('usesSharedEncoder', () => {
  it('is true for a Parquet output of an HTTP source', async () => {
    expect(usesSharedEncoder(await loadPipeline(join(pipelines, 'pixel-2d.yaml'), { env }))).toBe(true);
  });

  it('is false for Arrow outputs only, and for a CSV source (it has a pool of its own)', async () => {
    expect(usesSharedEncoder(await loadPipeline(join(pipelines, 'adhoc-single-run-arrow.yaml'), { env }))).toBe(false);
    expect(usesSharedEncoder(await loadPipeline(join(pipelines, 'csv-local.yaml'), { env }))).toBe(false);
  });
});

describe('run', () => {
  it('stops the worker it started when the pipeline cannot be loaded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dqm-prewarm-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'version: 1\nname: bad\nsource: {type: dqm-playground}\nstreams: 3\n');
      const before = sharedEncoderPool().stats().workersStarted;
      const result = await runCli(['run', file], { env });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^error E_CONFIG/);
      const stats = sharedEncoderPool().stats();
      expect(stats.workersStarted).toBe(before + 1);
      expect(stats.liveWorkers).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('starts no worker for a pipeline file it cannot read, nor for a CSV source', async () => {
    const before = sharedEncoderPool().stats().workersStarted;
    const result = await runCli(['run', join(pipelines, 'no-such-pipeline.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error E_CONFIG_FILE/);
    expect(prewarmsEncoder(['run', join(pipelines, 'csv-local.yaml')])).toBe(false);
    expect(prewarmsEncoder(['run', join(pipelines, 'pixel-2d.yaml')])).toBe(true);
    expect(sharedEncoderPool().stats()).toMatchObject({ workersStarted: before, liveWorkers: 0 });
  }, 60_000);

  it('stops the worker it started when the command line is invalid', async () => {
    const result = await runCli(['run']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error E_USAGE/);
    expect(sharedEncoderPool().stats().liveWorkers).toBe(0);
  }, 60_000);

  it('does not start a worker for --help', async () => {
    const before = sharedEncoderPool().stats().workersStarted;
    // yargs prints help with console.log, then calls process.exit (as in help.test.ts).
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      await runCli(['run', '--help']);
      expect(exit).toHaveBeenCalledWith(0);
    } finally {
      log.mockRestore();
      exit.mockRestore();
    }
    expect(sharedEncoderPool().stats()).toMatchObject({ workersStarted: before, liveWorkers: 0 });
  }, 60_000);
});
