/**
 * The encoder worker's output side, shared by both writers (parquet-wasm's stream and the own
 * writer): per-file state, writing, hashing and counting the bytes, progress replies, garbage
 * collection after row groups, and the background write-back. Split from worker.ts (over 400 lines).
 *
 * Imports only Node built-ins and siblings: the Parquet encoder worker loads it
 * (src/load/parquet/worker-script.ts).
 */
import type { Hash } from 'node:crypto';
import { fdatasync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { OwnParquetWriter } from './own-writer.js';
import type { WorkerReply } from './protocol.js';

const port = parentPort!;

/**
 * A full garbage collection, run after each row group is written. The worker's JS heap is tiny, so
 * V8 rarely collects on its own, while every row group leaves a copy of its bytes (tens of MB) in a
 * dead ArrayBuffer: collecting then keeps RSS flat (bench/load.ts: 100k/10k peak RSS 1.30 -> 1.15).
 * The flag only adds `gc` to new contexts; the collection costs a few ms per row group.
 */
let gc: ((options?: { type: 'minor' | 'major' }) => void) | undefined;
/**
 * V8's `gc`, made on first use: `--expose_gc` only adds `gc` to contexts created after it is set. Set
 * here, not when the worker starts: a V8 flag set then made Node compile its internal modules without
 * their code cache in every thread still starting (src/load/parquet/wasm-loader.ts, setWasmFlags).
 */
export function collectGarbage(options?: { type: 'minor' | 'major' }): void {
  // node:v8 and node:vm loaded here, on first use, not at the worker's start: 9 internal modules,
  // part of what a one-record `run` waits for when its worker is late.
  if (!gc) process.getBuiltinModule('node:v8').setFlagsFromString('--expose_gc');
  gc ??= process.getBuiltinModule('node:vm').runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
  gc(options);
}

/**
 * Output bytes (with native zstd, parquet-wasm's uncompressed output too) after which the next row
 * group triggers that collection. Small row groups (the CSV
 * path writes 32 MiB ones, ~10 MB encoded) would otherwise pay a full collection each, ~15 per
 * 0.5 GB export for a few MB of dead buffers; 128 MiB row groups still collect after every one.
 */
const COLLECT_AFTER_BYTES = 24 << 20;
let uncollectedBytes = 0;

/** Sends a reply to the main thread. */
export function send(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(reply, transfer);
}

/** One file the worker writes. */
export interface FileState {
  id: number;
  path: string;
  fd: number;
  hash: Hash;
  bytes: number;
  /** Pending batches, each one complete IPC stream. */
  queue: Uint8Array[];
  /** The own writer, when it writes this file (batches are then encoded as they arrive). */
  own: OwnParquetWriter | null;
  closing: boolean;
  aborted: boolean;
  error: string | null;
  /** Resolves the pending `pull` of the batch stream, when the writer waits for a batch. */
  wake: (() => void) | null;
  done: Promise<void>;
  /** Write-back of the row groups written so far, started in the background (see `startWriteBack`). */
  writeBack: Promise<void>;
  /** A write-back is queued behind the running one and will cover everything written until it starts. */
  writeBackQueued: boolean;
  /** The native zstd compressing the pages, if any. */
  nativeZstd: string | undefined;
  /**
   * Rows in the footer the recompressor rewrote (native zstd path): the check `footerRows` makes by
   * reading the file back, without reading it back (the bytes written are those bytes).
   */
  rewrittenRows: number | undefined;
}

/** Writes, hashes and counts output bytes (at once: they may be views of a reused buffer). */
export function write(file: FileState, value: Uint8Array): void {
  let offset = 0;
  while (offset < value.byteLength) offset += writeSync(file.fd, value, offset, value.byteLength - offset);
  file.hash.update(value);
  file.bytes += value.byteLength;
  uncollectedBytes += value.byteLength;
}

/**
 * After a row group's bytes: reports progress, collects garbage, starts the write-back. Not for the
 * file's last bytes (`writeBack` false): `finish` fsyncs the file right after, and a write-back
 * started then only made it wait for a turn of libuv's thread pool first (3.5-4.7 ms at the end of
 * a one-record `run`, on its critical path).
 */
export function written(file: FileState, writeBack = true): void {
  send({ type: 'progress', fileId: file.id, bytes: file.bytes });
  if (uncollectedBytes >= COLLECT_AFTER_BYTES) {
    uncollectedBytes = 0;
    collectGarbage();
  }
  if (writeBack) startWriteBack(file);
}

/**
 * Starts writing the row group just written to disk (fdatasync on libuv's thread pool) while the
 * worker encodes the next one. Without it the kernel holds the whole file in dirty pages and the
 * fsync in `finish` writes it all at once: ~150 ms for an 80 MB file, on the export's critical
 * path. The fsync in `finish` still makes the file durable; this only moves the disk work earlier.
 */
function startWriteBack(file: FileState): void {
  // On a slow disk row groups can come faster than syncs: one queued sync covers them all.
  if (file.writeBackQueued) return;
  file.writeBackQueued = true;
  file.writeBack = file.writeBack.then(
    () =>
      new Promise<void>((resolve) => {
        file.writeBackQueued = false;
        fdatasync(file.fd, (err) => {
          // Node's message starts with the errno code, which the pool turns into E_FS_<errno>.
          if (err && !file.error) file.error = err.message;
          resolve();
        });
      }),
  );
}
