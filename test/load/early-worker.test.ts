/**
 * A Parquet encoder worker started before the CLI's code loads (src/cli/bin.ts) is adopted by the
 * pool's prewarm: one worker, not two, and it encodes the first file.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';
import { EncoderPool } from '../../src/load/index.js';
import { startEarlyEncoderWorker, takeEarlyEncoderWorker } from '../../src/load/parquet/early-worker.js';
import { warmUp } from '../../src/load/parquet/warm-up.js';
import { parquetWasmUrl, workerScriptUrl } from '../../src/load/parquet/worker-script.js';
import { toRecordBatch, transformSpecFor } from '../../src/transform/index.js';
import { captureRecords, encodeOneFile, outputRoot } from './fixtures.js';

const records = captureRecords('93_h2d_filter_run_ls_title.json');
const batch = toRecordBatch(records, transformSpecFor('lumisection_histograms_2d')).batch!;

test('prewarm adopts the worker started early; it encodes the first file', async () => {
  // As src/cli/bin.ts starts it: the worker resolves parquet-wasm itself, from the caller's module.
  const early = startEarlyEncoderWorker(workerScriptUrl(), { packagesFrom: import.meta.url, warmUp: warmUp() });
  expect(startEarlyEncoderWorker(workerScriptUrl(), { parquetWasmUrl: parquetWasmUrl() })).toBe(early);
  const pool = new EncoderPool();
  try {
    pool.prewarm();
    expect(takeEarlyEncoderWorker(workerScriptUrl())).toBeUndefined(); // handed over once
    expect(pool.stats()).toMatchObject({ workersStarted: 1, liveWorkers: 1 });
    expect(await encodeOneFile(pool, 'early', batch)).toBe(records.length);
    expect(pool.stats().workersStarted).toBe(1);
  } finally {
    await pool.destroy();
  }
  expect(early.threadId).toBe(-1); // the pool terminated the adopted worker
}, 60_000);

test('a worker of another script is not adopted', async () => {
  const other = new URL('data:text/javascript,void 0');
  const early = startEarlyEncoderWorker(other, { parquetWasmUrl: parquetWasmUrl() });
  try {
    expect(takeEarlyEncoderWorker(workerScriptUrl())).toBeUndefined();
    expect(takeEarlyEncoderWorker(other)).toBe(early);
  } finally {
    await early.terminate();
  }
});

test.each([
  [
    'a parquet-wasm that is not there',
    () => ({ parquetWasmUrl: pathToFileURL(join(outputRoot(), 'no-parquet-wasm.js')).href }),
  ],
  [
    'packages resolved from where there are none',
    () => ({ packagesFrom: pathToFileURL(join(outputRoot(), 'x.js')).href }),
  ],
])(
  'an early worker that failed (%s) is not adopted; the pool starts its own',
  async (_, data) => {
    const early = startEarlyEncoderWorker(workerScriptUrl(), data());
    await new Promise((resolve) => early.once('exit', resolve));
    expect(takeEarlyEncoderWorker(workerScriptUrl())).toBeUndefined();
    const pool = new EncoderPool();
    try {
      pool.prewarm();
      expect(await encodeOneFile(pool, 'own', batch)).toBe(records.length);
      expect(pool.stats().workersStarted).toBe(1);
    } finally {
      await pool.destroy();
    }
  },
  60_000,
);
