/**
 * The CSV worker thread: scans files and parses byte ranges (scan-file.ts, parse-range.ts) on
 * request, posting results back with their typed arrays transferred, not copied. A worker bin.js
 * started ahead also scans the files its `workerData.ahead` names at once, and answers the matching
 * requests from those scans (scan-ahead.ts). It imports only Node built-ins and modules without
 * package imports (packages the ahead scan needs are loaded by URL), so it can run from the
 * TypeScript sources (worker-url.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { chunkBuffers, chunkTransferList } from './chunk.js';
import type { CsvWorkerData } from './early-worker.js';
import { RangeFailure, parseRange } from './parse-range.js';
import { AheadScans, scanAhead } from './scan-ahead.js';
import { scanFile } from './scan-file.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

const port = parentPort!;
/** Scans made before they were asked for (a worker bin.js started ahead: scan-ahead.ts). */
const ahead = new AheadScans();

function post(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(reply, transfer);
}

port.on('message', (request: WorkerRequest) => {
  if (request.type === 'recycle') {
    chunkBuffers.give(request.buffers);
    return;
  }
  try {
    if (request.type === 'scan') {
      const result = ahead.take(request.path, request.options) ?? scanFile(request.path, request.options);
      post(
        { type: 'scanned', id: request.id, result },
        [result.dims, result.run, result.ls, result.title, result.entries].map((a) => a.buffer as ArrayBuffer),
      );
    } else {
      parseRange(request.task, (chunk) => post({ type: 'chunk', id: request.id, chunk }, chunkTransferList(chunk)));
      post({ type: 'done', id: request.id });
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (err instanceof RangeFailure)
      post({ type: 'failed', id: request.id, code: err.code, message: err.message, line: err.line });
    else
      post({
        type: 'failed',
        id: request.id,
        code: 'E_CSV_READ',
        message: `cannot read the file (${e.code ?? e.message})`,
      });
  }
});

const spec = (workerData as CsvWorkerData | null)?.ahead;
if (spec) void scanAhead(spec, ahead, scanFile);
