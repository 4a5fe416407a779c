/**
 * The Parquet side of a CSV stream (src/pipeline/run-csv-stream.ts): batch and row-group sizes, and
 * the per-lane encoder pools with their settings.
 */
import { EncoderPool } from '../load/index.js';
import type { Logger } from '../log.js';

/** Rows per batch: about 2 MB of values (below the allocator's mmap threshold, so buffers are recycled rather than faulted in afresh), at least 16 rows. */
export function defaultBatchRows(valuesPerRow: number, float32: boolean): number {
  return Math.max(16, Math.floor((2 << 20) / Math.max(1, valuesPerRow * (float32 ? 4 : 8))));
}

/**
 * Row groups of this path are at most 8 MiB decoded in all lanes together (4 MiB, 250 72 x 56
 * float32 histograms, per encoder with two lanes): the encoder holds a row group in wasm memory,
 * which never shrinks, so `row_group_mb`'s 128 MiB default would be most of the export's peak RSS,
 * and the smaller groups encode with no more CPU measurable (docs/decisions.md, "CSV exports: 16 MiB
 * row groups, one encoder worker kept, chunk buffers recycled" and "CSV exports: two lanes per file,
 * one encoder worker each").
 */
export const CSV_MAX_ROW_GROUP_BYTES = 8 << 20;

/**
 * The stream's own Parquet encoders: one pool of one worker per lane, each kept for every slice of
 * every file (the shared pool replaces its worker after 8 files, a ~0.5 s CPU start-up each time);
 * replaced only if its wasm memory outgrows 256 MiB, which these row groups do not reach. One pool per
 * lane, not one pool of `lanes` workers: a pool gives a new file to its least busy worker, ties to the
 * first, and a file still closing counts, so both lanes' files often went to one worker while the
 * other idled (per thread on the 2.5 GB file: 16.7 s against 7.6 s of CPU). The bytes queued in the
 * workers stay those of one worker (16 MiB in all), so a second lane costs no more batches in flight.
 */
export function csvEncoderPools(lanes: number, logger: Logger): EncoderPool[] {
  return Array.from(
    { length: lanes },
    () =>
      new EncoderPool({
        size: 1,
        maxFilesPerWorker: Number.MAX_SAFE_INTEGER,
        maxWasmBytes: 256 << 20,
        maxWorkerBytesInFlight: (16 << 20) / lanes,
        logger,
      }),
  );
}

/** Destroys every pool (their workers terminated), whatever happens to the others. */
export async function destroyAll(pools: readonly EncoderPool[]): Promise<void> {
  await Promise.allSettled(pools.map((p) => p.destroy()));
}
