/**
 * The hand-over of a worker thread started before the CLI's code loads: src/cli/bin.ts starts a
 * Parquet encoder (src/load/parquet/early-worker.ts) or a CSV worker (src/sources/csv/early-worker.ts)
 * first thing, so its start-up runs on the second core while the main thread reads the CLI bundle,
 * and the pool that would start the same script adopts it. bin.js and the bundle each have their own
 * copy of this module, so the worker is handed over through a process-wide symbol, not a module
 * variable.
 */
import { Worker } from 'node:worker_threads';
import { WORKER_RESOURCE_LIMITS } from './worker-limits.js';

/** A worker started ahead and not adopted yet. */
interface Waiting {
  /** The script's URL: adopted only by a pool that would start the same script. */
  script: string;
  worker: Worker;
  /** Set when the worker failed before it was adopted. */
  failed: boolean;
  /** Removes the listeners that watch the worker until it is adopted. */
  detach: () => void;
}

/** Starts one kind of worker ahead of need, and hands it over once. */
export interface EarlyWorker<Data> {
  /**
   * Starts the worker, unref'd (it never keeps the process alive), for `take`. A failure before then
   * (an error, an exit, or a message `isFailure` recognises) is remembered, and the pool starts a
   * worker of its own, which reports it. Returns the worker (the one already waiting, when called twice).
   */
  start(script: URL, workerData: Data): Worker;
  /**
   * The worker `start` started for `script`, once, ref'd again (the caller attaches its own
   * listeners in the same tick, so no event is lost); undefined when there is none or it failed (a
   * failed one is terminated).
   */
  take(script: URL): Worker | undefined;
}

/**
 * The early worker kept under `Symbol.for(key)`. `isFailure`: a message of the worker that means it
 * cannot be used (the encoder's `fatal` reply).
 */
export function earlyWorker<Data>(key: string, isFailure?: (message: unknown) => boolean): EarlyWorker<Data> {
  const symbol = Symbol.for(key);
  const holder = globalThis as { [symbol]?: Waiting };
  return {
    start(script, workerData) {
      const started = holder[symbol];
      if (started) return started.worker;
      const worker = new Worker(script, { workerData, resourceLimits: WORKER_RESOURCE_LIMITS });
      const waiting: Waiting = { script: script.href, worker, failed: false, detach: () => {} };
      const onFailure = (): void => {
        waiting.failed = true;
      };
      const onMessage = (message: unknown): void => {
        if (isFailure?.(message)) waiting.failed = true;
      };
      worker.on('error', onFailure).on('exit', onFailure);
      if (isFailure) worker.on('message', onMessage);
      waiting.detach = () => {
        worker.off('error', onFailure).off('exit', onFailure).off('message', onMessage);
      };
      // After the listeners: a 'message' listener refs the worker's port again, and a worker that
      // nobody adopts must not keep the process alive (a run failing early would hang).
      worker.unref();
      holder[symbol] = waiting;
      return worker;
    },
    take(script) {
      const waiting = holder[symbol];
      if (!waiting || waiting.script !== script.href) return undefined;
      delete holder[symbol];
      waiting.detach();
      if (waiting.failed) {
        void waiting.worker.terminate();
        return undefined;
      }
      waiting.worker.ref();
      return waiting.worker;
    },
  };
}
