/**
 * The hand-over of a CSV worker started before the CLI's code is loaded. For `run FILE` of an
 * ml4dqm-csv pipeline, src/cli/bin.ts starts it first thing (and has it scan the pipeline's files
 * ahead, scan-ahead.ts), so its start-up and the scans run on the second core while the main thread
 * reads and runs the CLI bundle; the source's CsvWorkerPool adopts it as its first worker. bin.js and
 * the bundle each have their own copy of this module, so the worker is handed over through a
 * process-wide symbol, not a module variable (as src/load/parquet/early-worker.ts does for the
 * Parquet encoder).
 */
import { Worker } from 'node:worker_threads';
import { WORKER_RESOURCE_LIMITS } from '../../worker-limits.js';
import type { ScanAheadSpec } from './scan-ahead.js';

/** What a CSV worker is started with (worker.ts reads it). */
export interface CsvWorkerData {
  /** Files to scan before any request (a worker started ahead of need). */
  ahead?: ScanAheadSpec;
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

const KEY = Symbol.for('dqm-export.early-csv-worker');
const holder = globalThis as { [KEY]?: EarlyWorker };

/**
 * Starts a CSV worker, unref'd (it never keeps the process alive), for the pool to adopt with
 * `takeEarlyCsvWorker`. A failure before then (an exit, an error) is remembered, and the pool starts
 * a worker of its own. Returns the worker (the one already waiting, when called twice).
 */
export function startEarlyCsvWorker(script: URL, workerData: CsvWorkerData): Worker {
  const started = holder[KEY];
  if (started) return started.worker;
  const worker = new Worker(script, { workerData, resourceLimits: WORKER_RESOURCE_LIMITS });
  worker.unref();
  const early: EarlyWorker = { script: script.href, worker, failed: false, detach: () => {} };
  const onFailure = (): void => {
    early.failed = true;
  };
  worker.on('error', onFailure).on('exit', onFailure);
  early.detach = () => {
    worker.off('error', onFailure).off('exit', onFailure);
  };
  holder[KEY] = early;
  return worker;
}

/**
 * The worker `startEarlyCsvWorker` started for `script`, once, ref'd again (the caller attaches its
 * own listeners in the same tick, so no event is lost); undefined when there is none or it failed (a
 * failed one is terminated).
 */
export function takeEarlyCsvWorker(script: URL): Worker | undefined {
  const early = holder[KEY];
  if (!early || early.script !== script.href) return undefined;
  delete holder[KEY];
  early.detach();
  if (early.failed) {
    void early.worker.terminate();
    return undefined;
  }
  early.worker.ref();
  return early.worker;
}
