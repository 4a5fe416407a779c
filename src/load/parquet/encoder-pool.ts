/**
 * A pool of Parquet encoder workers. Wasm memory only grows, so a worker is retired (no new files)
 * after `maxFilesPerWorker` files written by parquet-wasm or once its memory passes `maxWasmBytes`,
 * and terminated when its last file is done: memory stays flat however long the export (bench/load.ts
 * measures it). Files of the own writer (own-writer.ts: JavaScript, collected like any) do not count.
 * Idle workers are unref'd and never keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { WORKER_RESOURCE_LIMITS } from '../../worker-limits.js';
import { InternalError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import type { ParquetWriterPlan, WorkerReply, WorkerRequest } from './protocol.js';
import { takeEarlyEncoderWorker, type EncoderWorkerData } from './early-worker.js';
import { warmUp } from './warm-up.js';
import { workerScriptUrl } from './worker-script.js';
import { MAX_WORKER_BYTES_IN_FLIGHT, ParquetFileHandle, type WorkerSlot } from './file-handle.js';

export { ParquetFileHandle } from './file-handle.js';

/** Pool settings. */
export interface EncoderPoolOptions {
  /** Workers encoding at once (default 1: with the main thread parsing JSON, both cores of a 2-core machine). */
  size?: number;
  /** Files parquet-wasm encodes in a worker before it is replaced (default 16; the own writer's do not count). */
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
  /** Files written by the own writer (own-writer.ts) rather than parquet-wasm. */
  ownWriterFiles: number;
}

/** Runs Parquet encoders in worker threads, recycling them. */
export class EncoderPool {
  private readonly slots: WorkerSlot[] = [];
  private nextFileId = 1;
  private readonly counters: EncoderPoolStats = {
    workersStarted: 0,
    workersRetired: 0,
    liveWorkers: 0,
    peakWasmBytes: 0,
    nativeZstdFiles: {},
    ownWriterFiles: 0,
  };
  private readonly size: number;
  private readonly maxFilesPerWorker: number;
  private readonly maxWasmBytes: number;
  private readonly maxWorkerBytesInFlight: number;
  private logger: Logger;
  /** Files planned for the own writer: they count towards `maxFilesPerWorker` only if the worker fell back to parquet-wasm. */
  private readonly ownPlanned = new WeakSet<ParquetFileHandle>();

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
  private spawn(ahead = false): WorkerSlot {
    const script = workerScriptUrl();
    const worker =
      (ahead ? takeEarlyEncoderWorker(script) : undefined) ??
      new Worker(script, { workerData: this.workerData(ahead), resourceLimits: WORKER_RESOURCE_LIMITS });
    const slot: WorkerSlot = {
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
        if (reply.type === 'closed' && reply.ownWriter) this.counters.ownWriterFiles++;
        // Planned for the own writer, written by parquet-wasm (no native zstd loaded in the worker): it counts.
        if (reply.type === 'closed' && !reply.ownWriter && file && this.ownPlanned.has(file)) this.countWasmFile(slot);
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

  /**
   * What a new worker starts with: the worker finds parquet-wasm itself, from this module's URL, in its
   * own thread (worker scripts run from the sources are data: URLs, which resolve no package).
   */
  private workerData(ahead: boolean): EncoderWorkerData {
    return { packagesFrom: import.meta.url, ...(ahead ? { warmUp: warmUp() } : {}) };
  }

  private remove(slot: WorkerSlot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }

  /** Retires or idles a worker after one of its files ended. */
  private settle(slot: WorkerSlot): void {
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
    // A worker was replaced every 16 files whatever wrote them: an export of 400 small slices started
    // 25 workers, ~0.1 s of CPU each, on the critical path (docs/decisions.md, "Load: the own
    // writer's files do not wear out an encoder worker").
    if (plan.own) this.ownPlanned.add(file);
    else this.countWasmFile(slot);
    slot.worker.ref();
    slot.worker.postMessage({ type: 'open', fileId: file.id, path, plan } satisfies WorkerRequest);
    return file;
  }

  /** Counts a file parquet-wasm writes in `slot`'s worker; past `maxFilesPerWorker` the worker takes no more. */
  private countWasmFile(slot: WorkerSlot): void {
    slot.assigned++;
    if (slot.assigned >= this.maxFilesPerWorker) slot.retired = true;
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
