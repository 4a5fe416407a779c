/**
 * The main thread's side of a Parquet file: plans the writer settings from the Arrow schema, ships
 * each batch to an encoder worker as IPC stream bytes, and estimates the file's size for rollover.
 */
import { DataType, RecordBatchStreamWriter, type Field, type RecordBatch, type Schema } from 'apache-arrow';
import { crashPoint } from '../../crash-points.js';
import { parquetWriterChoice, parquetZstdCodec } from '../../settings.js';
import { VERSION } from '../../version.js';
import { batchByteLength } from '../batch-bytes.js';
import { CollectingQueue } from '../ipc/collecting-queue.js';
import type { EncodedFile, FileEncoder } from '../file-encoder.js';
import { schemaToJSON } from '../schema-json.js';
import type { Compression } from '../types.js';
import type { EncoderPool, ParquetFileHandle } from './encoder-pool.js';
import { ownWriterColumns } from './own-writer-plan.js';
import type { ColumnPlan, ParquetWriterPlan } from './protocol.js';

/** Default target decoded size of a row group. */
export const DEFAULT_ROW_GROUP_BYTES = 128 * 1024 ** 2;

/**
 * Largest row group (decoded bytes) whose pages native zstd compresses. With native zstd
 * parquet-wasm writes UNCOMPRESSED pages, and arrow-rs holds a whole row group's encoded pages in
 * wasm memory, which never shrinks: uncompressed, the API path's 128 MiB row groups took peak RSS
 * from 265 to 367 MB (bench/memory-run.ts, 10k 2D records, no CPU gain there), while the CSV path's
 * 4 MiB row groups cost ~20-30 MB for ~2 s less CPU on 0.5 GB (docs/decisions.md, "Load: Parquet
 * pages compressed by native zstd"). Larger row groups keep parquet-wasm's own zstd.
 */
export const NATIVE_ZSTD_MAX_ROW_GROUP_BYTES = 16 * 1024 ** 2;

/** Leaf (Parquet) columns under a field. */
function leafCount(field: Field): number {
  const children = (field.type.children ?? []) as Field[];
  return children.length === 0 ? 1 : children.reduce((n, c) => n + leafCount(c), 0);
}

function isList(type: DataType): boolean {
  return DataType.isList(type) || DataType.isFixedSizeList(type);
}

/** True when every leaf under a nested field is a float (histogram data). */
function floatLeaves(field: Field): boolean {
  const type = field.type;
  if (isList(type) || DataType.isStruct(type)) return (type.children as Field[]).every(floatLeaves);
  return DataType.isFloat(type);
}

/**
 * Writer settings for a schema. When all nested columns are float lists, their values are written
 * BYTE_STREAM_SPLIT without a dictionary; top-level scalar columns keep dictionary + PLAIN.
 */
export function planParquetWriter(
  schema: Schema,
  firstBatch: RecordBatch,
  options: { compression: Compression; rowGroupBytes: number; metadata: Record<string, string> },
): ParquetWriterPlan {
  const nested = schema.fields.filter((f) => isList(f.type) || DataType.isStruct(f.type));
  const floatLists = nested.length > 0 && nested.every(floatLeaves);
  const columns: ColumnPlan[] = schema.fields
    .filter((f) => !isList(f.type) && !DataType.isStruct(f.type))
    .map((f) => ({ name: f.name, dictionary: true, encoding: 'plain' }));
  const bytesPerRow = Math.max(1, batchByteLength(firstBatch) / Math.max(1, firstBatch.numRows));
  // The own writer takes the files it supports, unless parquet-wasm or its zstd is asked for.
  const own =
    options.compression !== 'snappy' && parquetWriterChoice() === 'own' && parquetZstdCodec() === 'native'
      ? ownWriterColumns(schema)
      : undefined;
  return {
    compression: options.compression,
    maxRowGroupRows: Math.max(1, Math.floor(options.rowGroupBytes / bytesPerRow)),
    maxRowGroupBytes: options.rowGroupBytes,
    keyValueMetadata: options.metadata,
    floatLists,
    columns,
    createdBy: `dqm-export version ${VERSION}`,
    zstd: options.rowGroupBytes <= NATIVE_ZSTD_MAX_ROW_GROUP_BYTES ? parquetZstdCodec() : 'wasm',
    ...(own ? { own } : {}),
  };
}

/**
 * Compression ratio (file bytes per decoded byte) last seen by a sink, shared by its files: a new file
 * starts from what the previous one learned rather than from 1.
 */
export interface CompressionEstimate {
  ratio: number;
}

/** Settings of a Parquet encoder. */
export interface ParquetEncoderSettings {
  compression: Compression;
  rowGroupBytes: number;
  metadata: Record<string, string>;
  pool: EncoderPool;
  /** Shared by the files of one sink. */
  estimate: CompressionEstimate;
}

/** One Parquet file encoded in a worker. */
export class ParquetEncoder implements FileEncoder {
  private arrowBytesSent = 0;
  private rowsSent = 0;
  private readonly queue = new CollectingQueue();
  private readonly writer = new RecordBatchStreamWriter();

  private constructor(
    private readonly handle: ParquetFileHandle,
    private readonly estimate: CompressionEstimate,
    private readonly plan: ParquetWriterPlan,
    private readonly footerBase: number,
    private readonly leaves: number,
  ) {}

  /** Opens the file at `path` in a pool worker, with row groups sized from `firstBatch`. */
  static open(path: string, schema: Schema, firstBatch: RecordBatch, settings: ParquetEncoderSettings): ParquetEncoder {
    const plan = planParquetWriter(schema, firstBatch, settings);
    // The footer holds the key-value metadata, the Arrow schema (base64) and per row group and leaf
    // column a ColumnChunk of ~150 bytes; it is part of the file size that rollover must respect.
    const kvBytes =
      JSON.stringify(settings.metadata).length + Math.ceil((JSON.stringify(schemaToJSON(schema)).length * 4) / 3);
    const leaves = schema.fields.reduce((n, f) => n + leafCount(f), 0);
    return new ParquetEncoder(settings.pool.openFile(path, plan), settings.estimate, plan, 1024 + kvBytes, leaves);
  }

  /**
   * Sends the batch as one complete IPC stream (schema, dictionaries, batch, end) in chunks that are
   * views of the batch's buffers; the worker joins them. A reused writer reset per batch is 3-8x
   * cheaper on this thread than `tableToIPC`, which rebuilds and joins everything (docs/decisions.md).
   */
  async write(batch: RecordBatch, arrowBytes: number): Promise<void> {
    this.writer.reset(this.queue, batch.schema);
    this.writer.write(batch);
    this.writer.reset(this.queue);
    this.arrowBytesSent += arrowBytes;
    this.rowsSent += batch.numRows;
    await this.handle.write(this.queue.take(), batch.numRows, arrowBytes);
    crashPoint('batch');
  }

  projectedBytes(arrowBytes: number): number {
    const { bytesWritten, arrowBytesAtProgress } = this.handle;
    // Compression ratio of the row groups written so far (by this file, else by the sink's previous
    // files; 1, no compression, before any): the pending row group is estimated at that ratio.
    if (bytesWritten > 0 && arrowBytesAtProgress > 0) this.estimate.ratio = bytesWritten / arrowBytesAtProgress;
    const rowGroups = Math.ceil(this.rowsSent / this.plan.maxRowGroupRows) + 1;
    const footer = this.footerBase + rowGroups * this.leaves * 150;
    return bytesWritten + (this.arrowBytesSent - arrowBytesAtProgress + arrowBytes) * this.estimate.ratio + footer;
  }

  async finish(): Promise<EncodedFile> {
    const result = await this.handle.close();
    if (this.arrowBytesSent > 0) this.estimate.ratio = result.bytes / this.arrowBytesSent;
    return result;
  }

  abort(): Promise<void> {
    return this.handle.abort();
  }
}
