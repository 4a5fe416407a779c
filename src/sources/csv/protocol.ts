/** Messages between the main thread and CSV workers (structured clone; typed arrays transferred). */
import type { HistogramChunk } from './chunk.js';
import type { ParseTask } from './parse-range.js';
import type { FileScanResult, ScanOptions } from './scan-file.js';

/** Main thread -> worker. */
export type WorkerRequest =
  | { type: 'scan'; id: number; path: string; options: ScanOptions }
  | { type: 'parse'; id: number; task: ParseTask }
  /** Buffers of consumed chunks, back for reuse (no reply). */
  | { type: 'recycle'; buffers: ArrayBuffer[] };

/** Worker -> main thread. A parse sends chunks, then `done` or `failed`; a scan sends `scanned` or `failed`. */
export type WorkerReply =
  | { type: 'scanned'; id: number; result: FileScanResult }
  | { type: 'chunk'; id: number; chunk: HistogramChunk }
  | { type: 'done'; id: number }
  | { type: 'failed'; id: number; code: string; message: string; line?: number };
