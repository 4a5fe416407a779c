/**
 * Load benchmark: synthetic 72 x 56 2D histogram pages (JSON, as the server sends them) parsed,
 * transformed and written to Parquet zstd through the worker-thread encoder.
 *
 * - Throughput: records/s and JSON MB/s end to end, and the ratio to `JSON.parse` alone over the
 *   same bytes in the same run (goal >= 0.6).
 * - Memory: peak RSS (process.resourceUsage().maxRSS) of the same export at 10k and 100k records,
 *   each in its own child process (goal: ratio <= 1.3, memory flat).
 * - Column building: the `data` column built straight into a Float64Array with makeData (our
 *   path, validation included) vs apache-arrow's builder, same records.
 *
 * Every measurement runs in a fresh child process, after one JSON.parse pass over the page pool
 * (JIT warm-up, the same for the baseline and the pipeline); worker start-up is counted.
 *
 * Run: `npm run build && node dist/bench/load.js [--quick]`. Prints a table, then one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeBuilder } from 'apache-arrow';
import { EncoderPool, openSink } from '../src/load/index.js';
import { histogramDataType } from '../src/transform/histogram-data.js';
import { toRecordBatch, transformSpecFor, type Layout } from '../src/transform/index.js';
import { RECORDS_PER_PAGE, pagePool } from './load-pages.js';

const POOL_PAGES = 16;

/** What one child process measured. */
export interface PipelineRun {
  records: number;
  layout: Layout;
  seconds: number;
  jsonBytes: number;
  recordsPerSecond: number;
  jsonMBPerSecond: number;
  peakRssMB: number;
  files: number;
  fileBytes: number;
  workersStarted: number;
  workersRetired: number;
  peakWasmMB: number;
}

/** Parses every page of the pool once, so neither measurement pays JSON.parse's JIT warm-up. */
function warmUp(pages: string[]): void {
  for (const text of pages) JSON.parse(text);
}

/** Parse + transform + write `records` records to Parquet zstd in this process. */
async function runPipeline(records: number, layout: Layout): Promise<PipelineRun> {
  const pages = pagePool(POOL_PAGES, records);
  warmUp(pages);
  const dir = mkdtempSync(join(tmpdir(), 'dqm-bench-load-'));
  const pool = new EncoderPool();
  try {
    const spec = transformSpecFor('lumisection_histograms_2d', { layout });
    const sink = openSink({ dir, format: 'parquet', compression: 'zstd', encoderPool: pool });
    let jsonBytes = 0;
    const t0 = performance.now();
    for (let i = 0, done = 0; done < records; i++) {
      const text = pages[i % POOL_PAGES];
      jsonBytes += text.length;
      const page = JSON.parse(text) as { results: unknown[] };
      const take = Math.min(RECORDS_PER_PAGE, records - done);
      const { batch, rejects } = toRecordBatch(take < RECORDS_PER_PAGE ? page.results.slice(0, take) : page.results, spec);
      if (rejects.length > 0 || !batch) throw new Error(`bench: ${rejects.length} rejects`);
      await sink.write(batch);
      done += take;
    }
    const files = await sink.close();
    const seconds = (performance.now() - t0) / 1000;
    const rows = files.reduce((n, f) => n + f.rows, 0);
    if (rows !== records) throw new Error(`bench: wrote ${rows} rows, expected ${records}`);
    const stats = pool.stats();
    return {
      records,
      layout,
      seconds,
      jsonBytes,
      recordsPerSecond: records / seconds,
      jsonMBPerSecond: jsonBytes / 1e6 / seconds,
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      files: files.length,
      fileBytes: files.reduce((n, f) => n + f.bytes, 0),
      workersStarted: stats.workersStarted,
      workersRetired: stats.workersRetired,
      peakWasmMB: stats.peakWasmBytes / 2 ** 20,
    };
  } finally {
    await pool.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a measurement in a fresh child process: same starting state for all, and its own peak RSS. */
function inChild<T>(...args: string[]): T {
  const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`bench child failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as T;
}

/** Result of the JSON.parse baseline. */
interface ParseRun {
  seconds: number;
  jsonBytes: number;
  recordsPerSecond: number;
  jsonMBPerSecond: number;
}

/** JSON.parse alone over the same sequence of pages. */
function parseOnly(records: number): ParseRun {
  const pages = pagePool(POOL_PAGES, records);
  warmUp(pages);
  let jsonBytes = 0;
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0, done = 0; done < records; i++) {
    const text = pages[i % POOL_PAGES];
    jsonBytes += text.length;
    sink += (JSON.parse(text) as { results: unknown[] }).results.length;
    done += RECORDS_PER_PAGE;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (sink === 0) throw new Error('unreachable');
  return { seconds, jsonBytes, recordsPerSecond: records / seconds, jsonMBPerSecond: jsonBytes / 1e6 / seconds };
}

/** Best-of-3 time of building the `data` column of `records` both ways. */
function columnBuilding(pages: number): { records: number; makeDataMs: number; builderMs: number; speedup: number } {
  const recs = pagePool(pages, pages * RECORDS_PER_PAGE).flatMap((t) => (JSON.parse(t) as { results: Record<string, unknown>[] }).results);
  const spec = transformSpecFor('lumisection_histograms_2d', { select: ['data'] });
  const type = histogramDataType('nested', 'float64', 2);
  const best = (fn: () => void): number => {
    let ms = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      fn();
      ms = Math.min(ms, performance.now() - t0);
    }
    return ms;
  };
  const makeDataMs = best(() => {
    for (let i = 0; i < recs.length; i += RECORDS_PER_PAGE) toRecordBatch(recs.slice(i, i + RECORDS_PER_PAGE), spec);
  });
  const builderMs = best(() => {
    for (let i = 0; i < recs.length; i += RECORDS_PER_PAGE) {
      const builder = makeBuilder({ type });
      for (const r of recs.slice(i, i + RECORDS_PER_PAGE)) builder.append(r.data as number[][]);
      builder.finish().flush();
    }
  });
  return { records: recs.length, makeDataMs, builderMs, speedup: builderMs / makeDataMs };
}

/** Runs the benchmark and prints a table plus one JSON line. */
export async function main(quick: boolean): Promise<void> {
  const n = quick ? 4000 : 20000;
  const [small, large] = quick ? [5000, 20000] : [10000, 100000];
  const parse = inChild<ParseRun>('parse', String(n));
  const columns = columnBuilding(quick ? 10 : 40);
  const nested = inChild<PipelineRun>('pipeline', String(n), 'nested');
  const tensor = inChild<PipelineRun>('pipeline', String(n), 'tensor');
  const memSmall = inChild<PipelineRun>('pipeline', String(small), 'nested');
  const memLarge = inChild<PipelineRun>('pipeline', String(large), 'nested');
  const ratio = nested.recordsPerSecond / parse.recordsPerSecond;
  const rssRatio = memLarge.peakRssMB / memSmall.peakRssMB;
  const line = (r: PipelineRun): string =>
    `${r.layout.padEnd(7)} ${String(r.records).padStart(7)} rec  ${r.seconds.toFixed(1).padStart(6)} s  ${Math.round(r.recordsPerSecond).toString().padStart(6)} rec/s  ${r.jsonMBPerSecond.toFixed(1).padStart(6)} MB/s JSON  peak RSS ${Math.round(r.peakRssMB)} MB  wasm ${Math.round(r.peakWasmMB)} MB  files ${r.files} (${(r.fileBytes / 1e6).toFixed(1)} MB)  workers ${r.workersStarted}`;
  console.log(`load bench: 2D 72x56 histograms, JSON pages -> Parquet zstd${quick ? ' (quick)' : ''}`);
  console.log(`JSON.parse alone: ${Math.round(parse.recordsPerSecond)} rec/s, ${parse.jsonMBPerSecond.toFixed(1)} MB/s`);
  console.log(line(nested));
  console.log(line(tensor));
  console.log(`ratio to JSON.parse alone: nested ${ratio.toFixed(2)}, tensor ${(tensor.recordsPerSecond / parse.recordsPerSecond).toFixed(2)} (goal >= 0.6)`);
  console.log(line(memSmall));
  console.log(line(memLarge));
  console.log(`peak RSS ${large} / ${small}: ${rssRatio.toFixed(2)} (goal <= 1.3)`);
  console.log(`data column, ${columns.records} records: makeData ${columns.makeDataMs.toFixed(0)} ms, arrow builder ${columns.builderMs.toFixed(0)} ms (${columns.speedup.toFixed(1)}x)`);
  const json = { bench: 'load', quick, parse, nested, tensor, ratioToJsonParse: ratio, memory: { small: memSmall, large: memLarge, rssRatio }, columns };
  process.stdout.write(JSON.stringify(json) + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const run = args[1] === 'parse' ? parseOnly(Number(args[2])) : await runPipeline(Number(args[2]), args[3] as Layout);
    process.stdout.write(JSON.stringify(run) + '\n');
  } else {
    await main(args.includes('--quick'));
  }
}
