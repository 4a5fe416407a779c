/**
 * Record batches of one data file, a bounded amount at a time: Parquet a few rows at a time
 * (parquet-wasm streaming over a file-backed Blob, so only the footer and the pages in use are read),
 * Arrow IPC files and streams one record batch at a time (apache-arrow over a file handle / stream).
 */
import { createReadStream, openAsBlob } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordBatchReader, tableFromIPC, type RecordBatch } from 'apache-arrow';
import { InputError } from '../errors.js';
import type { DataFile } from './types.js';

type ParquetWasm = typeof import('parquet-wasm');
let wasm: Promise<ParquetWasm> | null = null;
const parquetWasm = (): Promise<ParquetWasm> => (wasm ??= import('parquet-wasm'));

/** Rows per batch decoded from Parquet: ~1 MB of float64 bins for 72 x 56 histograms. */
const PARQUET_BATCH_ROWS = 32;

async function* parquetBatches(path: string): AsyncGenerator<RecordBatch> {
  const { ParquetFile } = await parquetWasm();
  const file = await ParquetFile.fromFile(await openAsBlob(path));
  try {
    // A stream of small batches: arrow-rs decodes a row group's pages incrementally, so neither
    // the wasm heap nor the JS side ever holds a whole row group (up to row_group_mb) decoded.
    const stream = (await file.stream({ batchSize: PARQUET_BATCH_ROWS })) as ReadableStream<{
      intoIPCStream(): Uint8Array;
      free(): void;
    }>;
    for await (const wasmBatch of stream) {
      const ipc = wasmBatch.intoIPCStream();
      yield* tableFromIPC(ipc).batches;
    }
  } finally {
    file.free();
  }
}

async function* ipcFileBatches(path: string): AsyncGenerator<RecordBatch> {
  const handle = await open(path, 'r');
  try {
    const reader = await RecordBatchReader.from(handle);
    for await (const batch of reader) yield batch;
  } finally {
    await handle.close();
  }
}

async function* ipcStreamBatches(path: string): AsyncGenerator<RecordBatch> {
  const stream = createReadStream(path);
  try {
    const reader = await RecordBatchReader.from(stream);
    for await (const batch of reader) yield batch;
  } finally {
    stream.destroy();
  }
}

/**
 * Yields the record batches of `file` (relative to `root`). A file that cannot be decoded raises
 * InputError E_INSPECT_READ naming it.
 */
export async function* readBatches(root: string, file: DataFile): AsyncGenerator<RecordBatch> {
  const path = join(root, file.path);
  const source =
    file.format === 'parquet'
      ? parquetBatches(path)
      : file.format === 'arrow'
        ? ipcFileBatches(path)
        : ipcStreamBatches(path);
  try {
    yield* source;
  } catch (err) {
    if (err instanceof InputError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new InputError(
      'E_INSPECT_READ',
      `cannot read ${path} as ${file.format}: ${detail.split('\n')[0]}`,
      { file: path },
      { cause: err },
    );
  }
}
