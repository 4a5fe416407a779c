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
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openAsBlob, openSync, unlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type * as ParquetWasm from 'parquet-wasm';
import { settleArrayBufferDetaching } from './array-buffer-detach.js';
import { loadNativeZstd, type NativeZstd } from './native-zstd.js';
import { OwnParquetWriter } from './own-writer.js';
import { checkParquetWasm, parquetWasmUrl, wasm, wasmBytes } from './wasm-loader.js';
import { collectGarbage, send, write, written, type FileState } from './worker-output.js';
import { PageRecompressor } from './page-recompressor.js';
import { parquetWriterProperties } from './writer-properties.js';
import type { ParquetWriterPlan, WorkerRequest } from './protocol.js';

const port = parentPort!;
// Before any writer code is hot: the first buffer handed back to the main thread would otherwise
// discard it (array-buffer-detach.ts).
settleArrayBufferDetaching();

const files = new Map<number, FileState>();

/** The native zstd, loaded on first use; null when it failed to load (reported once, at debug level). */
let nativeZstd: NativeZstd | null | undefined;

/** The native zstd to compress this plan's pages with, if any. */
function pageZstd(plan: ParquetWriterPlan): NativeZstd | null {
  if (plan.compression !== 'zstd' || plan.zstd === 'wasm') return null;
  return loadedNativeZstd();
}

/** The native zstd, loaded on first call; null when none loads. */
function loadedNativeZstd(): NativeZstd | null {
  if (nativeZstd === undefined) {
    const from = workerData as { nativeZstdFrom?: string; packagesFrom?: string };
    // From dqm-export's own dependencies when given: resolving parquet-wasm first is not needed.
    const loaded = loadNativeZstd(from.nativeZstdFrom ?? from.packagesFrom ?? parquetWasmUrl());
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
  return parquetWriterProperties(wasm(), plan, uncompressed);
}

/**
 * The own writer for a file of `plan`, when the plan lists its columns (own-writer-plan.ts) and its
 * pages are to be stored uncompressed or with zstd that a native codec can do; else null, and
 * parquet-wasm writes the file (snappy; zstd without a native codec).
 */
function ownWriter(file: FileState, plan: ParquetWriterPlan): OwnParquetWriter | null {
  const own = ownWriterFor(plan, (bytes) => write(file, bytes));
  if (own?.zstd) file.nativeZstd = own.zstd;
  return own?.writer ?? null;
}

/** The own writer for `plan` writing to `sink`, and the native zstd it compresses with; null: parquet-wasm. */
function ownWriterFor(
  plan: ParquetWriterPlan,
  sink: (bytes: Uint8Array) => void,
): { writer: OwnParquetWriter; zstd?: string } | null {
  const columns = plan.own;
  if (!columns) return null;
  if (plan.compression === 'none') return { writer: new OwnParquetWriter({ ...plan, own: columns }, null, sink) };
  if (plan.compression !== 'zstd') return null;
  const zstd = loadedNativeZstd();
  if (!zstd) return null;
  return { writer: new OwnParquetWriter({ ...plan, own: columns }, zstd.compress, sink), zstd: zstd.name };
}

/** Encodes one batch with the own writer and gives its buffer back; reports a row group written. */
function ownBatch(file: FileState, ipc: Uint8Array): void {
  if (!file.error && !file.aborted) {
    try {
      if (file.own!.push(ipc)) written(file);
    } catch (err) {
      file.error = `cannot encode a batch: ${(err as Error).message}`;
    }
  }
  const buffer = ipc.buffer as ArrayBuffer;
  send({ type: 'ack', fileId: file.id, buffer }, [buffer]);
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
                const table = wasm().Table.fromIPCStream(ipc);
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
  const output = await wasm().transformParquetStream(batchStream(file), writerProperties(plan, zstd !== null));
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
    // The file's end: `finish` fsyncs it next, so no write-back to start (see `written`).
    written(file, false);
  }
}

/** Rows in the footer of the written file: parquet-wasm's stream writer ignores write errors, so we check. */
async function footerRows(path: string): Promise<number> {
  const parquet = await wasm().ParquetFile.fromFile(await openAsBlob(path));
  try {
    return parquet.metadata().fileMetadata().numRows();
  } finally {
    parquet.free();
  }
}

/** A wasm trap (Rust panic, out of memory): the instance cannot be used any more. */
function isFatal(err: unknown): boolean {
  return err instanceof Error && err.name === 'RuntimeError';
}

async function finish(file: FileState): Promise<void> {
  file.closing = true;
  file.wake?.();
  try {
    if (file.own && !file.aborted && !file.error) {
      file.rewrittenRows = file.own.finish();
      written(file, false);
    }
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
      ...(file.own ? { ownWriter: true } : {}),
    });
  } catch (err) {
    if (isFatal(err)) send({ type: 'fatal', message: `parquet-wasm failed: ${(err as Error).message}` });
    else send({ type: 'error', fileId: file.id, message: (err as Error).message });
  } finally {
    file.own?.release();
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
        own: null,
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
      file.own = ownWriter(file, message.plan);
      if (file.own) return;
      file.done = run(file, message.plan).catch((err: unknown) => {
        if (isFatal(err)) send({ type: 'fatal', message: `parquet-wasm failed: ${(err as Error).message}` });
        file.error = (err as Error).message;
      });
      return;
    }
    const file = files.get(message.fileId);
    if (!file) return;
    if (message.type === 'batch') {
      if (file.own) return ownBatch(file, message.ipc);
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
  const own = ownWriterFor(plan, (bytes) => createHash('sha256').update(bytes));
  if (own) {
    // The own writer's path: parquet-wasm stays unloaded.
    own.writer.push(ipc);
    own.writer.finish();
    return;
  }
  const P = wasm();
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

/**
 * parquet-wasm found (or the worker failed) once the worker has nothing else to do: a macrotask,
 * queued after its warm-up, that runs after the messages already received, so the first file of a
 * `run` waiting for this worker is not held up by the resolution (wasm-loader.ts).
 */
function checkWhenIdle(): void {
  setImmediate(checkParquetWasm);
}

const warmUpBatch = (workerData as { warmUp?: { ipc: Uint8Array; plan: ParquetWriterPlan } }).warmUp;
if (warmUpBatch) {
  warmUp(warmUpBatch)
    .then(
      () => send({ type: 'warmed' }),
      (err: unknown) => {
        // Only a broken wasm instance matters to the pool (it replaces the worker); any other failure
        // would show again, and be reported, on the first real file.
        if (isFatal(err)) send({ type: 'fatal', message: `parquet-wasm failed: ${(err as Error).message}` });
        else send({ type: 'warmed', error: (err as Error).message });
      },
    )
    .finally(checkWhenIdle);
} else {
  checkWhenIdle();
}
