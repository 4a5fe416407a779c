/**
 * Parquet encoder worker: runs parquet-wasm (arrow-rs) off the main thread. Each open file is one
 * `transformParquetStream` fed with batches as they arrive; its output is written, hashed and
 * counted here, so the main thread only parses JSON and builds Arrow batches. The worker hosts any
 * number of files at once; the pool recycles it (its wasm memory never shrinks) after a bounded
 * number of files.
 *
 * With zstd, parquet-wasm writes UNCOMPRESSED pages when a native zstd loads, and each page is
 * compressed here as the bytes stream out (src/load/parquet/page-recompressor.ts): parquet-wasm's zstd,
 * compiled to wasm, was ~3/4 of the encoding CPU (docs/decisions.md, "Load: Parquet pages compressed
 * by native zstd").
 *
 * This module imports nothing but Node built-ins, parquet-wasm (via `workerData`) and sibling
 * modules that themselves import only built-ins: when run from the TypeScript sources, each is
 * transpiled alone and loaded from a data: URL (src/load/parquet/worker-script.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, fdatasync, fsyncSync, openAsBlob, openSync, unlinkSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type * as ParquetWasm from 'parquet-wasm';
import { loadNativeZstd, type NativeZstd } from './native-zstd.js';
import { PageRecompressor } from './page-recompressor.js';
import { parquetWriterProperties } from './writer-properties.js';
import type { ParquetWriterPlan, WorkerReply, WorkerRequest } from './protocol.js';

/**
 * V8 compiles wasm functions with its baseline compiler first and recompiles a function with the
 * optimising compiler once it has used up a budget of work. With the default budget a few hundred
 * lukewarm parquet-wasm functions are recompiled too, ~0.8 s of CPU on V8's helper threads per
 * process (on 2 cores, taken from the export). 100x the budget still optimises the encoding loops
 * within the first batches and halves that CPU (docs/decisions.md). Set before the module loads.
 */
setFlagsFromString('--wasm-tiering-budget=180000000');

/**
 * V8 already compiles wasm functions lazily, on first call, but validates all 5 MB of parquet-wasm
 * when the module is compiled: with lazy validation a function is validated when it is compiled, and
 * most are never called. Compiling the module: 53-56 -> 38-42 ms of CPU (3 runs each, load ~6), on the
 * encoder worker's start-up path (docs/decisions.md, "CLI start-up: the encoder worker warms up,
 * and starts before the bundle loads"). parquet-wasm is our own dependency, not untrusted input.
 */
setFlagsFromString('--wasm-lazy-validation');

/**
 * parquet-wasm's Node build is CommonJS: `require` loads it directly, where `import()` first scans its
 * 110 KB with Node's CommonJS export lexer and wraps it as an ES module (start-up of a worker,
 * standalone, load ~9: 257-279 -> 173-218 ms of CPU; docs/decisions.md, "CLI start-up: the encoder
 * worker starts while the run plans").
 */
const parquetWasmUrl = workerData.parquetWasmUrl as string;
const P = createRequire(parquetWasmUrl)(fileURLToPath(parquetWasmUrl)) as typeof ParquetWasm;
const port = parentPort!;

/**
 * A full garbage collection, run after each row group is written. The worker's JS heap is tiny, so
 * V8 rarely collects on its own, while every row group leaves a copy of its bytes (tens of MB) in a
 * dead ArrayBuffer: collecting then keeps RSS flat (bench/load.ts: 100k/10k peak RSS 1.30 -> 1.15).
 * The flag only adds `gc` to new contexts; the collection costs a few ms per row group.
 */
setFlagsFromString('--expose_gc');
const collectGarbage = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;

/**
 * Output bytes (with native zstd, parquet-wasm's uncompressed output too) after which the next row
 * group triggers that collection. Small row groups (the CSV
 * path writes 32 MiB ones, ~10 MB encoded) would otherwise pay a full collection each, ~15 per
 * 0.5 GB export for a few MB of dead buffers; 128 MiB row groups still collect after every one.
 */
const COLLECT_AFTER_BYTES = 24 << 20;
let uncollectedBytes = 0;

function send(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(reply, transfer);
}

interface FileState {
  id: number;
  path: string;
  fd: number;
  hash: Hash;
  bytes: number;
  /** Pending batches, each one complete IPC stream. */
  queue: Uint8Array[];
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

const files = new Map<number, FileState>();

/** The native zstd, loaded on first use; null when it failed to load (reported once, at debug level). */
let nativeZstd: NativeZstd | null | undefined;

/** The native zstd to compress this plan's pages with, if any. */
function pageZstd(plan: ParquetWriterPlan): NativeZstd | null {
  if (plan.compression !== 'zstd' || plan.zstd === 'wasm') return null;
  if (nativeZstd === undefined) {
    const loaded = loadNativeZstd((workerData as { nativeZstdFrom?: string }).nativeZstdFrom ?? parquetWasmUrl);
    nativeZstd = 'zstd' in loaded ? loaded.zstd : null;
    if ('error' in loaded)
      send({
        type: 'log',
        level: 'debug',
        message: `native zstd unavailable, parquet-wasm's zstd used: ${loaded.error}`,
      });
  }
  return nativeZstd;
}

/** parquet-wasm's settings for `plan` (writer-properties.ts). */
function writerProperties(plan: ParquetWriterPlan, uncompressed = false): ParquetWasm.WriterProperties {
  return parquetWriterProperties(P, plan, uncompressed);
}

function batchStream(file: FileState): ReadableStream {
  return new ReadableStream(
    {
      pull(controller): Promise<void> {
        return new Promise<void>((resolve) => {
          const next = (): void => {
            file.wake = null;
            const ipc = file.queue.shift();
            if (ipc) {
              try {
                const table = P.Table.fromIPCStream(ipc);
                for (const batch of table.recordBatches()) controller.enqueue(batch);
                // recordBatches() hands out references: free the table now, or its buffers stay in
                // wasm memory until a garbage collection that wasm allocations never trigger.
                table.free();
              } catch (err) {
                file.error = `cannot decode a batch: ${(err as Error).message}`;
                controller.close();
              }
              // The buffer goes back to the main thread for the next batch.
              const buffer = ipc.buffer as ArrayBuffer;
              send({ type: 'ack', fileId: file.id, buffer }, [buffer]);
              resolve();
            } else if (file.closing) {
              controller.close();
              resolve();
            } else {
              file.wake = next;
            }
          };
          next();
        });
      },
    },
    { highWaterMark: 0 },
  );
}

async function run(file: FileState, plan: ParquetWriterPlan): Promise<void> {
  const zstd = pageZstd(plan);
  file.nativeZstd = zstd?.name;
  const recompressor = zstd ? new PageRecompressor(zstd.compress, (bytes) => write(file, bytes)) : null;
  const output = await P.transformParquetStream(batchStream(file), writerProperties(plan, zstd !== null));
  const reader = (output as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (file.aborted || file.error) continue;
    if (recompressor) {
      recompressor.push(value);
      // parquet-wasm's uncompressed chunk (a row group: MBs, ~3x the compressed bytes) is garbage
      // now, and a scavenge of the worker's tiny young generation frees it at once. Left to the
      // collection by output bytes, these chunks made RSS creep: 2.5 GB CSV peak 403-417 -> 329-359
      // MB, 0.5 GB 340-343 -> 298-300 MB, CPU within the noise (docs/decisions.md).
      collectGarbage({ type: 'minor' });
    } else write(file, value);
    written(file);
  }
  if (recompressor && !file.aborted && !file.error) {
    file.rewrittenRows = recompressor.end();
    written(file);
  }
}

/** Writes, hashes and counts output bytes (at once: they may be views of a reused buffer). */
function write(file: FileState, value: Uint8Array): void {
  let offset = 0;
  while (offset < value.byteLength) offset += writeSync(file.fd, value, offset, value.byteLength - offset);
  file.hash.update(value);
  file.bytes += value.byteLength;
  uncollectedBytes += value.byteLength;
}

/** After a chunk of parquet-wasm's output: reports progress, collects garbage, starts the write-back. */
function written(file: FileState): void {
  send({ type: 'progress', fileId: file.id, bytes: file.bytes });
  if (uncollectedBytes >= COLLECT_AFTER_BYTES) {
    uncollectedBytes = 0;
    collectGarbage();
  }
  startWriteBack(file);
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

/** Rows in the footer of the written file: parquet-wasm's stream writer ignores write errors, so we check. */
async function footerRows(path: string): Promise<number> {
  const parquet = await P.ParquetFile.fromFile(await openAsBlob(path));
  try {
    return parquet.metadata().fileMetadata().numRows();
  } finally {
    parquet.free();
  }
}

function wasmBytes(): number {
  return P.wasmMemory().buffer.byteLength;
}

/** A wasm trap (Rust panic, out of memory): the instance cannot be used any more. */
function isFatal(err: unknown): boolean {
  return err instanceof Error && err.name === 'RuntimeError';
}

async function finish(file: FileState): Promise<void> {
  file.closing = true;
  file.wake?.();
  try {
    await file.done;
    await file.writeBack;
    try {
      fsyncSync(file.fd);
    } finally {
      // Closed even when the sync fails (EIO, ENOSPC): a recycled worker must not leak descriptors.
      closeSync(file.fd);
    }
    if (file.aborted) {
      unlinkSync(file.path);
      send({ type: 'aborted', fileId: file.id, wasmBytes: wasmBytes() });
      return;
    }
    if (file.error) throw new Error(file.error);
    // writeSync throws on a short or failed write, so the footer we rewrote is the one on disk.
    const rows = file.rewrittenRows ?? (await footerRows(file.path));
    send({
      type: 'closed',
      fileId: file.id,
      bytes: file.bytes,
      sha256: file.hash.digest('hex'),
      rows,
      wasmBytes: wasmBytes(),
      ...(file.nativeZstd ? { nativeZstd: file.nativeZstd } : {}),
    });
  } catch (err) {
    if (isFatal(err)) send({ type: 'fatal', message: `parquet-wasm failed: ${(err as Error).message}` });
    else send({ type: 'error', fileId: file.id, message: (err as Error).message });
  } finally {
    files.delete(file.id);
  }
}

port.on('message', (message: WorkerRequest) => {
  try {
    if (message.type === 'open') {
      const file: FileState = {
        id: message.fileId,
        path: message.path,
        fd: openSync(message.path, 'wx'),
        hash: createHash('sha256'),
        bytes: 0,
        queue: [],
        closing: false,
        aborted: false,
        error: null,
        wake: null,
        done: Promise.resolve(),
        writeBack: Promise.resolve(),
        writeBackQueued: false,
        nativeZstd: undefined,
        rewrittenRows: undefined,
      };
      files.set(file.id, file);
      file.done = run(file, message.plan).catch((err: unknown) => {
        if (isFatal(err)) send({ type: 'fatal', message: `parquet-wasm failed: ${(err as Error).message}` });
        file.error = (err as Error).message;
      });
      return;
    }
    const file = files.get(message.fileId);
    if (!file) return;
    if (message.type === 'batch') {
      file.queue.push(message.ipc);
      file.wake?.();
    } else if (message.type === 'close') {
      void finish(file);
    } else if (message.type === 'abort') {
      file.aborted = true;
      file.queue.length = 0;
      void finish(file);
    }
  } catch (err) {
    send({ type: 'error', fileId: message.fileId, message: (err as Error).message });
  }
});

send({ type: 'ready' });

/**
 * A worker started ahead of need gets a tiny batch to encode in memory now (src/load/parquet/warm-up.ts):
 * V8 compiles parquet-wasm's functions on first call, ~100 ms that the first real file would
 * otherwise wait for. Runs like any file, so a file opened meanwhile is simply encoded alongside.
 */
async function warmUp(batch: { ipc: Uint8Array; plan: ParquetWriterPlan }): Promise<void> {
  // The path a first small file takes (a one-record run's, the CSV path's): with a native zstd,
  // UNCOMPRESSED pages through the recompressor and no read-back; else parquet-wasm's zstd and the
  // footer read back. Files with large row groups (the API path's) then compile parquet-wasm's zstd
  // on their first row group: on an export that size, tens of ms. Warming both paths by encoding
  // twice cost 10-100 ms more CPU per worker start in 3 of 4 pairs (load 3-5).
  await encodeInMemory(batch.ipc, batch.plan);
}

/** Encodes an IPC stream's batches as a real file would be, in memory (the footer read back as `finish` would). */
async function encodeInMemory(ipc: Uint8Array, plan: ParquetWriterPlan): Promise<void> {
  const table = P.Table.fromIPCStream(ipc);
  const batches = table.recordBatches();
  table.free();
  const input = new ReadableStream({
    start(controller) {
      for (const b of batches) controller.enqueue(b);
      controller.close();
    },
  });
  // The path real files take: with a native zstd, UNCOMPRESSED pages through the recompressor.
  const zstd = pageZstd(plan);
  const chunks: Uint8Array[] = [];
  const recompressor = zstd ? new PageRecompressor(zstd.compress, (bytes) => chunks.push(bytes.slice())) : null;
  const output = (await P.transformParquetStream(
    input,
    writerProperties(plan, zstd !== null),
  )) as ReadableStream<Uint8Array>;
  for (const reader = output.getReader(); ;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (recompressor) recompressor.push(value);
    else chunks.push(value);
  }
  createHash('sha256').update(chunks[0] ?? new Uint8Array(0));
  // A real file on the native path takes its rows from the rewritten footer (see `finish`).
  if (recompressor) {
    recompressor.end();
    return;
  }
  const parquet = await P.ParquetFile.fromFile(new Blob(chunks));
  try {
    parquet.metadata().fileMetadata().numRows();
  } finally {
    parquet.free();
  }
}

const warmUpBatch = (workerData as { warmUp?: { ipc: Uint8Array; plan: ParquetWriterPlan } }).warmUp;
if (warmUpBatch) {
  warmUp(warmUpBatch).then(
    () => send({ type: 'warmed' }),
    (err: unknown) => {
      // Only a broken wasm instance matters to the pool (it replaces the worker); any other failure
      // would show again, and be reported, on the first real file.
      if (isFatal(err)) send({ type: 'fatal', message: `parquet-wasm failed: ${(err as Error).message}` });
      else send({ type: 'warmed', error: (err as Error).message });
    },
  );
}
