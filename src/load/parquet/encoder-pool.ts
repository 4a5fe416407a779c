/**
 * A pool of Parquet encoder workers. Wasm memory only grows, so a worker is retired (no new files)
 * after `maxFilesPerWorker` files or once its memory passes `maxWasmBytes`, and terminated when its
 * last file is done: memory stays flat however long the export (bench/load.ts measures it). Idle
 * workers are unref'd and never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { InternalError, type DqmExportError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import { crashPoint } from '../../crash-points.js';
import { fsError } from '../atomic.js';
import type { ParquetWriterPlan, WorkerReply, WorkerRequest } from './protocol.js';
import { takeEarlyEncoderWorker, type EncoderWorkerData } from './early-worker.js';
import { warmUp } from './warm-up.js';
import { parquetWasmUrl, workerScriptUrl } from './worker-script.js';

/** Pool settings. */
export interface EncoderPoolOptions {
  /** Workers encoding at once (default 1: with the main thread parsing JSON, both cores of a 2-core machine). */
  size?: number;
  /** Files a worker encodes before it is replaced (default 16). */
  maxFilesPerWorker?: number;
  /** Wasm memory after which a worker is replaced once its files are done (default 96 MiB). */
  maxWasmBytes?: number;
  /** Bytes of batches all files of one worker may have queued in it before a `write` waits (default 16 MiB). */
  maxWorkerBytesInFlight?: number;
  /** Where the workers' log lines go (today: a debug line when no native zstd loads). Default: dropped. */
  logger?: Logger;
}

/** Counters, for tests and the benchmark. */
export interface EncoderPoolStats {
  workersStarted: number;
  workersRetired: number;
  liveWorkers: number;
  /** Largest wasm memory a worker reported. */
  peakWasmBytes: number;
  /** Files whose pages a native zstd compressed, by provider (`node:zlib`, `zstd-napi`). */
  nativeZstdFiles: Record<string, number>;
}

/** Batches a file may have queued in its worker before `write` waits. */
const MAX_IN_FLIGHT = 6;

/**
 * Bytes of batches all files of one worker may have queued in it before a `write` waits. Each file
 * keeps its own `MAX_IN_FLIGHT`, but with 8-16 slices' files open at once (2D: ~1.6 MB per 50-record
 * batch) the per-file bound alone let ~100 batches, 150 MB, sit in the worker when it fell behind.
 * 16 MB still covers the stall at a row group's end (docs/decisions.md, "six batches in flight").
 */
const MAX_WORKER_BYTES_IN_FLIGHT = 16 * 1024 ** 2;

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

interface Slot {
  worker: Worker;
  files: Map<number, ParquetFileHandle>;
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
function wakeWaiting(slot: Slot): void {
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
    nativeZstdFiles: {},
  };
  private readonly size: number;
  private readonly maxFilesPerWorker: number;
  private readonly maxWasmBytes: number;
  private readonly maxWorkerBytesInFlight: number;
  private logger: Logger;

  constructor(options: EncoderPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? 1);
    // A new worker costs ~0.25 s of CPU (a Node environment, parquet-wasm's JS and 5 MB of wasm):
    // with 8 files per worker a 1D export of 10 slices started two. Wasm memory creeps by ~1-2 MB
    // per 2D file (50 MB after 8-16 files, 58 MB after 20), so 16 files and 96 MiB keep it flat
    // (bench/memory-run.ts; docs/decisions.md, "Pages ahead and open slices follow record size").
    this.maxFilesPerWorker = Math.max(1, options.maxFilesPerWorker ?? 16);
    this.maxWasmBytes = options.maxWasmBytes ?? 96 * 1024 ** 2;
    this.maxWorkerBytesInFlight = options.maxWorkerBytesInFlight ?? MAX_WORKER_BYTES_IN_FLIGHT;
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Where the workers' log lines go from now on. The shared pool is made before the command has a
   * logger (src/cli/main.ts starts its worker early), so the command hands it one once it has it.
   */
  setLogger(logger: Logger): void {
    this.logger = logger;
  }

  /** Pool counters. */
  stats(): EncoderPoolStats {
    return { ...this.counters, liveWorkers: this.slots.length, nativeZstdFiles: { ...this.counters.nativeZstdFiles } };
  }

  /**
   * Starts a worker. One started ahead of need (`prestart`) is the one src/cli/bin.ts started before
   * the bundle loaded when there is one, else a new one; either encodes a warm-up batch while idle.
   */
  private spawn(ahead = false): Slot {
    const script = workerScriptUrl();
    const workerData: EncoderWorkerData = { parquetWasmUrl: parquetWasmUrl(), ...(ahead ? { warmUp: warmUp() } : {}) };
    const worker = (ahead ? takeEarlyEncoderWorker(script) : undefined) ?? new Worker(script, { workerData });
    const slot: Slot = {
      worker,
      files: new Map(),
      assigned: 0,
      retired: false,
      dead: false,
      bytesInFlight: 0,
      maxBytesInFlight: this.maxWorkerBytesInFlight,
      waiting: [],
      spare: [],
    };
    const die = (err: Error): void => {
      if (slot.dead) return;
      slot.dead = true;
      this.remove(slot);
      for (const file of slot.files.values()) file.fail(err);
      slot.files.clear();
      void worker.terminate();
    };
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'ready' || reply.type === 'warmed') return;
      if (reply.type === 'log') return this.logger.debug(reply.message);
      if (reply.type === 'fatal') return die(new InternalError('E_PARQUET_WORKER', reply.message));
      const file = slot.files.get(reply.fileId);
      file?.receive(reply);
      if (reply.type === 'closed' || reply.type === 'aborted' || reply.type === 'error') {
        slot.files.delete(reply.fileId);
        if (reply.type === 'closed' && reply.nativeZstd) {
          const counts = this.counters.nativeZstdFiles;
          counts[reply.nativeZstd] = (counts[reply.nativeZstd] ?? 0) + 1;
        }
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

  /**
   * Starts workers now, idle and unref'd until a file opens on them, until `workers` (at most the
   * pool's size) are running, so that their start-up (a Node environment, parquet-wasm's JS and
   * wasm, and a warm-up encode: src/load/parquet/warm-up.ts) overlaps other work of the caller. An
   * unused worker never keeps the process alive.
   */
  prestart(workers: number = this.size): void {
    const target = Math.min(workers, this.size);
    while (this.slots.filter((s) => !s.retired && !s.dead).length < target) this.spawn(true).worker.unref();
  }

  /**
   * One worker started ahead (`prestart(1)`): the first `openFile` then finds its Node environment
   * and parquet-wasm loaded. A worker takes ~0.2 s of wall to start, which a small export otherwise
   * waits for after its first page (docs/decisions.md, "CLI start-up: the encoder worker starts while
   * the run plans").
   */
  prewarm(): void {
    this.prestart(1);
  }

  /** Terminates the workers that have no file (a prewarmed worker the run turned out not to need). */
  async dropIdle(): Promise<void> {
    const idle = this.slots.filter((s) => s.files.size === 0 && !s.dead);
    for (const slot of idle) {
      slot.dead = true;
      this.remove(slot);
    }
    await Promise.all(idle.map((s) => s.worker.terminate()));
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
