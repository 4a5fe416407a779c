/**
 * Native zstd in the encoder worker: which provider loads (zstd-napi, else Node's zlib where it has
 * zstd), when a plan asks for it (small row groups, unless DQM_EXPORT_PARQUET_ZSTD=wasm), that
 * files encoded both ways hold the same rows (the same bytes with zstd-napi), that a worker where
 * no native zstd loads falls back to parquet-wasm's codec with a debug line, and that the built
 * worker bundle loads it too.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RecordBatchStreamWriter, type RecordBatch } from 'apache-arrow';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { EncoderPool, openSink } from '../../../src/load/index.js';
import { loadNativeZstd, zlibMayHaveZstd } from '../../../src/load/parquet/native-zstd.js';
import { NATIVE_ZSTD_MAX_ROW_GROUP_BYTES, planParquetWriter } from '../../../src/load/parquet/parquet-encoder.js';
import type { ParquetWriterPlan, WorkerReply } from '../../../src/load/parquet/protocol.js';
import { parquetWasmUrl, workerScriptUrl } from '../../../src/load/parquet/worker-script.js';
import { PARQUET_WRITER_ENV, PARQUET_ZSTD_ENV } from '../../../src/settings.js';
import { toRecordBatch, transformSpecFor } from '../../../src/transform/index.js';
import { closeDuckDB, queryParquet, readParquetRows, sqlString } from '../../helpers/duckdb.js';
import { captureRecords, outputRoot } from '../fixtures.js';

// These tests cover parquet-wasm's native-zstd path (the recompressor): the own writer, which
// takes these files by default, has its own tests (own-writer.test.ts, own-worker.test.ts).
process.env[PARQUET_WRITER_ENV] = 'wasm';
afterAll(() => {
  delete process.env[PARQUET_WRITER_ENV];
  closeDuckDB();
});
afterEach(() => {
  delete process.env[PARQUET_ZSTD_ENV];
});

const zlibHasZstd = typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function';
const records = captureRecords('91_h2d_filter_run.json');
const batch = toRecordBatch(
  records,
  transformSpecFor('lumisection_histograms_2d', { layout: 'tensor', dtype: 'float32' }),
).batch!;

describe('the provider', () => {
  test('zstd-napi, on every runtime: level-1 frames that decompress to the input', () => {
    const loaded = loadNativeZstd(import.meta.url);
    if (!('zstd' in loaded)) throw new Error(loaded.error);
    expect(loaded.zstd.name).toBe('zstd-napi');
    const input = new Uint8Array(100_000).map((_, i) => (i * 7) % 13);
    const frame = loaded.zstd.compress(input);
    expect(frame.byteLength).toBeLessThan(input.byteLength / 10);
    const decompress = zlibHasZstd
      ? (zlib as unknown as { zstdDecompressSync(b: Uint8Array): Uint8Array }).zstdDecompressSync
      : (createRequire(import.meta.url)('zstd-napi') as { decompress(b: Uint8Array): Uint8Array }).decompress;
    expect(Buffer.from(decompress(frame)).equals(Buffer.from(input))).toBe(true);
  });

  test("node:zlib is loaded only on the versions whose zlib has zstd (22.15+, 23.8+), this one's included", () => {
    expect(zlibMayHaveZstd()).toBe(zlibHasZstd);
    expect(['20.19.0', '22.14.1', '23.7.0'].map((v) => zlibMayHaveZstd(v))).toEqual([false, false, false]);
    expect(['22.15.0', '23.8.0', '24.0.0', '25.1.0'].map((v) => zlibMayHaveZstd(v))).toEqual([true, true, true, true]);
  });

  test('where zstd-napi cannot be resolved: zlib if it has zstd, else an error that names zstd-napi', () => {
    const loaded = loadNativeZstd(pathToFileURL(join(outputRoot(), 'nowhere.js')).href);
    if (zlibHasZstd) expect(loaded).toMatchObject({ zstd: { name: 'node:zlib' } });
    else
      expect(loaded).toEqual({ error: expect.stringMatching(/^zstd-napi: Cannot find module 'zstd-napi\/binding'/) });
  });
});

describe('the plan', () => {
  const plan = (rowGroupBytes: number): ParquetWriterPlan =>
    planParquetWriter(batch.schema, batch, { compression: 'zstd', rowGroupBytes, metadata: {} });

  test('native for row groups up to 16 MiB, wasm above (an uncompressed row group sits in wasm memory)', () => {
    expect(plan(4 << 20).zstd).toBe('native');
    expect(plan(NATIVE_ZSTD_MAX_ROW_GROUP_BYTES).zstd).toBe('native');
    expect(plan(128 << 20).zstd).toBe('wasm');
  });

  test(`${PARQUET_ZSTD_ENV}=wasm forces parquet-wasm's zstd`, () => {
    process.env[PARQUET_ZSTD_ENV] = 'wasm';
    expect(plan(4 << 20).zstd).toBe('wasm');
  });
});

/** Encodes the batch in three parts through a pool into one file; returns its path and the pool's stats. */
async function encode(): Promise<{ path: string; sha256: string; stats: ReturnType<EncoderPool['stats']> }> {
  const pool = new EncoderPool();
  try {
    const dir = outputRoot();
    // 64 KiB row groups: several row groups, as the CSV path's small ones.
    const sink = openSink({ dir, format: 'parquet', encoderPool: pool, rowGroupBytes: 64 << 10 });
    const third = Math.ceil(batch.numRows / 3);
    for (let at = 0; at < batch.numRows; at += third) await sink.write(batch.slice(at, at + third));
    const [file] = await sink.close();
    const path = join(dir, file.path);
    return { path, sha256: createHash('sha256').update(readFileSync(path)).digest('hex'), stats: pool.stats() };
  } finally {
    await pool.destroy();
  }
}

test('a file through the pool: native and wasm zstd hold the same rows, in several zstd row groups', async () => {
  const native = await encode();
  process.env[PARQUET_ZSTD_ENV] = 'wasm';
  const wasm = await encode();
  expect(native.stats.nativeZstdFiles).toEqual({ 'zstd-napi': 1 });
  expect(wasm.stats.nativeZstdFiles).toEqual({});
  const rows = await readParquetRows(native.path);
  expect(rows).toHaveLength(records.length);
  expect(rows).toEqual(await readParquetRows(wasm.path));
  // zstd-napi's frames are arrow-rs' own, byte for byte, on every runtime.
  expect(native.sha256).toBe(wasm.sha256);
  const { rows: meta } = await queryParquet(
    `SELECT DISTINCT compression, row_group_id FROM parquet_metadata(${sqlString(native.path)})`,
  );
  expect(new Set(meta.map((m) => m.compression))).toEqual(new Set(['ZSTD']));
  expect(meta.length).toBeGreaterThan(3);
}, 60_000);

/** One batch as a complete IPC stream, what the pool sends a worker. */
function ipcOf(b: RecordBatch): Uint8Array {
  const writer = new RecordBatchStreamWriter();
  writer.write(b);
  writer.finish();
  return writer.toUint8Array(true);
}

/** Runs one file through a worker started on `script` by hand; returns its replies until the file closes. */
async function encodeInWorker(script: URL, nativeZstdFrom?: string): Promise<WorkerReply[]> {
  const worker = new Worker(script, { workerData: { parquetWasmUrl: parquetWasmUrl(), nativeZstdFrom } });
  const replies: WorkerReply[] = [];
  try {
    const path = join(outputRoot(), 'worker.parquet');
    const plan = planParquetWriter(batch.schema, batch, { compression: 'zstd', rowGroupBytes: 64 << 10, metadata: {} });
    const closed = new Promise<void>((resolve, reject) => {
      worker.on('message', (reply: WorkerReply) => {
        replies.push(reply);
        if (reply.type === 'closed') resolve();
        if (reply.type === 'error' || reply.type === 'fatal') reject(new Error(reply.message));
      });
      worker.on('error', reject);
    });
    worker.postMessage({ type: 'open', fileId: 1, path, plan });
    worker.postMessage({ type: 'batch', fileId: 1, ipc: ipcOf(batch), rows: batch.numRows });
    worker.postMessage({ type: 'close', fileId: 1 });
    await closed;
    expect(await readParquetRows(path)).toHaveLength(records.length);
    return replies;
  } finally {
    await worker.terminate();
  }
}

test('a worker where no native zstd loads uses parquet-wasm zstd and says so at debug level', async () => {
  const replies = await encodeInWorker(workerScriptUrl(), pathToFileURL(join(outputRoot(), 'nowhere.js')).href);
  const closed = replies.find((r) => r.type === 'closed');
  if (zlibHasZstd) {
    expect(closed).toMatchObject({ nativeZstd: 'node:zlib' });
  } else {
    expect(closed).not.toHaveProperty('nativeZstd');
    expect(replies).toContainEqual({
      type: 'log',
      level: 'debug',
      message: expect.stringMatching(
        /^native zstd unavailable, parquet-wasm's zstd used: zstd-napi: Cannot find module/,
      ),
    });
  }
}, 60_000);

const bundled = join(import.meta.dirname, '..', '..', '..', 'dist', 'src', 'cli', 'bundle', 'parquet-worker.cjs');
test.runIf(existsSync(bundled))(
  'the built worker bundle loads the native zstd',
  async () => {
    const replies = await encodeInWorker(pathToFileURL(bundled));
    expect(replies.find((r) => r.type === 'closed')).toMatchObject({ nativeZstd: 'zstd-napi' });
    expect(replies.some((r) => r.type === 'log')).toBe(false);
  },
  60_000,
);
