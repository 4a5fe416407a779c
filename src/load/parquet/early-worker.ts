/**
 * The hand-over of a Parquet encoder worker started before the CLI's code is loaded. src/cli/bin.ts
 * starts it first thing for a `run` that will write Parquet, so the worker's ~0.15 s of start-up runs
 * on the second core while the main thread reads and deserialises the CLI bundle; the shared pool
 * adopts it when `run` prewarms (docs/decisions.md, "CLI start-up: the encoder worker warms up, and
 * starts before the bundle loads"). bin.js and the bundle each have their own copy of this module,
 * so the worker is handed over through a process-wide symbol, not a module variable.
 */
import { Worker } from 'node:worker_threads';
import { WORKER_RESOURCE_LIMITS } from '../../worker-limits.js';
import type { WarmUp } from './warm-up.js';

/** What an encoder worker is started with (src/load/parquet/worker.ts reads it). */
export interface EncoderWorkerData {
  /** Absolute URL of parquet-wasm's Node build. */
  parquetWasmUrl: string;
  /** A batch to encode in memory at once (workers started ahead of need). */
  warmUp?: WarmUp;
  /** Where the optional zstd-napi is resolved from (default: `parquetWasmUrl`, in the same node_modules). */
  nativeZstdFrom?: string;
}

interface EarlyWorker {
  /** The script's URL: adopted only by a pool that would start the same script. */
  script: string;
  worker: Worker;
  /** Set when the worker failed before it was adopted. */
  failed: boolean;
  /** Removes the listeners that watch the worker until it is adopted. */
  detach: () => void;
}

const KEY = Symbol.for('dqm-export.early-encoder-worker');
const holder = globalThis as { [KEY]?: EarlyWorker };

/**
 * Starts an encoder worker, idle and unref'd (it never keeps the process alive), for the shared
 * pool to adopt with `takeEarlyEncoderWorker`. A failure before then (a missing parquet-wasm, an
 * exit) is remembered, and the pool starts a worker of its own, which reports it. Returns the worker
 * (the one already waiting, when called twice).
 */
export function startEarlyEncoderWorker(script: URL, workerData: EncoderWorkerData): Worker {
  const started = holder[KEY];
  if (started) return started.worker;
  const worker = new Worker(script, { workerData, resourceLimits: WORKER_RESOURCE_LIMITS });
  worker.unref();
  const early: EarlyWorker = { script: script.href, worker, failed: false, detach: () => {} };
  const onMessage = (reply: { type?: string }) => {
    if (reply?.type === 'fatal') early.failed = true;
  };
  const onFailure = () => {
    early.failed = true;
  };
  worker.on('message', onMessage).on('error', onFailure).on('exit', onFailure);
  early.detach = () => {
    worker.off('message', onMessage).off('error', onFailure).off('exit', onFailure);
  };
  holder[KEY] = early;
  return worker;
}

/**
 * The worker `startEarlyEncoderWorker` started for `script`, once (the caller attaches its own
 * listeners in the same tick, so no event is lost); undefined when there is none or it failed (a
 * failed one is terminated).
 */
export function takeEarlyEncoderWorker(script: URL): Worker | undefined {
  const early = holder[KEY];
  if (!early || early.script !== script.href) return undefined;
  delete holder[KEY];
  early.detach();
  if (!early.failed) return early.worker;
  void early.worker.terminate();
  return undefined;
}
