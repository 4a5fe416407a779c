/**
 * The one output interface: a `Sink` takes Arrow record batches and leaves finished files behind.
 * Every format (Parquet, Arrow IPC file, Arrow IPC stream) and the partitioned writer implement it.
 */
import type { RecordBatch } from 'apache-arrow';
import type { EncoderPool } from './parquet/encoder-pool.js';
import type { Compression } from './parquet/protocol.js';
import type { SchemaJSON } from './schema-json.js';

/** Output file format: Parquet, Arrow IPC file (`.arrow`) or Arrow IPC stream (`.arrows`). */
export type OutputFormat = 'parquet' | 'arrow' | 'arrows';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['parquet', 'arrow', 'arrows'];

// Declared with the worker protocol, which must not import this file (it would close an import cycle).
export type { Compression };

/** What a batch whose schema differs from the open file's does (a tensor shape change, typically). */
export type SchemaChangePolicy = 'error' | 'new-file';

/** Options of `openSink`. Sizes are bytes. */
export interface SinkOptions {
  /** Output root; `WrittenFile.path` is relative to it. Created if missing. */
  dir: string;
  /** File format. */
  format: OutputFormat;
  /** Compression (default: zstd for Parquet, none for IPC). */
  compression?: Compression;
  /**
   * Target decoded (Arrow in-memory) size of a Parquet row group, default 128 MiB: what a reader holds
   * in memory per row group. Rows per group are derived from the first batch's bytes per row.
   */
  rowGroupBytes?: number;
  /**
   * Size at which a file is closed and the next one started, default 1 GiB. A file is closed before a
   * batch that would take it past the limit (Parquet: estimated from the compression ratio seen so
   * far); a single batch larger than the limit still gets a file of its own.
   */
  maxFileBytes?: number;
  /** File name prefix: files are `<prefix>-00000.<ext>`, numbered per sink. Make it unique per slice or shard. */
  filePrefix?: string;
  /** Provenance written into every file: Parquet key-value metadata and Arrow schema metadata. */
  metadata?: Record<string, string>;
  /** Partition values of this sink: files go under `dir/<col>=<value>/...` and are listed with them. */
  partition?: Record<string, string>;
  /** What a batch with a different schema does: throw (default) or close the file and start a new one. */
  onSchemaChange?: SchemaChangePolicy;
  /** Parquet only: the worker pool that encodes (default: one shared pool of one worker). */
  encoderPool?: EncoderPool;
}

/** A finished file, committed under its final name by `Sink.close()`. */
export interface WrittenFile {
  /** Path relative to the output root, with `/` separators. */
  path: string;
  format: OutputFormat;
  rows: number;
  /** File size on disk. */
  bytes: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
  /** Partition column values (empty when not partitioned). */
  partition: Record<string, string>;
  /** The file's Arrow schema, as JSON. */
  schema: SchemaJSON;
}

/** Consumes record batches and writes files. Files become visible (renamed in place) only in `close()`. */
export interface Sink {
  /** Appends a batch; resolves when the sink can take the next one (backpressure). */
  write(batch: RecordBatch): Promise<void>;
  /** Finishes every file, syncs it and renames it to its final name; returns them in order. */
  close(): Promise<WrittenFile[]>;
  /** Drops everything written so far: no file of this sink is left, under any name. */
  abort(): Promise<void>;
}
