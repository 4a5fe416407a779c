/**
 * Read and split sizes of a CSV export. A module of its own, with no imports, so that bin.js and the
 * CSV worker (which scans ahead with the same settings, scan-ahead.ts) can use it without loading the
 * rest of the source.
 */

/** Read sizes and split sizes of a CSV export. */
export interface CsvReadSettings {
  /** Bytes per read (default 4 MiB). */
  blockBytes: number;
  /** Target bytes of a range parsed by one worker (default 4 MiB; about workers + 1 ranges are in flight). */
  rangeBytes: number;
}

/**
 * Default read settings: large sequential reads, ranges small enough to keep a few in flight (their
 * chunks wait on the main thread while the encoders are behind: 4 MiB rather than 8 took 30-45 MB
 * off the peak RSS of a two-lane export, with 4 MiB row groups; docs/decisions.md).
 */
export const DEFAULT_READ_SETTINGS: CsvReadSettings = { blockBytes: 4 << 20, rangeBytes: 4 << 20 };
