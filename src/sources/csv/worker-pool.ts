/**
 * A fixed pool of CSV worker threads. Each task (a file scan, or one byte range to parse) runs on
 * the next idle worker; a parse streams its chunks back through a callback as they are made.
 */
import { Worker } from 'node:worker_threads';
import { WORKER_RESOURCE_LIMITS } from '../../worker-limits.js';
import { InternalError } from '../../errors.js';
import type { HistogramChunk } from './chunk.js';
import type { ParseTask } from './parse-range.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';
import type { FileScanResult, ScanOptions } from './scan-file.js';
import { takeEarlyCsvWorker } from './early-worker.js';
import { csvWorkerUrl } from './worker-url.js';

/** Why a worker task failed: a code (E_CSV_ROW, E_CSV_READ, E_RECORD_INVALID...) and the line, if any. */
export class TaskFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** A request that runs as a task (and gets replies). */
type TaskRequest = Exclude<WorkerRequest, { type: 'recycle' }>;

interface Running {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onChunk?: (chunk: HistogramChunk) => void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

/** Worker threads for scanning and parsing CSV files. */
export class CsvWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Array<{ request: TaskRequest; running: Running }> = [];
  private readonly running = new Map<number, Running & { slot: Slot }>();
  private nextId = 1;
  private nextRecycle = 0;
  private closed = false;

  /**
   * Starts `size` workers; the first is the one src/cli/bin.ts started before the CLI loaded, when
   * there is one (early-worker.ts: it may hold scans made ahead, which it answers requests from).
   */
  constructor(readonly size: number) {
    const url = csvWorkerUrl();
    for (let i = 0; i < Math.max(1, size); i++) {
      const slot: Slot = {
        worker:
          (i === 0 ? takeEarlyCsvWorker(url) : undefined) ??
          new Worker(url, { resourceLimits: WORKER_RESOURCE_LIMITS }),
        busy: false,
      };
      slot.worker.on('message', (reply: WorkerReply) => this.onReply(slot, reply));
      slot.worker.on('error', (err) => this.onCrash(slot, err));
      slot.worker.on('exit', (code) => {
        if (!this.closed) this.onCrash(slot, new Error(`CSV worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  /** Scans a file in a worker. */
  scan(path: string, options: ScanOptions): Promise<FileScanResult> {
    return this.submit({ type: 'scan', id: this.nextId++, path, options }) as Promise<FileScanResult>;
  }

  /** Parses one range in a worker; `onChunk` gets its chunks in order. */
  parse(task: ParseTask, onChunk: (chunk: HistogramChunk) => void): Promise<void> {
    return this.submit({ type: 'parse', id: this.nextId++, task }, onChunk) as Promise<void>;
  }

  /**
   * Hands the buffers of chunks the caller is done with back to the workers (round robin), which
   * reuse them for later chunks. The caller must hold no view of them any more.
   */
  recycle(buffers: ArrayBuffer[]): void {
    if (this.closed || buffers.length === 0) return;
    const slot = this.slots[this.nextRecycle++ % this.slots.length];
    slot.worker.postMessage({ type: 'recycle', buffers } satisfies WorkerRequest, buffers);
  }

  private submit(request: TaskRequest, onChunk?: (chunk: HistogramChunk) => void): Promise<unknown> {
    if (this.closed) return Promise.reject(new InternalError('E_SOURCE_CLOSED', 'CSV worker pool used after close()'));
    return new Promise((resolve, reject) => {
      this.queue.push({ request, running: { resolve, reject, onChunk } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const { request, running } = this.queue.shift()!;
      slot.busy = true;
      this.running.set(request.id, { ...running, slot });
      slot.worker.postMessage(request);
    }
  }

  private onReply(slot: Slot, reply: WorkerReply): void {
    const task = this.running.get(reply.id);
    if (!task) return;
    if (reply.type === 'chunk') {
      task.onChunk?.(reply.chunk);
      return;
    }
    this.running.delete(reply.id);
    slot.busy = false;
    if (reply.type === 'scanned') task.resolve(reply.result);
    else if (reply.type === 'done') task.resolve(undefined);
    else task.reject(new TaskFailure(reply.code, reply.message, reply.line));
    this.dispatch();
  }

  private onCrash(slot: Slot, err: Error): void {
    for (const [id, task] of this.running) {
      if (task.slot !== slot) continue;
      this.running.delete(id);
      task.reject(new InternalError('E_WORKER_CRASHED', `CSV worker failed: ${err.message}`, {}, { cause: err }));
    }
    this.closed = true;
    for (const q of this.queue.splice(0))
      q.running.reject(new InternalError('E_WORKER_CRASHED', `CSV worker failed: ${err.message}`));
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
