/**
 * Flow limits of the executor (execute.ts): how far ahead it fetches and how many requests it hands
 * the client, and the page that stands for one past the end of a list.
 */
import type { Page } from './types.js';

/**
 * Records at least this big (JSON bytes, averaged over the first page with records) keep a default
 * extraction at `concurrency` pages ahead and slices open; smaller ones let it go to twice that. 2D
 * records of 72 x 56 bins are ~20 KB (a page ~1 MB, ~2 MB once parsed), 1D of 100 bins ~0.7 KB.
 * With large records the export is CPU-bound: pages fetched further ahead only wait, parsed, and
 * each open slice holds a Parquet file in the encoder (peak RSS, bench/memory-run.ts).
 */
export const LARGE_RECORD_BYTES = 4 * 1024;

/**
 * Requests the executor hands to the client per connection: one on the wire, the others queued in
 * undici's pool, so a socket never waits for the main thread to process the page it just delivered
 * before its next request goes out (docs/decisions.md, "Sockets back to work before pages are
 * processed"). Pages ahead (`maxPagesAhead`) still bound how many are requested at all.
 */
export const QUEUED_PER_CONNECTION = 2;

/**
 * True unless `DQM_EXPORT_SPECULATIVE_PAGES=0`: pages requested with page 1 before the page count is
 * known (ExtractOptions.speculativePages, what `histograms list --all` and `run` ask for). The switch
 * lets bench/cli-concurrency.ts measure both with and without them in the same run (the output is the
 * same either way).
 */
export function speculativePagesOn(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.DQM_EXPORT_SPECULATIVE_PAGES !== '0';
}

/** A page past the end of the list (HTTP 404 "Invalid page"): no records, no total. */
export function emptyPage<T>(): Page<T> {
  return { records: [], total: null, perPage: null, next: null, bytes: 0, retries: 0, url: '' };
}
