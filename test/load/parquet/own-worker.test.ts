/**
 * The own writer in the encoder worker: files whose columns it supports go through it (and never
 * load parquet-wasm, warm-up included), the others and DQM_EXPORT_PARQUET_WRITER=wasm go through
 * parquet-wasm, both give the same rows; the warm-up plan lists the columns the planner derives.
 */
import { join } from 'node:path';
import {
  Field,
  Float64,
  List,
  Table,
  TimeUnit,
  Timestamp,
  tableFromIPC,
  vectorFromArray,
  type RecordBatch,
} from 'apache-arrow';
import { afterAll, afterEach, expect, test } from 'vitest';
import { EncoderPool, openSink } from '../../../src/load/index.js';
import { ownWriterColumns } from '../../../src/load/parquet/own-writer-plan.js';
import { WARM_UP_OWN_COLUMNS, warmUp } from '../../../src/load/parquet/warm-up.js';
import { PARQUET_WRITER_ENV } from '../../../src/settings.js';
import { toRecordBatch, transformSpecFor } from '../../../src/transform/index.js';
import { closeDuckDB, readParquetRows } from '../../helpers/duckdb.js';
import { captureRecords, outputRoot } from '../fixtures.js';

afterAll(closeDuckDB);
afterEach(() => {
  delete process.env[PARQUET_WRITER_ENV];
});

const batch = toRecordBatch(
  captureRecords('91_h2d_filter_run.json'),
  transformSpecFor('lumisection_histograms_2d', { layout: 'tensor', dtype: 'float32' }),
).batch!;

/** Writes `batches` to one file through a fresh pool; returns its rows (DuckDB) and the pool's counters. */
async function encode(batches: RecordBatch[], prewarm = false) {
  const pool = new EncoderPool({ size: 1 });
  try {
    if (prewarm) pool.prewarm();
    const dir = outputRoot();
    const sink = openSink({ dir, format: 'parquet', filePrefix: 'f', encoderPool: pool });
    for (const b of batches) await sink.write(b);
    const [file] = await sink.close();
    return { rows: await readParquetRows(join(dir, file.path)), stats: pool.stats() };
  } finally {
    await pool.destroy();
  }
}

test('the warm-up plan lists the columns the planner gives its schema', () => {
  expect(WARM_UP_OWN_COLUMNS).toEqual(ownWriterColumns(tableFromIPC(warmUp().ipc).schema));
  expect(warmUp().plan.own).toEqual(WARM_UP_OWN_COLUMNS);
  process.env[PARQUET_WRITER_ENV] = 'wasm';
  expect(warmUp().plan.own).toBeUndefined();
});

test('a supported file goes through the own writer, parquet-wasm never loaded (warm-up included)', async () => {
  const own = await encode([batch, batch], true);
  expect(own.stats.ownWriterFiles).toBe(1);
  expect(own.stats.peakWasmBytes).toBe(0);
  process.env[PARQUET_WRITER_ENV] = 'wasm';
  const wasm = await encode([batch, batch]);
  expect(wasm.stats.ownWriterFiles).toBe(0);
  expect(wasm.stats.peakWasmBytes).toBeGreaterThan(0);
  expect(own.rows).toHaveLength(2 * batch.numRows);
  expect(own.rows).toEqual(wasm.rows);
}, 60_000);

test('a column the own writer does not support leaves the file to parquet-wasm', async () => {
  const rows = 5;
  const table = new Table({
    date: vectorFromArray(
      Array.from({ length: rows }, (_, i) => 1_700_000_000_000 + i),
      new Timestamp(TimeUnit.MICROSECOND, 'UTC'),
    ),
    values: vectorFromArray(
      Array.from({ length: rows }, (_, i) => [i, i + 0.5]),
      new List(new Field('item', new Float64(), true)),
    ),
  });
  expect(ownWriterColumns(table.schema)).toBeUndefined();
  const result = await encode(table.batches);
  expect(result.stats.ownWriterFiles).toBe(0);
  expect(result.rows).toHaveLength(rows);
}, 60_000);
