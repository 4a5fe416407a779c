/**
 * The hand-over of a Parquet encoder worker started before the CLI's code is loaded. src/cli/bin.ts
 * starts it first thing for a `run` that will write Parquet, so the worker's ~0.15 s of start-up runs
 * on the second core while the main thread reads and deserialises the CLI bundle; the shared pool
 * adopts it when `run` prewarms (docs/decisions.md, "CLI start-up: the encoder worker warms up, and
 * starts before the bundle loads"). The hand-over itself is src/early-worker.ts's.
 */
import type { Worker } from 'node:worker_threads';
import { earlyWorker } from '../../early-worker.js';
import type { WarmUp } from './warm-up.js';

/** What an encoder worker is started with (src/load/parquet/worker.ts reads it). */
export interface EncoderWorkerData {
  /** Absolute URL of parquet-wasm's Node build; when absent, the worker resolves it from `packagesFrom`. */
  parquetWasmUrl?: string;
  /**
   * A file URL that dqm-export's dependencies resolve from (the caller's module), so that the worker,
   * not the caller's thread, finds parquet-wasm (one of the two must be given).
   */
  packagesFrom?: string;
  /** A batch to encode in memory at once (workers started ahead of need). */
  warmUp?: WarmUp;
  /** Where the optional zstd-napi is resolved from (default: `packagesFrom`, else `parquetWasmUrl`: the same node_modules). */
  nativeZstdFrom?: string;
}

const early = earlyWorker<EncoderWorkerData>(
  'dqm-export.early-encoder-worker',
  (reply) => (reply as { type?: string } | null)?.type === 'fatal',
);

/**
 * Starts an encoder worker, idle and unref'd (it never keeps the process alive), for the shared
 * pool to adopt with `takeEarlyEncoderWorker`. A failure before then (a missing parquet-wasm, an
 * exit, a `fatal` reply) is remembered, and the pool starts a worker of its own, which reports it.
 * Returns the worker (the one already waiting, when called twice).
 */
export function startEarlyEncoderWorker(script: URL, workerData: EncoderWorkerData): Worker {
  return early.start(script, workerData);
}

/**
 * The worker `startEarlyEncoderWorker` started for `script`, once (the caller attaches its own
 * listeners in the same tick, so no event is lost); undefined when there is none or it failed (a
 * failed one is terminated).
 */
export function takeEarlyEncoderWorker(script: URL): Worker | undefined {
  return early.take(script);
}
