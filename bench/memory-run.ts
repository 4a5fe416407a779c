/**
 * Peak RSS of `dqm-export run` (the whole child process, encoder workers included) exporting 10k
 * and 100k synthetic 72 x 56 2D records with the defaults (nested layout, float64, Parquet zstd,
 * slice by run): the same export at both sizes, each against its own `serve --synthetic` with the
 * same slice shape (500 records per run slice), only the number of runs differs. Goal: peak RSS
 * grows by at most 1.3x for 10x the records, and stays under 400 MB (issue #16).
 *
 * The peak is the child's own `process.resourceUsage().maxRSS`, written at exit by the preload
 * bench/maxrss-preload.ts (the CLI does not report it). One run per size: a peak is not a timing,
 * and the 100k export takes minutes. Rates are printed for context (does throughput hold at 10x?).
 *
 * Run: `npm run build && node dist/bench/memory-run.js [--quick]` (quick: 500 vs 1,000 records, a
 * smoke test whose ratio says little: at those sizes the fixed start-up footprint dominates;
 * env BENCH_MEMORY_SIZES=10000,100000 for other sizes, multiples of 500). Prints a table, one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pad, round3, runExport, startServe, writePipeline, type ExportCell } from './cli-child.js';

const CELL: ExportCell = { format: 'parquet', compression: 'zstd', layout: 'nested' };
const LS = 250; // x 2 titles: 500 records per run slice
const GOAL_RATIO = 1.3;
/** Issue #16: peak RSS of the default run under 400 MB at 10k and 100k records (was 1 GB). */
const GOAL_MB = 400;

/** One size's export. */
export interface MemoryRow {
  records: number;
  synthetic: string;
  peakRssMB: number;
  wallSeconds: number;
  /** CPU seconds of the child, all threads (what a change to memory must not cost). */
  cpuSeconds: number;
  recordsPerSecond: number;
  jsonMBPerSecond: number;
  outputBytes: number;
  files: number;
}

/** The benchmark's result (also printed as one JSON line). */
export interface MemoryResult {
  bench: 'memory-run';
  quick: boolean;
  export: string;
  rows: MemoryRow[];
  /** Peak RSS of the largest size over the smallest. */
  rssRatio: number;
  goalRatio: number;
  goalMB: number;
  /** Whether the goal is met; null for --quick, whose sizes cannot answer it. */
  met: boolean | null;
}

async function measure(records: number): Promise<MemoryRow> {
  if (records % (2 * LS) !== 0) throw new Error(`bench: sizes must be multiples of ${2 * LS}, got ${records}`);
  const synthetic = `runs=${records / (2 * LS)},ls=${LS},titles=2,dim=2,x=56,y=72`;
  const dir = mkdtempSync(join(tmpdir(), 'dqm-bench-mem-'));
  const server = await startServe(synthetic);
  try {
    const run = await runExport(server, writePipeline(dir, server.url, CELL), join(dir, 'out'));
    const s = run.summary.streams[0];
    if (s.records !== records) throw new Error(`bench: wrote ${s.records} records, expected ${records}`);
    return {
      records,
      synthetic,
      peakRssMB: run.peakRssMB,
      wallSeconds: run.wallSeconds,
      cpuSeconds: run.cpuSeconds,
      recordsPerSecond: records / run.wallSeconds,
      jsonMBPerSecond: s.bytesIn / 1e6 / run.wallSeconds,
      outputBytes: s.bytes,
      files: s.files,
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark and prints a table plus one JSON line. */
export async function runMemoryBench(options: { quick?: boolean; sizes?: number[] } = {}): Promise<MemoryResult> {
  const quick = options.quick ?? false;
  const sizes = options.sizes ?? (quick ? [500, 1000] : [10_000, 100_000]);
  const rows: MemoryRow[] = [];
  for (const n of sizes) rows.push(await measure(n));
  const rssRatio = rows[rows.length - 1].peakRssMB / rows[0].peakRssMB;
  const met = quick ? null : rssRatio <= GOAL_RATIO && rows.every((r) => r.peakRssMB < GOAL_MB);
  const result: MemoryResult = {
    bench: 'memory-run',
    quick,
    export: `dqm-export run, ${CELL.format} ${CELL.compression}, layout ${CELL.layout}, float64, slice by run`,
    rows,
    rssRatio,
    goalRatio: GOAL_RATIO,
    goalMB: GOAL_MB,
    met,
  };
  const lines = [
    `memory (run): peak RSS of the run child, ${result.export}${quick ? ' (quick: sizes too small for the goal to mean much)' : ''}`,
    ' records   peak RSS MB   wall s    CPU s   rec/s   MB/s in   out MB',
    ...rows.map(
      (r) =>
        `${pad(r.records, 8)} ${pad(Math.round(r.peakRssMB), 13)} ${pad(r.wallSeconds.toFixed(1), 8)} ${pad(r.cpuSeconds.toFixed(1), 8)} ${pad(Math.round(r.recordsPerSecond), 7)} ${pad(r.jsonMBPerSecond.toFixed(1), 9)} ${pad((r.outputBytes / 1e6).toFixed(1), 8)}`,
    ),
    `peak RSS ${rows[rows.length - 1].records} / ${rows[0].records}: ${rssRatio.toFixed(2)} (goal <= ${GOAL_RATIO}, each < ${GOAL_MB} MB): ${met === null ? 'not judged (quick sizes)' : met ? 'met' : 'NOT met'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const roundAll = (o: object): object =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round3(v) : v]));
  process.stdout.write(JSON.stringify({ ...result, rssRatio: round3(rssRatio), rows: rows.map(roundAll) }) + '\n');
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = process.env.BENCH_MEMORY_SIZES?.split(',').map(Number);
  await runMemoryBench({ quick: process.argv.includes('--quick'), sizes }).catch((err) => {
    process.stderr.write(`bench memory-run failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
