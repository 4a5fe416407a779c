/**
 * Messages between the main thread and a Parquet encoder worker. Plain data only: batches travel as
 * Arrow IPC stream bytes (transferred, not copied), writer settings as a `ParquetWriterPlan`.
 */

/** Body compression. Parquet: zstd (default), snappy or none. Arrow IPC: none only (see docs/decisions.md). */
export type Compression = 'zstd' | 'snappy' | 'none';

/** Per-column Parquet settings for one top-level column (arrow-rs matches single-part paths only). */
export interface ColumnPlan {
  name: string;
  dictionary: boolean;
  /** `plain`: PLAIN (dictionary fallback); omitted: the global default. */
  encoding?: 'plain';
}

/** Everything the worker needs to build parquet-wasm WriterProperties. */
export interface ParquetWriterPlan {
  compression: Compression;
  /** Rows per row group (derived from the target decoded size). */
  maxRowGroupRows: number;
  /** Upper bound on a row group's encoded size, as arrow-rs measures it. */
  maxRowGroupBytes: number;
  /** Key-value metadata (provenance). */
  keyValueMetadata: Record<string, string>;
  /** Histogram data present: floats in lists are written BYTE_STREAM_SPLIT without a dictionary. */
  floatLists: boolean;
  columns: ColumnPlan[];
  createdBy: string;
  /**
   * Which zstd compresses the pages when `compression` is zstd: `native` (node:zlib or zstd-napi,
   * parquet-wasm then writes UNCOMPRESSED pages that the worker recompresses; parquet-wasm's own
   * zstd when neither loads) or `wasm` (parquet-wasm's own). Omitted: `native`.
   */
  zstd?: 'native' | 'wasm';
  /**
   * The columns as the own writer (own-writer.ts) encodes them, when it can encode them all; absent:
   * parquet-wasm writes the file. The worker still falls back to parquet-wasm when the compression
   * is snappy or no native zstd loads.
   */
  own?: OwnColumn[];
}

/** A top-level scalar column for the own writer: dictionary encoding with PLAIN fallback, chunk statistics. */
export interface OwnScalarColumn {
  kind: 'int32' | 'int64' | 'float64' | 'utf8';
  name: string;
  nullable: boolean;
  /**
   * Arrow dictionary-encoded (int32 indices into utf8 values). Its dictionary batch is found by
   * position: the n-th dictionary column takes the n-th dictionary of each batch's stream (ids
   * change from batch to batch, as each batch carries its own schema).
   */
  arrowDictionary?: boolean;
}

/** One list level of a float list column, outermost first. */
export interface OwnListLevel {
  /** Fixed-size list: the size; absent: a list with offsets. */
  fixedSize?: number;
  /** Name and nullability of the list's element field (Parquet: the child of the `list` group). */
  itemName: string;
  itemNullable: boolean;
}

/**
 * Histogram data: non-null lists (nested `levels.length` deep) of non-null floats, written
 * BYTE_STREAM_SPLIT, no dictionary, no statistics.
 */
export interface OwnFloatListColumn {
  kind: 'floats';
  name: string;
  /** Bytes per float: 4 (float32) or 8 (float64). */
  width: 4 | 8;
  levels: OwnListLevel[];
}

/** One top-level column as the own writer encodes it. */
export type OwnColumn = OwnScalarColumn | OwnFloatListColumn;

/** Main thread -> worker. */
export type WorkerRequest =
  | { type: 'open'; fileId: number; path: string; plan: ParquetWriterPlan }
  /** One batch: a complete Arrow IPC stream (schema, dictionaries, batch, end), in a transferred buffer. */
  | { type: 'batch'; fileId: number; ipc: Uint8Array; rows: number }
  | { type: 'close'; fileId: number }
  | { type: 'abort'; fileId: number };

/** Worker -> main thread. */
export type WorkerReply =
  | { type: 'ready' }
  /** The warm-up encode of a worker started ahead ended (src/load/parquet/warm-up.ts); `error` when it failed. */
  | { type: 'warmed'; error?: string }
  /** A batch was taken by the writer (frees a slot for backpressure); its transfer buffer comes back. */
  | { type: 'ack'; fileId: number; buffer?: ArrayBuffer }
  /** Bytes were written to the file (after each row group). */
  | { type: 'progress'; fileId: number; bytes: number }
  | {
      type: 'closed';
      fileId: number;
      bytes: number;
      sha256: string;
      rows: number;
      wasmBytes: number;
      /** The native zstd that compressed the pages (`node:zlib`, `zstd-napi`); absent: parquet-wasm's codec. */
      nativeZstd?: string;
      /** The own writer wrote the file (absent: parquet-wasm). */
      ownWriter?: boolean;
    }
  /** A line for the process log (the worker has no logger): the native zstd did not load. */
  | { type: 'log'; level: 'debug'; message: string }
  | { type: 'aborted'; fileId: number; wasmBytes: number }
  | { type: 'error'; fileId: number; message: string }
  /** The wasm instance is unusable (a panic); every file of this worker has failed. */
  | { type: 'fatal'; message: string };
