/**
 * A pool of Parquet encoder workers. Wasm memory only grows, so a worker is retired (no new files)
 * after `maxFilesPerWorker` files or once its memory passes `maxWasmBytes`, and terminated when its
 * last file is done: memory stays flat however long the export (bench/load.ts measures it). Idle
 * workers are unref'd and never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { InternalError, type DqmExportError } from '../../errors.js';
import { crashPoint } from '../../crash-points.js';
import { fsError } from '../atomic.js';
import type { ParquetWriterPlan, WorkerReply, WorkerRequest } from './protocol.js';
import { parquetWasmUrl, workerScriptUrl } from './worker-script.js';

/** Pool settings. */
export interface EncoderPoolOptions {
  /** Workers encoding at once (default 1: with the main thread parsing JSON, both cores of a 2-core machine). */
  size?: number;
  /** Files a worker encodes before it is replaced (default 8). */
  maxFilesPerWorker?: number;
  /** Wasm memory after which a worker is replaced once its files are done (default 1 GiB). */
  maxWasmBytes?: number;
}

/** Counters, for tests and the benchmark. */
export interface EncoderPoolStats {
  workersStarted: number;
  workersRetired: number;
  liveWorkers: number;
  /** Largest wasm memory a worker reported. */
  peakWasmBytes: number;
}

/** Batches a file may have queued in its worker before `write` waits. */
const MAX_IN_FLIGHT = 6;

interface Pending {
  resolve: (value: never) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  files: Map<number, ParquetFileHandle>;
  assigned: number;
  retired: boolean;
  dead: boolean;
}

/** The main thread's end of one file being encoded in a worker. */
export class ParquetFileHandle {
  /** Bytes the worker has written to the file so far. */
  bytesWritten = 0;
  /** Decoded bytes of the batches the writer has taken, when `bytesWritten` last changed. */
  arrowBytesAtProgress = 0;
  private arrowBytesAcked = 0;
  private readonly inFlight: number[] = [];
  /** Transfer buffers the worker has sent back. */
  private readonly spare: ArrayBuffer[] = [];
  private waiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private ending: Pending | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly slot: Slot,
    readonly id: number,
    /** The (temporary) file written, for error messages. */
    readonly path: string,
  ) {}

  private post(message: WorkerRequest, transfer: ArrayBuffer[] = []): void {
    if (this.failure) throw this.failure;
    this.slot.worker.postMessage(message, transfer);
  }

  /**
   * Sends one batch as the chunks of an Arrow IPC stream; waits while the worker is busy. The chunks
   * are views of buffers the caller still owns, so they are copied once, into a transfer buffer
   * that the worker sends back with its ack: the same few buffers go back and forth for the whole
   * file. (Allocating 1-2 MB per batch on one thread and freeing it on another made glibc's heap,
   * and so the RSS, creep up with the length of the export: see docs/decisions.md.)
   */
  async write(chunks: Uint8Array[], rows: number, arrowBytes: number): Promise<void> {
    const size = chunks.reduce((n, c) => n + c.byteLength, 0);
    const spare = this.spare.findIndex((b) => b.byteLength >= size);
    const buffer =
      spare >= 0 ? this.spare.splice(spare, 1)[0] : new ArrayBuffer(Math.ceil((size * 1.25) / 65536) * 65536);
    const ipc = new Uint8Array(buffer, 0, size);
    let offset = 0;
    for (const c of chunks) {
      ipc.set(c, offset);
      offset += c.byteLength;
    }
    this.post({ type: 'batch', fileId: this.id, ipc, rows }, [buffer]);
    this.inFlight.push(arrowBytes);
    if (this.inFlight.length >= MAX_IN_FLIGHT) {
      await new Promise<void>((resolve, reject) => (this.waiter = { resolve, reject }));
    }
  }

  /** Finishes the file; resolves with what the worker measured and read back from the footer. */
  close(): Promise<{ bytes: number; sha256: string; rows: number }> {
    return new Promise((resolve, reject) => {
      this.ending = { resolve: resolve as (v: never) => void, reject };
      try {
        this.post({ type: 'close', fileId: this.id });
      } catch (err) {
        reject(err as Error);
      }
    });
  }

  /** Stops the file; the worker deletes it. */
  abort(): Promise<void> {
    if (this.failure) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.ending = { resolve: resolve as (v: never) => void, reject };
      this.post({ type: 'abort', fileId: this.id });
    });
  }

  /** Handles a reply about this file. */
  receive(reply: WorkerReply): void {
    if (reply.type === 'ack') {
      this.arrowBytesAcked += this.inFlight.shift() ?? 0;
      if (reply.buffer && this.spare.length <= MAX_IN_FLIGHT) this.spare.push(reply.buffer);
      if (this.inFlight.length < MAX_IN_FLIGHT && this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w.resolve();
      }
    } else if (reply.type === 'progress') {
      this.bytesWritten = reply.bytes;
      this.arrowBytesAtProgress = this.arrowBytesAcked;
      crashPoint('row-group');
    } else if (reply.type === 'closed') {
      this.ending?.resolve({ bytes: reply.bytes, sha256: reply.sha256, rows: reply.rows } as never);
    } else if (reply.type === 'aborted') {
      this.ending?.resolve(undefined as never);
    } else if (reply.type === 'error') {
      this.fail(encoderFailure(reply.message, this.path));
    }
  }

  /** Fails every pending call (worker error or death). */
  fail(err: Error): void {
    this.failure = err;
    this.waiter?.reject(err);
    this.waiter = null;
    this.ending?.reject(err);
    this.ending = null;
  }
}

/**
 * The error of a file the worker could not complete. The worker reports Node's message, which for a
 * system error starts with the errno code (`ENOSPC: no space left on device, write`): a full or
 * read-only disk is then the same InputError naming the file (E_FS_ENOSPC, ...) as anywhere else,
 * not an encoder bug.
 */
function encoderFailure(message: string, path: string): DqmExportError {
  const errno = /^(E[A-Z0-9]+): /.exec(message)?.[1];
  if (errno) {
    const error = fsError(Object.assign(new Error(message), { code: errno }), path);
    if (error.code.startsWith('E_FS_')) return error;
  }
  return new InternalError('E_PARQUET_ENCODE', `parquet encoder: ${message}`);
}

/** Runs Parquet encoders in worker threads, recycling them. */
export class EncoderPool {
  private readonly slots: Slot[] = [];
  private nextFileId = 1;
  private readonly counters: EncoderPoolStats = {
    workersStarted: 0,
    workersRetired: 0,
    liveWorkers: 0,
    peakWasmBytes: 0,
  };
  private readonly size: number;
  private readonly maxFilesPerWorker: number;
  private readonly maxWasmBytes: number;

  constructor(options: EncoderPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? 1);
    this.maxFilesPerWorker = Math.max(1, options.maxFilesPerWorker ?? 8);
    this.maxWasmBytes = options.maxWasmBytes ?? 1024 ** 3;
  }

  /** Pool counters. */
  stats(): EncoderPoolStats {
    return { ...this.counters, liveWorkers: this.slots.length };
  }

  private spawn(): Slot {
    const worker = new Worker(workerScriptUrl(), { workerData: { parquetWasmUrl: parquetWasmUrl() } });
    const slot: Slot = { worker, files: new Map(), assigned: 0, retired: false, dead: false };
    const die = (err: Error): void => {
      if (slot.dead) return;
      slot.dead = true;
      this.remove(slot);
      for (const file of slot.files.values()) file.fail(err);
      slot.files.clear();
      void worker.terminate();
    };
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready') return;
      if (reply.type === 'fatal') return die(new InternalError('E_PARQUET_WORKER', reply.message));
      const file = slot.files.get(reply.fileId);
      file?.receive(reply);
      if (reply.type === 'closed' || reply.type === 'aborted' || reply.type === 'error') {
        slot.files.delete(reply.fileId);
        if (reply.type !== 'error') {
          this.counters.peakWasmBytes = Math.max(this.counters.peakWasmBytes, reply.wasmBytes);
          if (reply.wasmBytes >= this.maxWasmBytes) slot.retired = true;
        }
        this.settle(slot);
      }
    });
    worker.on('error', (err) =>
      die(new InternalError('E_PARQUET_WORKER', `parquet encoder worker failed: ${err.message}`, {}, { cause: err })),
    );
    worker.on('exit', (code) =>
      die(new InternalError('E_PARQUET_WORKER', `parquet encoder worker exited (code ${code})`)),
    );
    this.counters.workersStarted++;
    this.slots.push(slot);
    return slot;
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  /** Retires or idles a worker after one of its files ended. */
  private settle(slot: Slot): void {
    if (slot.files.size > 0) return;
    if (slot.retired && !slot.dead) {
      slot.dead = true;
      this.counters.workersRetired++;
      this.remove(slot);
      void slot.worker.terminate();
    } else {
      slot.worker.unref();
    }
  }

  /** Opens a Parquet file at `path` (created exclusively) encoded by one of the workers. */
  openFile(path: string, plan: ParquetWriterPlan): ParquetFileHandle {
    const active = this.slots.filter((s) => !s.retired && !s.dead);
    let slot =
      active.length < this.size ? this.spawn() : active.reduce((a, b) => (b.files.size < a.files.size ? b : a));
    if (slot.dead) slot = this.spawn();
    const file = new ParquetFileHandle(slot, this.nextFileId++, path);
    slot.files.set(file.id, file);
    slot.assigned++;
    if (slot.assigned >= this.maxFilesPerWorker) slot.retired = true;
    slot.worker.ref();
    slot.worker.postMessage({ type: 'open', fileId: file.id, path, plan } satisfies WorkerRequest);
    return file;
  }

  /** Terminates every worker; open files fail. */
  async destroy(): Promise<void> {
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.dead = true;
      for (const file of slot.files.values())
        file.fail(new InternalError('E_PARQUET_WORKER', 'parquet encoder pool destroyed'));
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

let shared: EncoderPool | null = null;

/** The process-wide pool used when a sink is given none. */
export function sharedEncoderPool(): EncoderPool {
  return (shared ??= new EncoderPool());
}
