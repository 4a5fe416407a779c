/**
 * The main thread's end of one file being encoded in a pool worker (`ParquetFileHandle`), and the
 * per-worker state its flow control shares with the other files of that worker (`WorkerSlot`):
 * batches and bytes in flight, transfer buffers handed back for reuse. The pool (encoder-pool.ts)
 * starts, assigns and retires the workers.
 */
import type { Worker } from 'node:worker_threads';
import { InternalError, type DqmExportError } from '../../errors.js';
import { crashPoint } from '../../crash-points.js';
import { fsError } from '../atomic.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

/** Batches a file may have queued in its worker before `write` waits. */
const MAX_IN_FLIGHT = 6;

/**
 * Bytes of batches all files of one worker may have queued in it before a `write` waits. Each file
 * keeps its own `MAX_IN_FLIGHT`, but with 8-16 slices' files open at once (2D: ~1.6 MB per 50-record
 * batch) the per-file bound alone let ~100 batches, 150 MB, sit in the worker when it fell behind.
 * 16 MB still covers the stall at a row group's end (docs/decisions.md, "six batches in flight").
 */
export const MAX_WORKER_BYTES_IN_FLIGHT = 16 * 1024 ** 2;

/**
 * Transfer buffers kept for reuse, per worker: the worker sends each batch's buffer back with its
 * ack, and any file of the worker takes it for its next batch. Shared rather than per file, so 16 open
 * files do not each hold their own handful of 2 MB buffers (bench/memory-run.ts).
 */
const MAX_SPARE_BUFFERS = MAX_IN_FLIGHT + 2;

interface Pending {
  resolve: (value: never) => void;
  reject: (err: Error) => void;
}

/** One pool worker and the flow-control state its files share. */
export interface WorkerSlot {
  worker: Worker;
  files: Map<number, ParquetFileHandle>;
  /** Files parquet-wasm wrote or writes in this worker (the pool's `maxFilesPerWorker`). */
  assigned: number;
  retired: boolean;
  dead: boolean;
  /** Bytes of batches posted to the worker and not acked yet, all files together. */
  bytesInFlight: number;
  /** Bound on `bytesInFlight` (MAX_WORKER_BYTES_IN_FLIGHT unless the pool says otherwise). */
  maxBytesInFlight: number;
  /** Writes waiting for `bytesInFlight` to drop, in arrival order. */
  waiting: (() => void)[];
  /** Transfer buffers the worker has sent back, for any of its files. */
  spare: ArrayBuffer[];
}

/** Wakes the writes waiting on the worker's byte bound, as far as the bound allows. */
function wakeWaiting(slot: WorkerSlot): void {
  while (slot.waiting.length > 0 && slot.bytesInFlight < slot.maxBytesInFlight) slot.waiting.shift()!();
}

/** The main thread's end of one file being encoded in a worker. */
export class ParquetFileHandle {
  /** Bytes the worker has written to the file so far. */
  bytesWritten = 0;
  /** Decoded bytes of the batches the writer has taken, when `bytesWritten` last changed. */
  arrowBytesAtProgress = 0;
  private arrowBytesAcked = 0;
  /** Per batch not acked yet: its decoded bytes and its IPC bytes. */
  private readonly inFlight: { arrowBytes: number; ipcBytes: number }[] = [];
  private waiter: { resolve: () => void; reject: (e: Error) => void } | null = null;
  private ending: Pending | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly slot: WorkerSlot,
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
    const { slot } = this;
    if (slot.bytesInFlight >= slot.maxBytesInFlight) {
      // Every queued batch is acked as its own file's writer takes it, so this wait always ends.
      await new Promise<void>((resolve) => slot.waiting.push(resolve));
      if (this.failure) throw this.failure;
    }
    const size = chunks.reduce((n, c) => n + c.byteLength, 0);
    const spare = slot.spare.findIndex((b) => b.byteLength >= size);
    const buffer =
      spare >= 0 ? slot.spare.splice(spare, 1)[0] : new ArrayBuffer(Math.ceil((size * 1.25) / 65536) * 65536);
    const ipc = new Uint8Array(buffer, 0, size);
    let offset = 0;
    for (const c of chunks) {
      ipc.set(c, offset);
      offset += c.byteLength;
    }
    this.post({ type: 'batch', fileId: this.id, ipc, rows }, [buffer]);
    this.inFlight.push({ arrowBytes, ipcBytes: size });
    slot.bytesInFlight += size;
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
      const acked = this.inFlight.shift();
      this.arrowBytesAcked += acked?.arrowBytes ?? 0;
      this.release(acked?.ipcBytes ?? 0);
      if (reply.buffer) {
        const spare = this.slot.spare;
        spare.push(reply.buffer);
        // Keep the largest: a small buffer would only be replaced by the next big batch.
        if (spare.length > MAX_SPARE_BUFFERS) spare.splice(smallestIndex(spare), 1);
      }
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
      // An aborted file's queued batches are dropped by the worker, never acked.
      for (const b of this.inFlight.splice(0)) this.release(b.ipcBytes);
      this.ending?.resolve(undefined as never);
    } else if (reply.type === 'error') {
      this.fail(encoderFailure(reply.message, this.path));
    }
  }

  /** Returns bytes to the worker's in-flight bound and wakes writes that waited on it. */
  private release(ipcBytes: number): void {
    this.slot.bytesInFlight = Math.max(0, this.slot.bytesInFlight - ipcBytes);
    wakeWaiting(this.slot);
  }

  /** Fails every pending call (worker error or death). */
  fail(err: Error): void {
    // Batches the worker will never ack no longer count against its bound.
    for (const b of this.inFlight.splice(0)) this.release(b.ipcBytes);
    this.failure = err;
    this.waiter?.reject(err);
    this.waiter = null;
    this.ending?.reject(err);
    this.ending = null;
  }
}

/** Index of the smallest buffer of a non-empty list. */
function smallestIndex(buffers: readonly ArrayBuffer[]): number {
  let at = 0;
  for (let i = 1; i < buffers.length; i++) if (buffers[i].byteLength < buffers[at].byteLength) at = i;
  return at;
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
  return new InternalError('E_PARQUET_ENCODE', `parquet encoder: ${path}: ${message}`, { file: path });
}
