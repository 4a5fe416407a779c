/**
 * What a pipeline run reports: per-stream counters, aggregated from extraction reports, transform
 * rejects and written files. Plain data, so the CLI can render it as a table or one JSON line.
 */

/** Counters for one stream of one run. */
export interface StreamSummary {
  /** Stream name from the pipeline file. */
  stream: string;
  /** Output directory (absolute). */
  output: string;
  /** Records written (after dedupe and rejects). */
  records: number;
  /** Records that failed validation and went to the rejects file. */
  rejects: number;
  /** Records received more than once (overlapping pages) and dropped. */
  duplicatesDropped: number;
  /** HTTP attempts retried. */
  retries: number;
  /** Slices split or refetched to reconcile a short count. */
  repairs: number;
  /** Slices planned. */
  slices: number;
  /** Slices skipped because a previous run committed them (`--resume`) or the cursor excluded them. */
  slicesSkipped: number;
  /** Data files in the dataset after this run. */
  files: number;
  /** Bytes of data files in the dataset after this run. */
  bytes: number;
  /** Bytes of JSON received. */
  bytesIn: number;
  /** Wall-clock seconds for the stream. */
  seconds: number;
}

/** The result of `runPipeline`. */
export interface RunSummary {
  pipeline: string;
  streams: StreamSummary[];
  seconds: number;
  /** 0 success, 3 finished with rejected records. Failures throw instead. */
  exitCode: 0 | 3;
}

/** A fresh zeroed summary for a stream. */
export function emptyStreamSummary(stream: string, output: string): StreamSummary {
  return {
    stream,
    output,
    records: 0,
    rejects: 0,
    duplicatesDropped: 0,
    retries: 0,
    repairs: 0,
    slices: 0,
    slicesSkipped: 0,
    files: 0,
    bytes: 0,
    bytesIn: 0,
    seconds: 0,
  };
}
