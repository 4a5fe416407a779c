/**
 * Load benchmark: synthetic 72 x 56 2D histogram pages (JSON, as the server sends them) parsed,
 * transformed and written to Parquet zstd through the worker-thread encoder.
 *
 * - Throughput: records/s and JSON MB/s end to end, and the ratio to `JSON.parse` alone over the
 *   same bytes in the same run (goal >= 0.6).
 * - Memory: peak RSS (process.resourceUsage().maxRSS) of the same export at 10k and 100k records,
 *   each in its own child process (goal: ratio <= 1.3, memory flat).
 * - Pages read two ways, alternated in the same run: JSON.parse (as before) and the page decoder
 *   (src/extract/decode-page.ts, what `run` uses: `data` straight into typed arrays), with the CPU
 *   of all threads per record over JSON.parse's (issue #16: <= 3x). An `encode` child writes
 *   pre-built batches only: the encoder's share alone.
 * - Column building: the `data` column built straight into a Float64Array with makeData (our
 *   path, validation included) vs apache-arrow's builder, same records.
 *
 * Every measurement runs in a fresh child process, after one JSON.parse pass over the page pool
 * (JIT warm-up, the same for the baseline and the pipeline); worker start-up is counted. The machine
 * is shared, so the baseline and the pipeline runs alternate (parse, nested, tensor, three rounds)
 * and the ratio is best pipeline over best baseline, with the spread of the per-round ratios.
 * Each child also reports the CPU time of its threads (Linux /proc): main thread, encoder worker,
 * and the rest (V8's GC helpers, libuv): the CPU budget per record, and so the bound on the rate.
 *
 * Run: `npm run build && node dist/bench/load.js [--quick]`. Prints a table, then one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeBuilder } from 'apache-arrow';
import { decodeHistogramPage } from '../src/extract/decode-page.js';
import { EncoderPool, openSink } from '../src/load/index.js';
import { histogramDataType } from '../src/transform/histogram-data.js';
import { toRecordBatch, transformSpecFor, type Layout } from '../src/transform/index.js';
import { RECORDS_PER_PAGE, pagePool } from './load-pages.js';
import { cpuPerRecord, threadCpuSeconds, type CpuPerRecord } from './thread-cpu.js';

const POOL_PAGES = 16;

/** How a page becomes records: JSON.parse, or the page decoder (typed `data`, what `run` uses). */
export type PageParser = 'json' | 'decoder';

/** What one child process measured. */
export interface PipelineRun {
  records: number;
  layout: Layout;
  parser: PageParser;
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
  /** CPU per record by thread (null off Linux). */
  cpu: CpuPerRecord | null;
  /** Seconds the main thread waited in `sink.write` (encoder busy: backpressure). */
  writeWaitSeconds: number;
  /** Seconds of `sink.close()`: the last batches, the footer, fsync and the footer check. */
  closeSeconds: number;
}

/** The figures every measured run reports, from what it wrote and its encoder pool's counters. */
function runFigures(o: {
  records: number;
  layout: Layout;
  parser: PageParser;
  seconds: number;
  jsonBytes: number;
  files: readonly { bytes: number }[];
  pool: EncoderPool;
}): Omit<PipelineRun, 'cpu' | 'writeWaitSeconds' | 'closeSeconds'> {
  const stats = o.pool.stats();
  return {
    records: o.records,
    layout: o.layout,
    parser: o.parser,
    seconds: o.seconds,
    jsonBytes: o.jsonBytes,
    recordsPerSecond: o.records / o.seconds,
    jsonMBPerSecond: o.jsonBytes / 1e6 / o.seconds,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    files: o.files.length,
    fileBytes: o.files.reduce((n, f) => n + f.bytes, 0),
    workersStarted: stats.workersStarted,
    workersRetired: stats.workersRetired,
    peakWasmMB: stats.peakWasmBytes / 2 ** 20,
  };
}

/** Parses every page of the pool once, so neither measurement pays JSON.parse's JIT warm-up. */
function warmUp(pages: string[]): void {
  for (const text of pages) JSON.parse(text);
}

/** Parse + transform + write `records` records to Parquet zstd in this process. */
async function runPipeline(records: number, layout: Layout, parser: PageParser): Promise<PipelineRun> {
  const pages = pagePool(POOL_PAGES, records);
  const bodies = pages.map((text) => Buffer.from(text));
  warmUp(pages);
  if (parser === 'decoder') for (let i = 0; i < POOL_PAGES; i++) decodeHistogramPage(bodies[i], pages[i]);
  const dir = mkdtempSync(join(tmpdir(), 'dqm-bench-load-'));
  const pool = new EncoderPool();
  try {
    const spec = transformSpecFor('lumisection_histograms_2d', { layout });
    const sink = openSink({ dir, format: 'parquet', compression: 'zstd', encoderPool: pool });
    let jsonBytes = 0;
    let writeWait = 0;
    const cpu0 = threadCpuSeconds();
    const t0 = performance.now();
    for (let i = 0, done = 0; done < records; i++) {
      const text = pages[i % POOL_PAGES];
      jsonBytes += text.length;
      const page = (parser === 'json' ? JSON.parse(text) : decodeHistogramPage(bodies[i % POOL_PAGES], text)) as {
        results: unknown[];
      };
      const take = Math.min(RECORDS_PER_PAGE, records - done);
      const { batch, rejects } = toRecordBatch(
        take < RECORDS_PER_PAGE ? page.results.slice(0, take) : page.results,
        spec,
      );
      if (rejects.length > 0 || !batch) throw new Error(`bench: ${rejects.length} rejects`);
      const w0 = performance.now();
      await sink.write(batch);
      writeWait += performance.now() - w0;
      done += take;
    }
    const c0 = performance.now();
    const files = await sink.close();
    const closeSeconds = (performance.now() - c0) / 1000;
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuPerRecord(cpu0, threadCpuSeconds(), records);
    const rows = files.reduce((n, f) => n + f.rows, 0);
    if (rows !== records) throw new Error(`bench: wrote ${rows} rows, expected ${records}`);
    return {
      ...runFigures({ records, layout, parser, seconds, jsonBytes, files, pool }),
      cpu,
      writeWaitSeconds: writeWait / 1000,
      closeSeconds,
    };
  } finally {
    await pool.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The encoder's share alone: the same batches as the pipeline (built before the clock starts) written
 * through the sink, so the encoder worker's CPU per record is measured without a parser competing
 * for the cores.
 */
async function encodeOnly(records: number, layout: Layout): Promise<PipelineRun> {
  const pages = pagePool(POOL_PAGES, records);
  const spec = transformSpecFor('lumisection_histograms_2d', { layout });
  const batches = pages.map((text) => {
    const page = decodeHistogramPage(Buffer.from(text), text) as { results: unknown[] };
    return toRecordBatch(page.results, spec).batch!;
  });
  const dir = mkdtempSync(join(tmpdir(), 'dqm-bench-load-'));
  const pool = new EncoderPool();
  try {
    const sink = openSink({ dir, format: 'parquet', compression: 'zstd', encoderPool: pool });
    const cpu0 = threadCpuSeconds();
    const t0 = performance.now();
    for (let i = 0, done = 0; done < records; i++, done += RECORDS_PER_PAGE) await sink.write(batches[i % POOL_PAGES]);
    const files = await sink.close();
    const seconds = (performance.now() - t0) / 1000;
    const jsonBytes = (pages.reduce((n, t) => n + t.length, 0) / POOL_PAGES) * (records / RECORDS_PER_PAGE);
    return {
      ...runFigures({ records, layout, parser: 'decoder', seconds, jsonBytes, files, pool }),
      cpu: cpuPerRecord(cpu0, threadCpuSeconds(), records),
      writeWaitSeconds: 0,
      closeSeconds: 0,
    };
  } finally {
    await pool.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a measurement in a fresh child process: same starting state for all, and its own peak RSS. */
function inChild<T>(...args: string[]): T {
  const result = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (result.status !== 0) throw new Error(`bench child failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as T;
}

/** Result of the JSON.parse baseline. */
interface ParseRun {
  seconds: number;
  jsonBytes: number;
  recordsPerSecond: number;
  jsonMBPerSecond: number;
  cpu: CpuPerRecord | null;
}

/** JSON.parse alone over the same sequence of pages. */
function parseOnly(records: number): ParseRun {
  const pages = pagePool(POOL_PAGES, records);
  warmUp(pages);
  let jsonBytes = 0;
  let sink = 0;
  const cpu0 = threadCpuSeconds();
  const t0 = performance.now();
  for (let i = 0, done = 0; done < records; i++) {
    const text = pages[i % POOL_PAGES];
    jsonBytes += text.length;
    sink += (JSON.parse(text) as { results: unknown[] }).results.length;
    done += RECORDS_PER_PAGE;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuPerRecord(cpu0, threadCpuSeconds(), records);
  if (sink === 0) throw new Error('unreachable');
  return { seconds, jsonBytes, recordsPerSecond: records / seconds, jsonMBPerSecond: jsonBytes / 1e6 / seconds, cpu };
}

/** Best-of-3 time of building the `data` column of `records` both ways. */
function columnBuilding(pages: number): { records: number; makeDataMs: number; builderMs: number; speedup: number } {
  const recs = pagePool(pages, pages * RECORDS_PER_PAGE).flatMap(
    (t) => (JSON.parse(t) as { results: Record<string, unknown>[] }).results,
  );
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

/** The run with the highest rate. */
function fastest<T extends { recordsPerSecond: number }>(runs: T[]): T {
  return runs.reduce((a, b) => (b.recordsPerSecond > a.recordsPerSecond ? b : a));
}

/** `min-max` of a list of ratios. */
function spread(values: number[]): string {
  return `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`;
}

/** CPU per record as text. */
function cpuText(cpu: CpuPerRecord | null): string {
  if (!cpu) return 'cpu n/a';
  return `cpu us/rec: main ${Math.round(cpu.main)}, encoder ${Math.round(cpu.encoder)}, helpers ${Math.round(cpu.helpers)}`;
}

/** CPU of all threads per record over JSON.parse's per record (goal of issue #16: <= 3). */
function cpuRatio(run: PipelineRun, parse: ParseRun): number | null {
  if (!run.cpu || !parse.cpu) return null;
  return (run.cpu.main + run.cpu.encoder + run.cpu.helpers) / (parse.cpu.main + parse.cpu.helpers);
}

/** Runs the benchmark and prints a table plus one JSON line. */
export async function main(quick: boolean): Promise<void> {
  const n = quick ? 4000 : 20000;
  const rounds = quick ? 1 : 3;
  const [small, large] = quick ? [5000, 20000] : [10000, 100000];
  // Each layout with JSON.parse (before) and with the page decoder (what `run` uses), interleaved.
  const series: { layout: Layout; parser: PageParser; runs: PipelineRun[] }[] = [];
  for (const layout of ['nested', 'tensor'] as const)
    for (const parser of ['json', 'decoder'] as const) series.push({ layout, parser, runs: [] });
  const parses: ParseRun[] = [];
  for (let r = 0; r < rounds; r++) {
    parses.push(inChild<ParseRun>('parse', String(n)));
    for (const s of series) s.runs.push(inChild<PipelineRun>('pipeline', String(n), s.layout, s.parser));
  }
  const columns = columnBuilding(quick ? 10 : 40);
  const memSmall = inChild<PipelineRun>('pipeline', String(small), 'nested', 'decoder');
  const memLarge = inChild<PipelineRun>('pipeline', String(large), 'nested', 'decoder');
  const parse = fastest(parses);
  const roundRatios = (runs: PipelineRun[]): number[] =>
    runs.map((run, r) => run.recordsPerSecond / parses[r].recordsPerSecond);
  const rssRatio = memLarge.peakRssMB / memSmall.peakRssMB;
  const line = (r: PipelineRun): string =>
    `${(r.layout + ' ' + r.parser).padEnd(14)} ${String(r.records).padStart(7)} rec  ${r.seconds.toFixed(1).padStart(6)} s  ${Math.round(r.recordsPerSecond).toString().padStart(6)} rec/s  ${r.jsonMBPerSecond.toFixed(1).padStart(6)} MB/s JSON  peak RSS ${Math.round(r.peakRssMB)} MB  wasm ${Math.round(r.peakWasmMB)} MB  files ${r.files} (${(r.fileBytes / 1e6).toFixed(1)} MB)  workers ${r.workersStarted}`;
  console.log(
    `load bench: 2D 72x56 histograms, JSON pages -> Parquet zstd${quick ? ' (quick)' : ''}; best of ${rounds} alternating runs; pages read by JSON.parse (json) or the page decoder (decoder, as \`run\` does)`,
  );
  console.log(
    `JSON.parse alone: ${Math.round(parse.recordsPerSecond)} rec/s, ${parse.jsonMBPerSecond.toFixed(1)} MB/s  (${cpuText(parse.cpu)}; rounds: ${parses.map((p) => Math.round(p.recordsPerSecond)).join(', ')} rec/s)`,
  );
  const summary = series.map((s) => {
    const best = fastest(s.runs);
    // The median round's CPU (CPU per record varies less than wall time under load).
    const cpus = s.runs.map((run) => cpuRatio(run, parse)).filter((c): c is number => c !== null);
    const cpu = cpus.length ? cpus.sort((a, b) => a - b)[Math.floor(cpus.length / 2)]! : null;
    console.log(line(best));
    console.log(
      `               ${cpuText(best.cpu)}; CPU all threads / JSON.parse ${cpu === null ? 'n/a' : cpu.toFixed(2)} (goal <= 3); ratio ${(best.recordsPerSecond / parse.recordsPerSecond).toFixed(2)} (goal >= 0.6), per round ${spread(roundRatios(s.runs))}; waited for the encoder ${best.writeWaitSeconds.toFixed(2)} s, close ${best.closeSeconds.toFixed(2)} s`,
    );
    if (best.cpu && parse.cpu) {
      // Two cores: the rate cannot beat the busiest thread, nor half the total CPU per record.
      const total = best.cpu.main + best.cpu.encoder + best.cpu.helpers;
      const bound = Math.max(best.cpu.main, best.cpu.encoder, total / 2);
      console.log(
        `               CPU bound: ${Math.round(bound)} us/rec -> ratio <= ${(parse.cpu.main / bound).toFixed(2)} on 2 idle cores`,
      );
    }
    return {
      layout: s.layout,
      parser: s.parser,
      best,
      ratioToJsonParse: best.recordsPerSecond / parse.recordsPerSecond,
      roundRatios: roundRatios(s.runs),
      cpuRatio: cpu,
      runs: s.runs,
    };
  });
  console.log(line(memSmall));
  console.log(line(memLarge));
  console.log(`peak RSS ${large} / ${small}: ${rssRatio.toFixed(2)} (goal <= 1.3)`);
  // The long run amortises what every process pays once (worker start, wasm and JS compilation).
  const steadyRatio = memLarge.recordsPerSecond / parse.recordsPerSecond;
  console.log(
    `steady state, ${large} records: ${Math.round(memLarge.recordsPerSecond)} rec/s, ratio to JSON.parse alone ${steadyRatio.toFixed(2)} (one run; ${cpuText(memLarge.cpu)})`,
  );
  console.log(
    `data column, ${columns.records} records: makeData ${columns.makeDataMs.toFixed(0)} ms, arrow builder ${columns.builderMs.toFixed(0)} ms (${columns.speedup.toFixed(1)}x)`,
  );
  const pick = (layout: Layout, parser: PageParser) => summary.find((x) => x.layout === layout && x.parser === parser)!;
  const json = {
    bench: 'load',
    quick,
    parse,
    nested: pick('nested', 'decoder').best,
    tensor: pick('tensor', 'decoder').best,
    ratioToJsonParse: pick('nested', 'decoder').ratioToJsonParse,
    tensorRatioToJsonParse: pick('tensor', 'decoder').ratioToJsonParse,
    cpuRatio: { nested: pick('nested', 'decoder').cpuRatio, tensor: pick('tensor', 'decoder').cpuRatio },
    series: summary,
    parseRounds: parses,
    memory: { small: memSmall, large: memLarge, rssRatio },
    steadyRatioToJsonParse: steadyRatio,
    columns,
  };
  process.stdout.write(JSON.stringify(json) + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    const run =
      args[1] === 'parse'
        ? parseOnly(Number(args[2]))
        : args[1] === 'encode'
          ? await encodeOnly(Number(args[2]), args[3] as Layout)
          : await runPipeline(Number(args[2]), args[3] as Layout, (args[4] ?? 'decoder') as PageParser);
    process.stdout.write(JSON.stringify(run) + '\n');
  } else {
    await main(args.includes('--quick'));
  }
}
