/**
 * Exports one scanned CSV file: its byte ranges are parsed by the worker pool, a few ranges ahead,
 * and their chunks are consumed strictly in file order (a later range's chunks wait for the
 * earlier ranges), so every slice's rows reach its sink in file order whatever the number of
 * workers. A slice's sink is closed as soon as all its routed rows are in; the caller commits the
 * file once this resolves. Nothing is held but the chunks of the ranges in flight.
 */
import type { HistogramChunk } from './chunk.js';
import type { ParseTask } from './parse-range.js';
import type { CsvWorkerPool } from './worker-pool.js';

/** What the consumer does with a file's chunks. */
export interface ChunkConsumer {
  /** Handles one chunk (rejects, bad rows, the batch); resolves when the sink can take more. */
  consume(chunk: HistogramChunk): Promise<void>;
}

/** Options of `exportRanges`. */
export interface ExportRangesOptions {
  pool: CsvWorkerPool;
  tasks: ParseTask[];
  /** Ranges parsed ahead of the one being consumed (default: the pool size + 1). */
  ahead?: number;
  signal?: AbortSignal;
}

interface RangeState {
  chunks: HistogramChunk[];
  done: boolean;
  error: Error | null;
}

/** Parses the tasks' ranges and hands their chunks to `consumer` in file order. */
export async function exportRanges(o: ExportRangesOptions, consumer: ChunkConsumer): Promise<void> {
  const ahead = Math.max(1, o.ahead ?? o.pool.size + 1);
  const states: RangeState[] = o.tasks.map(() => ({ chunks: [], done: false, error: null }));
  let wake: (() => void) | null = null;
  const signal = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  o.signal?.addEventListener('abort', signal, { once: true });
  let submitted = 0;
  const submit = (head: number): void => {
    while (submitted < o.tasks.length && submitted < head + ahead) {
      const state = states[submitted];
      o.pool
        .parse(o.tasks[submitted], (chunk) => {
          state.chunks.push(chunk);
          signal();
        })
        .then(
          () => {
            state.done = true;
            signal();
          },
          (err: Error) => {
            state.error = err;
            signal();
          },
        );
      submitted++;
    }
  };
  try {
    for (let head = 0; head < o.tasks.length; head++) {
      submit(head);
      const state = states[head];
      for (;;) {
        o.signal?.throwIfAborted();
        while (state.chunks.length) await consumer.consume(state.chunks.shift()!);
        if (state.error) throw state.error;
        if (state.done) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      states[head] = { chunks: [], done: true, error: null };
    }
  } finally {
    // One call per file on the run's signal: a listener left behind per file piles up over a glob.
    o.signal?.removeEventListener('abort', signal);
  }
}
