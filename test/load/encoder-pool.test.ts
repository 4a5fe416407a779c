/** The Parquet encoder pool: workers are recycled, failures surface as errors and leave no file. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { EncoderPool, openSink } from '../../src/load/index.js';
import { PARQUET_WRITER_ENV } from '../../src/settings.js';
import { toRecordBatch, transformSpecFor } from '../../src/transform/index.js';
import { closeDuckDB, queryParquet, readParquetRows, sqlString } from '../helpers/duckdb.js';
import { captureRecords, encodeOneFile, flatData, listFiles, outputRoot, sameBits } from './fixtures.js';

afterAll(closeDuckDB);

const records = captureRecords('93_h2d_filter_run_ls_title.json');
const batch = toRecordBatch(records, transformSpecFor('lumisection_histograms_2d')).batch!;

/** Writes `n` one-batch files through `pool`; returns their paths under `dir`. */
async function writeFiles(pool: EncoderPool, dir: string, n: number, compression?: 'zstd' | 'snappy') {
  const written = [];
  for (let i = 0; i < n; i++) {
    const sink = openSink({ dir, format: 'parquet', filePrefix: `slice${i}`, encoderPool: pool, compression });
    await sink.write(batch);
    written.push(...(await sink.close()));
  }
  return written;
}

test('a worker is replaced after maxFilesPerWorker files of parquet-wasm; every file is complete', async () => {
  process.env[PARQUET_WRITER_ENV] = 'wasm';
  const pool = new EncoderPool({ maxFilesPerWorker: 2 });
  try {
    const dir = outputRoot();
    const written = await writeFiles(pool, dir, 5);
    const stats = pool.stats();
    expect(stats.workersStarted).toBe(3);
    expect(stats.workersRetired).toBe(2);
    expect(stats.liveWorkers).toBe(1);
    expect(stats.ownWriterFiles).toBe(0);
    for (const f of written) expect((await readParquetRows(join(dir, f.path))).length).toBe(records.length);
  } finally {
    delete process.env[PARQUET_WRITER_ENV];
    await pool.destroy();
  }
});

test("the own writer's files do not wear a worker out (parquet-wasm is never loaded)", async () => {
  const pool = new EncoderPool({ maxFilesPerWorker: 2 });
  try {
    const dir = outputRoot();
    const written = await writeFiles(pool, dir, 5);
    expect(pool.stats()).toMatchObject({ workersStarted: 1, workersRetired: 0, ownWriterFiles: 5, peakWasmBytes: 0 });
    for (const f of written) expect((await readParquetRows(join(dir, f.path))).length).toBe(records.length);
  } finally {
    await pool.destroy();
  }
});

test("snappy files, parquet-wasm's, count from their open", async () => {
  const pool = new EncoderPool({ maxFilesPerWorker: 2 });
  try {
    const dir = outputRoot();
    const written = await writeFiles(pool, dir, 5, 'snappy');
    // The second file retires the first worker, the fourth the second.
    expect(pool.stats()).toMatchObject({ workersStarted: 3, workersRetired: 2, ownWriterFiles: 0 });
    for (const f of written) expect((await readParquetRows(join(dir, f.path))).length).toBe(records.length);
  } finally {
    await pool.destroy();
  }
});

test('a worker whose wasm memory passes maxWasmBytes is replaced', async () => {
  // Only parquet-wasm grows wasm memory: force it for every file.
  process.env[PARQUET_WRITER_ENV] = 'wasm';
  const pool = new EncoderPool({ maxWasmBytes: 1 });
  try {
    const dir = outputRoot();
    for (let i = 0; i < 2; i++) {
      const sink = openSink({ dir, format: 'parquet', filePrefix: `s${i}`, encoderPool: pool });
      await sink.write(batch);
      await sink.close();
    }
    expect(pool.stats()).toMatchObject({ workersStarted: 2, workersRetired: 2, liveWorkers: 0 });
  } finally {
    delete process.env[PARQUET_WRITER_ENV];
    await pool.destroy();
  }
});

test('several files encode at once in one worker', async () => {
  const pool = new EncoderPool({ size: 1 });
  try {
    const dir = outputRoot();
    const sinks = [0, 1, 2].map((i) => openSink({ dir, format: 'parquet', filePrefix: `p${i}`, encoderPool: pool }));
    for (let round = 0; round < 3; round++) for (const sink of sinks) await sink.write(batch);
    const files = (await Promise.all(sinks.map((s) => s.close()))).flat();
    expect(files.map((f) => f.rows)).toEqual([3, 3, 3]);
    expect(pool.stats().workersStarted).toBe(1);
    expect(listFiles(dir)).toEqual(['p0-00000.parquet', 'p1-00000.parquet', 'p2-00000.parquet']);
  } finally {
    await pool.destroy();
  }
});

test('an undecodable batch fails the file with an error, not a short file', async () => {
  const pool = new EncoderPool();
  try {
    const path = join(outputRoot(), '.tmp-broken.parquet');
    const plan = {
      compression: 'zstd' as const,
      maxRowGroupRows: 10,
      maxRowGroupBytes: 1 << 20,
      keyValueMetadata: {},
      floatLists: false,
      columns: [],
      createdBy: 'test',
    };
    const handle = pool.openFile(path, plan);
    await handle.write([new Uint8Array([1, 2, 3, 4]), new Uint8Array([5, 6, 7, 8])], 1, 8);
    await expect(handle.close()).rejects.toThrow(/parquet encoder/);
    // The worker survives a bad batch and keeps encoding other files.
    const dir = outputRoot();
    const sink = openSink({ dir, format: 'parquet', encoderPool: pool });
    await sink.write(batch);
    expect((await sink.close())[0].rows).toBe(records.length);
  } finally {
    await pool.destroy();
  }
});

test('a destroyed pool fails the open file; the sink cleans up', async () => {
  const pool = new EncoderPool();
  const dir = outputRoot();
  const sink = openSink({ dir, format: 'parquet', encoderPool: pool });
  await sink.write(batch);
  await pool.destroy();
  await expect(sink.close()).rejects.toThrow(/pool destroyed/);
  expect(listFiles(dir).filter((f) => existsSync(join(dir, f)))).toEqual([]);
});

test('a file of many row groups, synced while the next ones encode, is complete and exact', async () => {
  const pool = new EncoderPool();
  try {
    const dir = outputRoot();
    // One row per row group: every batch ends row groups and starts a background write-back, and
    // 20 batches are more than the worker holds in flight.
    const sink = openSink({ dir, format: 'parquet', rowGroupBytes: 1, encoderPool: pool });
    for (let i = 0; i < 20; i++) await sink.write(batch);
    const [file] = await sink.close();
    const path = join(dir, file.path);
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(file.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    const groups = await queryParquet(
      `SELECT count(DISTINCT row_group_id) AS n FROM parquet_metadata(${sqlString(path)})`,
    );
    expect(Number(groups.rows[0].n)).toBe(20 * records.length);
    const rows = await readParquetRows(path);
    expect(rows.length).toBe(20 * records.length);
    rows.forEach((row, i) =>
      expect(sameBits((row.data as number[][]).flat(), flatData(records[i % records.length]))).toBe(true),
    );
  } finally {
    await pool.destroy();
  }
});

test('files writing at once past the worker-wide bound on bytes in flight all complete, exact', async () => {
  // 8 files x 3 batches of ~3.2 MB written without waiting for one another: more than the 16 MB a
  // worker may have queued, so writes wait for acks of other files' batches, and buffers coming back
  // from one file are reused by another.
  const big = Array.from({ length: 10 }, (_, i) => ({
    ...(records[0] as Record<string, unknown>),
    id: i + 1,
    x_bin: 200,
    y_bin: 200,
    data: Array.from({ length: 200 }, (_, y) => Array.from({ length: 200 }, (_, x) => i * 1e6 + y * 200 + x)),
  }));
  const bigBatch = toRecordBatch(big, transformSpecFor('lumisection_histograms_2d')).batch!;
  const pool = new EncoderPool({ size: 1 });
  try {
    const dir = outputRoot();
    const sinks = Array.from({ length: 8 }, (_, i) =>
      openSink({ dir, format: 'parquet', filePrefix: `b${i}`, encoderPool: pool }),
    );
    for (let round = 0; round < 3; round++) await Promise.all(sinks.map((s) => s.write(bigBatch)));
    const files = (await Promise.all(sinks.map((s) => s.close()))).flat();
    expect(files.map((f) => f.rows)).toEqual(Array(8).fill(30));
    const rows = await readParquetRows(join(dir, files[5].path));
    expect(rows).toHaveLength(30);
    const data = rows[13].data as number[][];
    expect(data[7][11]).toBe((13 % 10) * 1e6 + 7 * 200 + 11); // row 13: the second batch's record 3
  } finally {
    await pool.destroy();
  }
});

test('a prewarmed worker encodes the first file; prewarming twice starts one worker', async () => {
  const pool = new EncoderPool();
  try {
    pool.prewarm();
    pool.prewarm();
    expect(pool.stats()).toMatchObject({ workersStarted: 1, liveWorkers: 1 });
    expect(await encodeOneFile(pool, 'warm', batch)).toBe(records.length);
    expect(pool.stats().workersStarted).toBe(1);
  } finally {
    await pool.destroy();
  }
});

test('dropIdle stops a prewarmed worker; the next file starts a new one', async () => {
  const pool = new EncoderPool();
  try {
    pool.prewarm();
    await pool.dropIdle();
    expect(pool.stats()).toMatchObject({ workersStarted: 1, liveWorkers: 0 });
    const dir = outputRoot();
    const sink = openSink({ dir, format: 'parquet', filePrefix: 'after', encoderPool: pool });
    await sink.write(batch);
    const [file] = await sink.close();
    expect(pool.stats()).toMatchObject({ workersStarted: 2, liveWorkers: 1 });
    expect((await readParquetRows(join(dir, file.path))).length).toBe(records.length);
  } finally {
    await pool.destroy();
  }
});
