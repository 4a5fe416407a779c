/**
 * End-to-end export benchmark: `dqm-export run` of one 2D stream (synthetic 72 x 56 histograms,
 * `serve --synthetic` in its own process, zero latency) per output format, compression and layout,
 * each run as a child process timed from spawn to exit, against baselines measured in the same run:
 *
 *   - JSON.parse alone over the page bodies of the same records (the baseline of issue #16's goals
 *     for 2D: end to end >= 0.5 of its speed, and CPU per record <= 3x its CPU): each
 *     round fetches the bodies from the same server (`?page=N` of the unfiltered list: the same
 *     records and bytes as the CLI's per-run pages, only the envelope's links differ), keeps them as
 *     strings and parses them in a loop in this warm process (second pass timed). It is the floor
 *     of any client's cost: no I/O, no cold start, results dropped at once.
 *   - HTTP fetch + JSON.parse of those pages over 8 keep-alive connections (the CLI's default
 *     concurrency), for context: what the server and the network path cost before any transform.
 *   - CLI start-up: `run` of a one-record 2D pipeline against its own one-record server, best of n
 *     (`--version` is now bare Node: it loads none of the export's code, config, worker or wasm).
 *
 * Ratios are the parse baseline's time over the CLI's: raw (spawn to exit), net of start-up (minus
 * the one-record run's time) and in-process (the run's own `seconds`); and a CPU ratio, parse CPU over the
 * run child's CPU (all threads) net of start-up CPU, which other jobs on the machine distort far less. Rounds run every measurement once,
 * in turn, and each figure keeps its best round, so a burst of load from other jobs on the shared
 * cores hits one round, not one cell.
 *
 * Run: `npm run build && node dist/bench/run-e2e.js [--quick]` (full: 5,000 records, best of 2 rounds,
 * ~75 s; quick: 500 records, one round, a smoke run where start-up dominates; env BENCH_E2E_RUNS,
 * BENCH_E2E_LS, BENCH_REPEATS). Prints tables, then one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import {
  cellName,
  pad,
  round3,
  runExport,
  startServe,
  oneRecordRunSeconds,
  writePipeline,
  type ExportCell,
  type ExportRun,
  type ServeChild,
} from './cli-child.js';

/** The format/compression matrix (tensor layout), then the layout matrix (Parquet zstd). */
/**
 * The cells. `jsonParse` runs the export with DQM_EXPORT_PAGE_DECODER=0 (pages read by JSON.parse, as
 * before the page decoder): the decoder's effect, measured in the same run.
 */
const CELLS: Array<ExportCell & { matrix: 'format' | 'layout'; jsonParse?: boolean }> = [
  { matrix: 'format', format: 'parquet', compression: 'zstd', layout: 'tensor' },
  { matrix: 'format', format: 'parquet', compression: 'zstd', layout: 'tensor', jsonParse: true },
  { matrix: 'format', format: 'parquet', compression: 'snappy', layout: 'tensor' },
  { matrix: 'format', format: 'parquet', compression: 'none', layout: 'tensor' },
  { matrix: 'format', format: 'arrow', compression: 'none', layout: 'tensor' },
  { matrix: 'layout', format: 'parquet', compression: 'zstd', layout: 'nested' },
  { matrix: 'layout', format: 'parquet', compression: 'zstd', layout: 'flat' },
];
const PER_PAGE = 50;

/** A cell's name in the tables, `(JSON.parse pages)` marking the decoder-off run. */
function label(cell: (typeof CELLS)[number]): string {
  return cell.jsonParse ? `${cellName(cell)} (JSON.parse)` : cellName(cell);
}
const CONNECTIONS = 8;

/** A baseline pass over the pages. */
interface Pass {
  seconds: number;
  /** CPU seconds of this process during the pass (robust to other jobs' load, unlike seconds). */
  cpuSeconds: number;
  bytes: number;
  records: number;
}

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** One cell's best round. */
export interface E2eRow {
  cell: string;
  matrix: 'format' | 'layout';
  layout: ExportCell['layout'];
  format: ExportCell['format'];
  compression: ExportCell['compression'];
  /** Spawn to exit. */
  wallSeconds: number;
  /** The run summary's own seconds (pipeline only). */
  pipelineSeconds: number;
  records: number;
  bytesIn: number;
  outputBytes: number;
  files: number;
  peakRssMB: number;
  /** CPU seconds of the run child (all threads) and of the server meanwhile (null off Linux). */
  runCpuSeconds: number;
  serverCpuSeconds: number | null;
  recordsPerSecond: number;
  jsonMBPerSecond: number;
  /** Parse baseline seconds / wall seconds. */
  ratioRaw: number;
  /** Parse baseline seconds / (wall - start-up). */
  ratioNetOfStartup: number;
  /** Parse baseline seconds / pipeline seconds. */
  ratioInProcess: number;
  /** Parse baseline CPU seconds / (run CPU seconds - start-up CPU seconds): efficiency, not speed. */
  ratioCpu: number;
  /**
   * Issue #16's goal 2 for 2D: the run's CPU per record (all threads, net of start-up) over JSON.parse's
   * CPU per record of the same bytes (goal <= 3); 1 / ratioCpu.
   */
  cpuTimesParse: number;
}

/** The benchmark's result (also printed as one JSON line). */
export interface E2eResult {
  bench: 'run-e2e';
  quick: boolean;
  synthetic: string;
  records: number;
  pages: number;
  rounds: number;
  jsonParse: Pass & { recordsPerSecond: number; jsonMBPerSecond: number };
  httpFetchParse: Pass & {
    recordsPerSecond: number;
    jsonMBPerSecond: number;
    connections: number;
    ratioToParse: number;
  };
  startup: { seconds: number; nodeBootMs: number; cpuSeconds: number };
  rows: E2eRow[];
}

/** Fetches pages 1..pages over `connections` keep-alive connections, parsing each body on arrival. */
async function fetchAndParse(
  server: ServeChild,
  pages: number,
  connections: number,
): Promise<Pass & { texts: string[] }> {
  const pool = new Pool(server.url, { connections });
  const headers = { accept: 'application/json', authorization: `Token ${server.token}` };
  const texts: string[] = new Array(pages);
  let next = 0;
  let bytes = 0;
  let records = 0;
  try {
    const t0 = performance.now();
    const c0 = cpuNow();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < pages) {
          const page = ++next;
          const res = await pool.request({
            method: 'GET',
            path: `/api/lumisection_histograms_2d/?page=${page}`,
            headers,
          });
          // As the CLI's transport reads a body: whole buffer, utf8 text, JSON.parse.
          const buffer = Buffer.from(await res.body.arrayBuffer());
          if (res.statusCode !== 200) throw new Error(`bench: page ${page} -> HTTP ${res.statusCode}`);
          const text = buffer.toString('utf8');
          bytes += buffer.length;
          records += (JSON.parse(text) as { results: unknown[] }).results.length;
          texts[page - 1] = text;
        }
      }),
    );
    return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuNow() - c0, bytes, records, texts };
  } finally {
    await pool.close();
  }
}

/** JSON.parse alone over `texts`, in order. */
function parseAlone(texts: string[]): Pass {
  let records = 0;
  let bytes = 0;
  const t0 = performance.now();
  const c0 = cpuNow();
  for (const t of texts) records += (JSON.parse(t) as { results: unknown[] }).results.length;
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuNow() - c0;
  for (const t of texts) bytes += t.length; // pages are ASCII: one byte per character
  return { seconds, cpuSeconds, bytes, records };
}

function withRates<T extends Pass>(p: T): T & { recordsPerSecond: number; jsonMBPerSecond: number } {
  return { ...p, recordsPerSecond: p.records / p.seconds, jsonMBPerSecond: p.bytes / 1e6 / p.seconds };
}

/** Runs the benchmark and prints the tables plus one JSON line. */
export async function runE2eBench(
  options: { quick?: boolean; runs?: number; ls?: number; rounds?: number } = {},
): Promise<E2eResult> {
  const quick = options.quick ?? false;
  // 2 titles x runs x ls records, sliced by run (the default): 500 records, 10 pages per slice.
  const runs = options.runs ?? (quick ? 1 : 10);
  const ls = options.ls ?? 250;
  const rounds = options.rounds ?? (quick ? 1 : 2);
  const synthetic = `runs=${runs},ls=${ls},titles=2,dim=2,x=56,y=72`;
  const records = runs * ls * 2;
  const pages = Math.ceil(records / PER_PAGE);
  const dir = mkdtempSync(join(tmpdir(), 'dqm-bench-e2e-'));
  const server = await startServe(synthetic);
  let parse: Pass | undefined;
  let http: Pass | undefined;
  let startup = { seconds: Infinity, bootMs: 0, cpuSeconds: Infinity };
  const best = new Map<string, ExportRun>();
  try {
    const pipelines = CELLS.map((cell) => writePipeline(dir, server.url, cell));
    for (let round = 0; round < rounds; round++) {
      const fetched = await fetchAndParse(server, pages, CONNECTIONS); // also warms the server's JIT
      if (fetched.records !== records)
        throw new Error(`bench: fetched ${fetched.records} records, expected ${records}`);
      if (!http || fetched.seconds < http.seconds)
        http = {
          seconds: fetched.seconds,
          cpuSeconds: fetched.cpuSeconds,
          bytes: fetched.bytes,
          records: fetched.records,
        };
      parseAlone(fetched.texts); // JIT warm-up of this process's parser
      const parsed = parseAlone(fetched.texts);
      if (!parse || parsed.seconds < parse.seconds)
        parse = { ...parsed, cpuSeconds: Math.min(parsed.cpuSeconds, parse?.cpuSeconds ?? Infinity) };
      else parse.cpuSeconds = Math.min(parse.cpuSeconds, parsed.cpuSeconds);
      const s = await oneRecordRunSeconds(quick ? 1 : 2);
      startup = {
        ...(s.seconds < startup.seconds ? s : startup),
        cpuSeconds: Math.min(s.cpuSeconds, startup.cpuSeconds),
      };
      for (const [i, cell] of CELLS.entries()) {
        const env: Record<string, string> = cell.jsonParse ? { DQM_EXPORT_PAGE_DECODER: '0' } : {};
        const run = await runExport(server, pipelines[i], join(dir, 'out'), env);
        const got = run.summary.streams[0].records;
        if (got !== records) throw new Error(`bench: ${label(cell)} wrote ${got} records, expected ${records}`);
        const prev = best.get(label(cell));
        if (!prev || run.wallSeconds < prev.wallSeconds) best.set(label(cell), run);
      }
    }
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const p = parse!;
  const rows: E2eRow[] = CELLS.map((cell) => {
    const run = best.get(label(cell))!;
    const s = run.summary.streams[0];
    return {
      cell: label(cell),
      matrix: cell.matrix,
      layout: cell.layout,
      format: cell.format,
      compression: cell.compression,
      wallSeconds: run.wallSeconds,
      pipelineSeconds: run.summary.seconds,
      records: s.records,
      bytesIn: s.bytesIn,
      outputBytes: s.bytes,
      files: s.files,
      peakRssMB: run.peakRssMB,
      runCpuSeconds: run.cpuSeconds,
      serverCpuSeconds: run.serverCpuSeconds ?? null,
      recordsPerSecond: s.records / run.wallSeconds,
      jsonMBPerSecond: s.bytesIn / 1e6 / run.wallSeconds,
      ratioRaw: p.seconds / run.wallSeconds,
      ratioNetOfStartup: p.seconds / (run.wallSeconds - startup.seconds),
      ratioInProcess: p.seconds / run.summary.seconds,
      ratioCpu: p.cpuSeconds / (run.cpuSeconds - startup.cpuSeconds),
      cpuTimesParse: (run.cpuSeconds - startup.cpuSeconds) / p.cpuSeconds,
    };
  });
  const httpRates = { ...withRates(http!), connections: CONNECTIONS, ratioToParse: p.seconds / http!.seconds };
  const result: E2eResult = {
    bench: 'run-e2e',
    quick,
    synthetic,
    records,
    pages,
    rounds,
    jsonParse: withRates(p),
    httpFetchParse: httpRates,
    startup: { seconds: startup.seconds, nodeBootMs: startup.bootMs, cpuSeconds: startup.cpuSeconds },
    rows,
  };
  print(result);
  return result;
}

function print(r: E2eResult): void {
  const mb = (b: number) => (b / 1e6).toFixed(1);
  const out: string[] = [
    `end to end: dqm-export run, ${r.records} 2D 72x56 records (${mb(r.jsonParse.bytes)} MB of JSON, ${r.pages} pages) from serve --synthetic (own process, zero latency); best of ${r.rounds} round(s)${r.quick ? ' (quick)' : ''}`,
    `  baseline JSON.parse alone, same page bodies   ${r.jsonParse.seconds.toFixed(2).padStart(6)} s ${pad(Math.round(r.jsonParse.recordsPerSecond), 6)} rec/s ${pad(r.jsonParse.jsonMBPerSecond.toFixed(1), 6)} MB/s  CPU ${r.jsonParse.cpuSeconds.toFixed(2)} s`,
    `  HTTP fetch + JSON.parse, ${r.httpFetchParse.connections} connections       ${r.httpFetchParse.seconds.toFixed(2).padStart(6)} s ${pad(Math.round(r.httpFetchParse.recordsPerSecond), 6)} rec/s ${pad(r.httpFetchParse.jsonMBPerSecond.toFixed(1), 6)} MB/s  CPU ${r.httpFetchParse.cpuSeconds.toFixed(2)} s (client)  ${r.httpFetchParse.ratioToParse.toFixed(2)} of parse alone`,
    `  start-up (run, 1 record)                      ${r.startup.seconds.toFixed(2).padStart(6)} s  (Node boot ${Math.round(r.startup.nodeBootMs)} ms of it)  CPU ${r.startup.cpuSeconds.toFixed(2)} s`,
  ];
  const header =
    'cell                     wall s  pipeline s  CPU s run/server   rec/s  MB/s in  out MB  peak RSS MB  ratio: raw  net of start-up  in-process    CPU  CPU x parse';
  for (const matrix of ['format', 'layout'] as const) {
    out.push(
      matrix === 'format'
        ? 'per format and compression (layout tensor, float64):'
        : 'per layout (Parquet zstd, float64):',
      header,
    );
    for (const x of r.rows.filter((row) => row.matrix === matrix)) {
      out.push(
        `${x.cell.padEnd(22)} ${pad(x.wallSeconds.toFixed(2), 8)} ${pad(x.pipelineSeconds.toFixed(2), 11)} ${pad(x.runCpuSeconds.toFixed(1), 11)} / ${(x.serverCpuSeconds?.toFixed(1) ?? '-').padEnd(5)} ${pad(Math.round(x.recordsPerSecond), 7)} ${pad(x.jsonMBPerSecond.toFixed(1), 8)} ${pad(mb(x.outputBytes), 7)} ${pad(Math.round(x.peakRssMB), 12)} ${pad(x.ratioRaw.toFixed(2), 11)} ${pad(x.ratioNetOfStartup.toFixed(2), 16)} ${pad(x.ratioInProcess.toFixed(2), 11)} ${pad(x.ratioCpu.toFixed(2), 6)} ${pad(x.cpuTimesParse.toFixed(1), 12)}`,
      );
    }
  }
  out.push(
    "goals (issue #16, 2D): ratio to JSON.parse alone >= 0.5 (raw: spawn to exit; net: minus a one-record run's time; in-process: the",
    "  run's own seconds; CPU: parse CPU over the run's CPU net of start-up, all threads: how much work, whatever the load from other",
    "  jobs), and CPU x parse <= 3 (the run's CPU net of start-up over JSON.parse's, per record)",
  );
  process.stdout.write(out.join('\n') + '\n');
  const roundAll = (o: object): object =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round3(v) : v]));
  const json = {
    ...r,
    jsonParse: roundAll(r.jsonParse),
    httpFetchParse: roundAll(r.httpFetchParse),
    startup: roundAll(r.startup),
    rows: r.rows.map(roundAll),
  };
  process.stdout.write(JSON.stringify(json) + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  await runE2eBench({
    quick: process.argv.includes('--quick'),
    runs: env('BENCH_E2E_RUNS'),
    ls: env('BENCH_E2E_LS'),
    rounds: env('BENCH_REPEATS'),
  }).catch((err) => {
    process.stderr.write(`bench run-e2e failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
