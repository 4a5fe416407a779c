/**
 * Lanes: one file's byte ranges split into a few contiguous runs of ranges ("lanes") exported side
 * by side, each lane in file order with its own sinks, so that each lane's Parquet files are encoded
 * by their own encoder worker. The encoder is the largest single cost of a CSV export (about 45 % of
 * its CPU on one thread, docs/decisions.md): one lane leaves the second core idle for much of the
 * run, two lanes spread it. A slice whose rows straddle a lane boundary gets one file per lane
 * (contiguous rows each), which a dataset reader cannot tell from a rolled-over file.
 *
 * Errors keep the meaning of one lane: when lane l fails, only the lanes after it are stopped, and
 * the error reported is the one of the first lane that failed in file order, so the first bad row of
 * the file (file:line) is the one reported, as when the file is read front to back.
 */
import { availableParallelism } from 'node:os';
import { exportRanges, type ChunkConsumer } from './export-file.js';
import type { ParseTask } from './parse-range.js';
import type { CsvWorkerPool } from './worker-pool.js';

/**
 * Lanes of a file by default: two (each with its own encoder worker) when the machine has two cores
 * or more, else one. Independent of the parse workers: on 2 cores one parse worker feeds both lanes
 * (`defaultParseWorkers`).
 */
export function defaultLaneCount(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(2, cores));
}

/**
 * Parse workers by default: the cores the lanes' encoder workers leave, at least one, at most 8. On
 * 2 cores that is one parse worker for two encoders: the threads then match the cores, and the
 * export took ~50-100 MB less peak RSS (a JS heap, its chunk buffers and read buffer fewer) for no
 * more CPU than with two parse workers (docs/decisions.md, "CSV exports: one parse worker on 2 cores").
 */
export function defaultParseWorkers(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(8, cores - defaultLaneCount(cores)));
}

/** Rows a task parses (routed to a slice, or bad): its share of a file's work. */
function taskWeight(task: ParseTask): number {
  let n = 0;
  for (let i = 0; i < task.route.length; i++) if (task.route[i] !== -1) n++;
  return n;
}

/**
 * Splits a file's tasks (in file order) into at most `lanes` contiguous, non-empty lanes of about
 * equal work (rows parsed). Fewer tasks than lanes give fewer lanes.
 */
export function splitLanes(tasks: readonly ParseTask[], lanes: number): ParseTask[][] {
  const count = Math.max(1, Math.min(Math.floor(lanes), tasks.length));
  if (count === 1) return tasks.length ? [[...tasks]] : [];
  const weights = tasks.map(taskWeight);
  const total = weights.reduce((a, b) => a + b, 0);
  const out: ParseTask[][] = [[]];
  let done = 0;
  for (let i = 0; i < tasks.length; i++) {
    const lane = out[out.length - 1];
    // Start the next lane once this one has its share, leaving at least one task per later lane.
    const left = tasks.length - i;
    const lanesLeft = count - out.length;
    if (lane.length > 0 && lanesLeft > 0 && (done >= (total * out.length) / count || left <= lanesLeft)) out.push([]);
    out[out.length - 1].push(tasks[i]);
    done += weights[i];
  }
  return out;
}

/** Options of `exportLanes`. */
export interface ExportLanesOptions {
  pool: CsvWorkerPool;
  /** The file's tasks split into lanes (splitLanes). */
  lanes: ParseTask[][];
  /** Ranges parsed ahead per lane. */
  ahead?: number;
  signal?: AbortSignal;
  /** Called when a lane's every chunk has been consumed (before the others may be). */
  onLaneEnd?: (lane: number) => Promise<void> | void;
}

/**
 * Exports the lanes side by side, each lane's chunks consumed in file order by `consumerFor(lane)`.
 * Rejects with the error of the first failing lane in file order.
 */
export async function exportLanes(o: ExportLanesOptions, consumerFor: (lane: number) => ChunkConsumer): Promise<void> {
  const controllers = o.lanes.map(() => new AbortController());
  const stopAll = (): void => {
    for (const c of controllers) c.abort(o.signal?.reason);
  };
  if (o.signal?.aborted) stopAll();
  o.signal?.addEventListener('abort', stopAll, { once: true });
  try {
    const results = await Promise.allSettled(
      o.lanes.map(async (tasks, lane) => {
        try {
          await exportRanges(
            { pool: o.pool, tasks, ahead: o.ahead, signal: controllers[lane].signal },
            consumerFor(lane),
          );
          await o.onLaneEnd?.(lane);
        } catch (err) {
          // Later lanes stop; earlier ones run on, since one of them may hold an earlier bad row.
          for (let k = lane + 1; k < controllers.length; k++) controllers[k].abort(err);
          throw err;
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    o.signal?.removeEventListener('abort', stopAll);
  }
}

/**
 * Appends of several lanes in file order: a lane's entries are written at once when every earlier
 * lane has ended, and held until then otherwise (bad rows and rejects only: a few small objects).
 * Writes go one after the other, in the order they are released.
 */
export class LaneOrderedAppends<T> {
  private readonly held: T[][];
  private readonly ended: boolean[];
  private tail: Promise<void> = Promise.resolve();

  /** @param write appends entries (called one at a time). */
  constructor(
    lanes: number,
    private readonly write: (entries: T[]) => Promise<void>,
  ) {
    this.held = Array.from({ length: lanes }, () => []);
    this.ended = new Array<boolean>(lanes).fill(false);
  }

  private ready(lane: number): boolean {
    for (let k = 0; k < lane; k++) if (!this.ended[k]) return false;
    return true;
  }

  private enqueue(entries: T[]): Promise<void> {
    if (entries.length === 0) return this.tail;
    this.tail = this.tail.then(() => this.write(entries));
    return this.tail;
  }

  /** Appends `entries` of `lane` now, or holds them until the earlier lanes have ended. */
  append(lane: number, entries: T[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    if (this.ready(lane)) return this.enqueue(entries);
    this.held[lane].push(...entries);
    return Promise.resolve();
  }

  /** Marks `lane` ended and releases what later lanes held, as far as they are now in order. */
  end(lane: number): Promise<void> {
    this.ended[lane] = true;
    for (let k = 0; k < this.held.length; k++) {
      if (!this.ready(k)) break;
      this.enqueue(this.held[k].splice(0));
    }
    return this.tail;
  }

  /** Resolves when every released write is done. */
  drain(): Promise<void> {
    return this.tail;
  }
}
