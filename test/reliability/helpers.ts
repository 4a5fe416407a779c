/**
 * Shared machinery of the reliability suite: pipeline files, running the built CLI (optionally
 * killed), running a pipeline in-process with captured logs, reading a dataset back with DuckDB as
 * per-partition checksums, and the invariants every output directory must keep (no temporary or
 * partial file visible, `_SUCCESS` only over a manifest that matches the files on disk). Scripted
 * servers and record builders are in scripted-server.ts.
 *
 * `SOAK=1` (`npm run soak`) scales the suite up: see `SOAK` and `soakScale`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadPipeline } from '../../src/config/index.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import type { RunSummary } from '../../src/pipeline/summary.js';
import { queryParquet, sqlString } from '../helpers/duckdb.js';
import { DIST_CLI } from '../helpers/server.js';

/** True under `npm run soak`: more seeds, more kills, bigger data sets. */
export const SOAK = process.env.SOAK === '1';

/** `ci` normally, `soak` under SOAK=1. */
export function soakScale<T>(ci: T, soak: T): T {
  return SOAK ? soak : ci;
}

const createdDirs: string[] = [];

/** A fresh empty directory under the OS temp dir, removed by `removeTempDirs`. */
export async function tempDir(prefix = 'dqm-rel-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  createdDirs.push(dir);
  return dir;
}

/** Removes every directory `tempDir` made in this test file (call in `afterAll`). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(createdDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** One stream of a generated pipeline file. */
export interface StreamYaml {
  name: string;
  endpoint: string;
  /** YAML flow mapping, e.g. `{by: run}`. */
  slice?: string;
  transform?: string;
  filters?: string;
  /** Output path (default: the stream name). */
  path?: string;
  partitionBy?: string[];
  mode?: 'overwrite' | 'error' | 'append';
  /** Extra output keys as YAML flow entries, e.g. `row_group_mb: 1`. */
  outputExtra?: string;
}

/** Source settings of a generated pipeline file. */
export interface SourceYaml {
  url?: string;
  concurrency?: number;
  retries?: number;
  /** YAML flow mapping of `timeouts`. */
  timeouts?: string;
}

/** A pipeline file text with `${DQM_PLAYGROUND_URL}` / `${DQM_PLAYGROUND_TOKEN}` as url and token. */
export function pipelineYaml(streams: StreamYaml[], source: SourceYaml = {}): string {
  const lines = [
    'version: 1',
    'name: reliability',
    'source:',
    '  type: dqm-playground',
    `  url: ${source.url ?? '${DQM_PLAYGROUND_URL}'}`,
    '  token: ${DQM_PLAYGROUND_TOKEN}',
    `  concurrency: ${source.concurrency ?? 8}`,
    `  retries: ${source.retries ?? 12}`,
  ];
  if (source.timeouts) lines.push(`  timeouts: ${source.timeouts}`);
  lines.push('streams:');
  for (const s of streams) {
    lines.push(`  - name: ${s.name}`, `    endpoint: ${s.endpoint}`);
    if (s.slice) lines.push(`    slice: ${s.slice}`);
    if (s.filters) lines.push(`    filters: ${s.filters}`);
    if (s.transform) lines.push(`    transform: ${s.transform}`);
    const partition = s.partitionBy?.length ? `, partition_by: [${s.partitionBy.join(', ')}]` : '';
    const extra = s.outputExtra ? `, ${s.outputExtra}` : '';
    lines.push(`    output: {path: ${s.path ?? s.name}${partition}, mode: ${s.mode ?? 'overwrite'}${extra}}`);
  }
  return lines.join('\n') + '\n';
}

/** The two histogram streams of the sample data: 1D nested, 2D tensor float32, both partitioned by run. */
export const HISTOGRAM_STREAMS: StreamYaml[] = [
  { name: 'h1d', endpoint: 'lumisection_histograms_1d', slice: '{by: run}', partitionBy: ['run'] },
  {
    name: 'h2d',
    endpoint: 'lumisection_histograms_2d',
    slice: '{by: run}',
    transform: '{layout: tensor, dtype: float32}',
    partitionBy: ['run'],
  },
];

/** Shape of a generated ML4DQM CSV data set (one 1D and one 2D file). */
export interface CsvDataShape {
  runs: number;
  /** Lumisections per run. */
  ls: number;
  /** Titles per dimensionality. */
  titles: number;
  /** 1D bins. */
  x1: number;
  /** 2D bins. */
  x2: number;
  y2: number;
  /** First run number (runs step by 10). */
  run0?: number;
}

/**
 * Writes `<dir>/small_1D.csv` and `<dir>/small_2D.csv` in the ML4DQM format (flow bins included, as
 * the real files): small enough that many seeded runs fit in CI, with values that differ per run, LS,
 * title and bin so a checksum notices any moved or altered value. Returns the record counts.
 */
export async function writeCsvData(dir: string, shape: CsvDataShape): Promise<{ h1d: number; h2d: number }> {
  const header = 'fromrun,fromlumi,hname,metype,histo,entries,Xmax,Xmin,Xbins,Ymax,Ymin,Ybins';
  const rows1: string[] = [header];
  const rows2: string[] = [header];
  const run0 = shape.run0 ?? 320000;
  for (let r = 0; r < shape.runs; r++) {
    for (let ls = 1; ls <= shape.ls; ls++) {
      for (let t = 0; t < shape.titles; t++) {
        const seed = (r * 7919 + ls * 104729 + t * 15485863) % 1000;
        const h1 = Array.from({ length: shape.x1 + 2 }, (_, i) => (seed + i * 13) % 97);
        rows1.push(
          `${run0 + 10 * r},${ls},Summary_TEC_${t},3,"[${h1.join(', ')}]",${seed + 1},10.0,0.0,${shape.x1},0.0,0.0,1`,
        );
        const h2 = Array.from({ length: (shape.x2 + 2) * (shape.y2 + 2) }, (_, i) => (seed + i * 31) % 89);
        rows2.push(
          `${run0 + 10 * r},${ls},PXLayer_${t},6,"[${h2.join(', ')}]",${seed + 2},1.5,-1.5,${shape.x2},3.14,-3.14,${shape.y2}`,
        );
      }
    }
  }
  await writeFile(join(dir, 'small_1D.csv'), rows1.join('\n') + '\n');
  await writeFile(join(dir, 'small_2D.csv'), rows2.join('\n') + '\n');
  const n = shape.runs * shape.ls * shape.titles;
  return { h1d: n, h2d: n };
}

/** Writes `text` as `<dir>/<name>` and returns the path. */
export async function writePipeline(dir: string, text: string, name = 'p.yaml'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** What a CLI child process did. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds from spawn to exit. */
  ms: number;
}

/** Options of `runCli`. */
export interface RunCliOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** SIGKILL the child this many ms after spawn (a crash at a random time). */
  killAfterMs?: number;
  /** SIGKILL the child as soon as `predicate` holds, polled every 20 ms (a crash after some progress). */
  killWhen?: () => boolean;
  /** Hard bound: a child still alive after this is killed, and `hung` tells. Default 60 s. */
  timeoutMs?: number;
  /** Shell commands run before the CLI replaces the shell (`ulimit -f 32`): limits the child inherits. */
  shellPrefix?: string;
}

/** Runs `node dist/src/cli/bin.js ...args` with CI=1 (no progress bar) and resolves when it exits. */
export function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult & { hung: boolean }> {
  if (!existsSync(DIST_CLI)) throw new Error(`${DIST_CLI} is missing: run npm run build first`);
  const started = performance.now();
  const command = options.shellPrefix ? '/bin/sh' : process.execPath;
  const argv = options.shellPrefix
    ? ['-c', `${options.shellPrefix} && exec "$0" "$@"`, process.execPath, DIST_CLI, ...args]
    : [DIST_CLI, ...args];
  const child = spawn(command, argv, {
    cwd: options.cwd,
    env: { ...process.env, CI: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let hung = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timers: NodeJS.Timeout[] = [];
  if (options.killAfterMs !== undefined) timers.push(setTimeout(() => child.kill('SIGKILL'), options.killAfterMs));
  if (options.killWhen) {
    const check = options.killWhen;
    timers.push(setInterval(() => check() && child.kill('SIGKILL'), 20));
  }
  timers.push(
    setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000),
  );
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started, hung });
    }),
  );
}

/**
 * The summary `run` prints as the last line of its stdout, parsed. A last line that is not JSON fails
 * with the whole stdout and stderr, so a failure shows what else reached stdout.
 */
export function summaryLine<T>(result: { stdout: string; stderr: string }): T {
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as T;
  } catch (err) {
    throw new Error(
      `the last line of stdout is not the JSON summary (${(err as Error).message})\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
      { cause: err },
    );
  }
}

/** A pino logger writing JSON lines into `lines` (for in-process runs). */
export function captureLogger(lines: string[], level: 'debug' | 'info' | 'trace' = 'debug'): Logger {
  return pino({ level, base: undefined }, { write: (line: string) => void lines.push(line) });
}

/** Parsed log lines with the given `msg`. */
export function logEntries(lines: string[], msg: string): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.msg === msg);
}

/** Runs a pipeline file in this process (no process start-up cost): the fast path for many seeded runs. */
export async function runInProcess(
  file: string,
  options: { url: string; token: string; outDir?: string; resume?: boolean; logger?: Logger },
): Promise<RunSummary> {
  const env = { ...process.env, DQM_PLAYGROUND_URL: options.url, DQM_PLAYGROUND_TOKEN: options.token };
  const loaded = await loadPipeline(file, { env });
  return runPipeline(loaded, {
    logger: options.logger ?? captureLogger([], 'info'),
    env,
    outDir: options.outDir,
    resume: options.resume,
  });
}

// One DuckDB connection per test file: concurrent tests take turns on it.
let duckQueue: Promise<unknown> = Promise.resolve();

/** `queryParquet`, serialised (tests of a file may run concurrently; the connection is shared). */
export function duck(sql: string): ReturnType<typeof queryParquet> {
  const result = duckQueue.then(() => queryParquet(sql));
  duckQueue = result.catch(() => {});
  return result;
}

/** One partition of a dataset as DuckDB reads it back. */
export interface PartitionChecksum {
  /** `run=315705` (hive partition values), or `all` for an unpartitioned dataset. */
  partition: string;
  rows: number;
  /** Distinct `id` values (equals `rows` when nothing is duplicated). */
  ids: number;
  /** md5 over the sorted md5s of every row (all columns, partition columns included). */
  checksum: string;
}

/**
 * Per-partition checksums of the Parquet dataset under `root`, read by DuckDB with hive partitioning:
 * independent of how rows are spread over files and row groups, sensitive to every value of every row.
 */
export async function datasetChecksums(root: string, partitionBy: string[] = ['run']): Promise<PartitionChecksum[]> {
  const glob = sqlString(join(root, '**', '*.parquet'));
  const key = partitionBy.length
    ? `concat_ws('/', ${partitionBy.map((c) => `'${c}=' || CAST(${c} AS VARCHAR)`).join(', ')})`
    : `'all'`;
  const { rows } = await duck(
    `SELECT ${key} AS partition, count(*) AS rows, count(DISTINCT id) AS ids, md5(string_agg(h, ',' ORDER BY h)) AS checksum
     FROM (SELECT *, md5(CAST(t AS VARCHAR)) AS h FROM read_parquet(${glob}, hive_partitioning = ${partitionBy.length > 0}) t)
     GROUP BY 1 ORDER BY 1`,
  );
  return rows.map((r) => ({
    partition: String(r.partition),
    rows: Number(r.rows),
    ids: Number(r.ids),
    checksum: String(r.checksum),
  }));
}

/** Every regular file under `root` (hidden ones included), relative and `/`-separated, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/** Paths with a segment starting with `.` or `_` are hidden from dataset readers (Spark, pyarrow, DuckDB globs of `*.parquet`). */
function isHidden(path: string): boolean {
  return path.split('/').some((segment) => segment.startsWith('.') || segment.startsWith('_'));
}

/** Files under `root` named like dqm-export temporaries (`.tmp-*`). */
export async function temporaryFiles(root: string): Promise<string[]> {
  return (await listFiles(root)).filter((p) => p.split('/').some((s) => s.startsWith('.tmp-')));
}

/** The files a reader of the dataset sees: not hidden (the manifest and marker are, under .dqm-export/). */
export async function visibleDataFiles(root: string): Promise<string[]> {
  return (await listFiles(root)).filter((p) => !isHidden(p));
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The invariants of an output directory at ANY moment, even right after a SIGKILL: every visible file
 * is a final data file (`part-*.parquet` under hive directories, never a temporary or partial name)
 * whose footer DuckDB reads, and `_SUCCESS` exists only over a manifest listing exactly the
 * visible data files with their sizes and SHA-256. Returns a list of violations (empty = fine).
 */
export async function datasetViolations(root: string): Promise<string[]> {
  const problems: string[] = [];
  const visible = await visibleDataFiles(root);
  for (const path of visible) {
    if (!/(^|\/)part-([A-Za-z0-9]+-)?[0-9a-f]{12}-\d{5}\.parquet$/.test(path))
      problems.push(`unexpected visible file ${path}`);
    try {
      // A partial file has no valid footer: reading the row count from it fails.
      await duck(`SELECT count(*) AS n FROM read_parquet(${sqlString(join(root, path))})`);
    } catch (err) {
      problems.push(`unreadable data file ${path}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (existsSync(join(root, '.dqm-export', '_SUCCESS'))) {
    if (!existsSync(join(root, '.dqm-export', 'manifest.json'))) problems.push('_SUCCESS without manifest.json');
    else {
      const manifest = JSON.parse(await readFile(join(root, '.dqm-export', 'manifest.json'), 'utf8')) as {
        files: { path: string; bytes: number; sha256: string }[];
        rows: number;
      };
      const listed = manifest.files.map((f) => f.path).sort();
      if (JSON.stringify(listed) !== JSON.stringify(visible))
        problems.push(`manifest lists ${listed.length} files, ${visible.length} visible`);
      for (const f of manifest.files) {
        if (!existsSync(join(root, f.path))) continue;
        const bytes = await readFile(join(root, f.path));
        if (bytes.length !== f.bytes || sha256(bytes) !== f.sha256)
          problems.push(`${f.path} differs from its manifest entry`);
      }
    }
  }
  return problems;
}

/** A finished dataset: no violations, no temporaries left, `_SUCCESS` present, journal ending in `done`. */
export async function completeDatasetViolations(root: string): Promise<string[]> {
  const problems = await datasetViolations(root);
  if (!existsSync(join(root, '.dqm-export', '_SUCCESS'))) problems.push('no _SUCCESS');
  const temps = await temporaryFiles(root);
  if (temps.length) problems.push(`temporaries left: ${temps.join(', ')}`);
  return problems;
}

/** Files under `root` whose bytes contain `needle` (paths relative to `root`). */
export async function filesContaining(root: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const bytes = Buffer.from(needle);
  for (const path of await listFiles(root)) {
    if ((await readFile(join(root, path))).includes(bytes)) hits.push(path);
  }
  return hits;
}

/** Parses the CLI's one-line error (`error E_CODE: message`) from stderr; null if stderr has none. */
export function errorLine(stderr: string): { code: string; message: string; line: string } | null {
  const line = stderr.split('\n').find((l) => l.startsWith('error E_'));
  const m = line ? /^error (E_[A-Z0-9_]+): (.+)$/.exec(line) : null;
  return m ? { code: m[1], message: m[2], line: line! } : null;
}
