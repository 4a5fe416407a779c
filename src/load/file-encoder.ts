/** What the rolling sink needs from one file being written, whatever its format. */
import type { RecordBatch, Schema } from 'apache-arrow';

/** Result of finishing a file. */
export interface EncodedFile {
  bytes: number;
  sha256: string;
  /** Rows as the finished file reports them (Parquet: read back from the footer). */
  rows: number;
}

/** One output file being written under a temporary name. */
export interface FileEncoder {
  /** Writes a batch that has the file's schema; `arrowBytes` is its decoded size. */
  write(batch: RecordBatch, arrowBytes: number): Promise<void>;
  /** Best estimate of the file's size on disk after a further batch of `arrowBytes` decoded bytes. */
  projectedBytes(arrowBytes: number): number;
  /** Completes, syncs and closes the file (still under its temporary name). */
  finish(): Promise<EncodedFile>;
  /** Stops and deletes the file. */
  abort(): Promise<void>;
}

/** Opens a file encoder at `temporaryPath` for batches of `schema`; `firstBatch` may size row groups. */
export type FileEncoderFactory = (
  temporaryPath: string,
  schema: Schema,
  firstBatch: RecordBatch,
) => Promise<FileEncoder>;
