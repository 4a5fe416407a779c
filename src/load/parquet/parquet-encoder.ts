/**
 * The main thread's side of a Parquet file: plans the writer settings from the Arrow schema, ships
 * each batch to an encoder worker as IPC stream bytes, and estimates the file's size for rollover.
 */
import { DataType, Table, tableToIPC, type Field, type RecordBatch, type Schema } from 'apache-arrow';
import { VERSION } from '../../version.js';
import { batchByteLength } from '../batch-bytes.js';
import type { EncodedFile, FileEncoder } from '../file-encoder.js';
import type { Compression } from '../types.js';
import type { EncoderPool, ParquetFileHandle } from './encoder-pool.js';
import type { ColumnPlan, ParquetWriterPlan } from './protocol.js';

/** Default target decoded size of a row group. */
export const DEFAULT_ROW_GROUP_BYTES = 128 * 1024 ** 2;

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
  const columns: ColumnPlan[] = schema.fields.filter((f) => !isList(f.type) && !DataType.isStruct(f.type)).map((f) => ({ name: f.name, dictionary: true, encoding: 'plain' }));
  const bytesPerRow = Math.max(1, batchByteLength(firstBatch) / Math.max(1, firstBatch.numRows));
  return {
    compression: options.compression,
    maxRowGroupRows: Math.max(1, Math.floor(options.rowGroupBytes / bytesPerRow)),
    maxRowGroupBytes: options.rowGroupBytes,
    keyValueMetadata: options.metadata,
    floatLists,
    columns,
    createdBy: `dqm-export version ${VERSION}`,
  };
}

/** Settings of a Parquet encoder. */
export interface ParquetEncoderSettings {
  compression: Compression;
  rowGroupBytes: number;
  metadata: Record<string, string>;
  pool: EncoderPool;
}

/** One Parquet file encoded in a worker. */
export class ParquetEncoder implements FileEncoder {
  private arrowBytesSent = 0;

  private constructor(private readonly handle: ParquetFileHandle) {}

  /** Opens the file at `path` in a pool worker, with row groups sized from `firstBatch`. */
  static open(path: string, schema: Schema, firstBatch: RecordBatch, settings: ParquetEncoderSettings): ParquetEncoder {
    const plan = planParquetWriter(schema, firstBatch, settings);
    return new ParquetEncoder(settings.pool.openFile(path, plan));
  }

  async write(batch: RecordBatch, arrowBytes: number): Promise<void> {
    const ipc = tableToIPC(new Table([batch]), 'stream');
    this.arrowBytesSent += arrowBytes;
    await this.handle.write(ipc, batch.numRows, arrowBytes);
  }

  projectedBytes(arrowBytes: number): number {
    const { bytesWritten, arrowBytesAtProgress } = this.handle;
    // Compression ratio of the row groups already written; 1 (no compression) before the first.
    const ratio = bytesWritten > 0 && arrowBytesAtProgress > 0 ? bytesWritten / arrowBytesAtProgress : 1;
    return bytesWritten + (this.arrowBytesSent - arrowBytesAtProgress + arrowBytes) * ratio;
  }

  finish(): Promise<EncodedFile> {
    return this.handle.close();
  }

  abort(): Promise<void> {
    return this.handle.abort();
  }
}
