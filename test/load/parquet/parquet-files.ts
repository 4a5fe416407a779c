/**
 * Parquet files for the recompressor's tests, written by parquet-wasm in this thread with the
 * settings the encoder worker uses (histogram floats BYTE_STREAM_SPLIT without dictionary, scalar
 * columns dictionary + PLAIN, chunk statistics), plus knobs the tests need: row groups and pages
 * small enough to have several, page statistics (which add column indexes to the tail), and writer
 * settings the recompressor must refuse.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, tableFromIPC, tableToIPC, type Table } from 'apache-arrow';
import * as P from 'parquet-wasm';
import { decodeStruct, field, type ThriftList, type ThriftStruct } from '../../../src/load/parquet/thrift-compact.js';
import { outputRoot } from '../fixtures.js';

/** How a test file is written. */
export interface WriteOptions {
  compression: 'zstd' | 'none';
  /** Rows per row group (default: all in one). */
  rowGroupRows?: number;
  /** Data page size limit in bytes (arrow-rs default 1 MiB). */
  pageBytes?: number;
  /** Page-level statistics: arrow-rs then writes a column index per chunk. */
  pageStatistics?: boolean;
  /** Data pages v2 (the recompressor refuses them). */
  pagesV2?: boolean;
  /** Compress this one column with zstd whatever `compression` says (the recompressor refuses it). */
  zstdColumn?: string;
}

/** The Parquet bytes of `table`. */
export function writeParquetBytes(table: Table, options: WriteOptions): Uint8Array {
  const floatLists = table.schema.fields.some((f) => DataType.isList(f.type) || DataType.isFixedSizeList(f.type));
  let builder = new P.WriterPropertiesBuilder()
    .setCompression(options.compression === 'zstd' ? P.Compression.ZSTD : P.Compression.UNCOMPRESSED)
    .setMaxRowGroupSize(options.rowGroupRows ?? 1 << 30)
    .setStatisticsEnabled(options.pageStatistics ? P.EnabledStatistics.Page : P.EnabledStatistics.Chunk);
  if (options.pageBytes) builder = builder.setDataPageSizeLimit(options.pageBytes);
  if (options.pagesV2) builder = builder.setWriterVersion(P.WriterVersion.V2);
  if (floatLists) {
    builder = builder.setDictionaryEnabled(false).setEncoding(P.Encoding.BYTE_STREAM_SPLIT);
    for (const f of table.schema.fields.filter((f) => !DataType.isList(f.type) && !DataType.isFixedSizeList(f.type)))
      builder = builder.setColumnDictionaryEnabled(f.name, true).setColumnEncoding(f.name, P.Encoding.PLAIN);
  }
  if (options.zstdColumn) builder = builder.setColumnCompression(options.zstdColumn, P.Compression.ZSTD);
  // writeParquet takes the wasm table (and frees it).
  return P.writeParquet(P.Table.fromIPCStream(tableToIPC(table, 'stream')), builder.build());
}

/** Writes bytes to a fresh file and returns its path (DuckDB reads paths). */
export function saveParquet(bytes: Uint8Array, name = 'file.parquet'): string {
  const path = join(outputRoot(), name);
  writeFileSync(path, bytes);
  return path;
}

/** Every row as parquet-wasm reads the file, decoded by apache-arrow (JSON-comparable rows). */
export function rowsViaParquetWasm(bytes: Uint8Array): unknown[] {
  const wasmTable = P.readParquet(bytes);
  const ipc = wasmTable.intoIPCStream();
  return tableFromIPC(ipc)
    .toArray()
    .map((row: { toJSON(): Record<string, unknown> }) =>
      JSON.parse(JSON.stringify(row.toJSON(), (_, v) => (typeof v === 'bigint' ? `${v}n` : v))),
    );
}

/** The file's FileMetaData, decoded. */
export function footerOf(bytes: Uint8Array): ThriftStruct {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(bytes.byteLength - 8, true);
  return decodeStruct(bytes.subarray(bytes.byteLength - 8 - length, bytes.byteLength - 8)).struct;
}

/** A struct's list field's items (structs), empty when absent. */
export function items(struct: ThriftStruct, id: number): ThriftStruct[] {
  return ((field(struct, id)?.value as ThriftList | undefined)?.items ?? []) as ThriftStruct[];
}

/** A struct's integer field as a number (i32 or i64), undefined when absent. */
export function int(struct: ThriftStruct, id: number): number | undefined {
  const value = field(struct, id)?.value;
  return value === undefined ? undefined : Number(value as number | bigint);
}
