/**
 * The hand-over of a CSV worker started before the CLI's code is loaded. For `run FILE` of an
 * ml4dqm-csv pipeline, src/cli/bin.ts starts it first thing (and has it scan the pipeline's files
 * ahead, scan-ahead.ts), so its start-up and the scans run on the second core while the main thread
 * reads and runs the CLI bundle; the source's CsvWorkerPool adopts it as its first worker. The
 * hand-over itself is src/early-worker.ts's (shared with the Parquet encoder's).
 */
import type { Worker } from 'node:worker_threads';
import { earlyWorker } from '../../early-worker.js';
import type { ScanAheadSpec } from './scan-ahead.js';

/** What a CSV worker is started with (worker.ts reads it). */
export interface CsvWorkerData {
  /** Files to scan before any request (a worker started ahead of need). */
  ahead?: ScanAheadSpec;
}

const early = earlyWorker<CsvWorkerData>('dqm-export.early-csv-worker');

/**
 * Starts a CSV worker, unref'd (it never keeps the process alive), for the pool to adopt with
 * `takeEarlyCsvWorker`. A failure before then (an exit, an error) is remembered, and the pool starts
 * a worker of its own. Returns the worker (the one already waiting, when called twice).
 */
export function startEarlyCsvWorker(script: URL, workerData: CsvWorkerData): Worker {
  return early.start(script, workerData);
}

/**
 * The worker `startEarlyCsvWorker` started for `script`, once, ref'd again (the caller attaches its
 * own listeners in the same tick, so no event is lost); undefined when there is none or it failed (a
 * failed one is terminated).
 */
export function takeEarlyCsvWorker(script: URL): Worker | undefined {
  return early.take(script);
}
