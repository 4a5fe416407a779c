/**
 * How many of a slice's records are transformed and encoded together. Each batch handed to the
 * Parquet encoder has a fixed cost (IPC stream, `fromIPCStream`, arrow-rs writer calls: ~0.4 ms),
 * which a 50-record page of small 1D histograms (~36 KB of JSON) pays per 50 records: encoding
 * 1D records of 100 bins costs 12-15 us/record in batches of 50 and 5-6 us in batches of 500. So a
 * slice's pages are held until they hold `COALESCE_JSON_BYTES` of JSON or `COALESCE_MAX_RECORDS`
 * records. A page of 2D histograms (50 x 72 x 56 bins, ~1 MB) is past the threshold alone and is
 * written at once, as before, so the memory held per slice does not grow (docs/decisions.md,
 * "Pipeline: small pages coalesced into bigger batches").
 */

/** JSON bytes of held pages at which a slice's records are written. */
export const COALESCE_JSON_BYTES = 512 * 1024;

/** Held records at which a slice's records are written, whatever their size. */
export const COALESCE_MAX_RECORDS = 2048;

/** Records of one slice received but not yet transformed. */
export interface PendingRecords {
  records: unknown[];
  /** JSON bytes of the pages they came in. */
  bytes: number;
}

/** True when `held` should be transformed and written now. */
export function isFull(held: PendingRecords): boolean {
  return held.bytes >= COALESCE_JSON_BYTES || held.records.length >= COALESCE_MAX_RECORDS;
}
