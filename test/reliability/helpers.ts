/**
 * Shared machinery of the reliability suite: pipeline files, running the built CLI (optionally
 * killed), running a pipeline in-process with captured logs; the checks of an output directory
 * (DuckDB checksums, the invariants every output directory must keep) are in dataset-checks.ts and
 * re-exported here. Scripted servers and record builders are in scripted-server.ts.
 *
 * `SOAK=1` (`npm run soak`) scales the suite up: see `SOAK` and `soakScale`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadPipeline } from '../../src/config/index.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import type { RunSummary } from '../../src/pipeline/summary.js';
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

/** Runs `node dist/src/cli/bin.cjs ...args` with CI=1 (no progress bar) and resolves when it exits. */
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

export * from './dataset-checks.js';

/** Parses the CLI's one-line error (`error E_CODE: message`) from stderr; null if stderr has none. */
export function errorLine(stderr: string): { code: string; message: string; line: string } | null {
  const line = stderr.split('\n').find((l) => l.startsWith('error E_'));
  const m = line ? /^error (E_[A-Z0-9_]+): (.+)$/.exec(line) : null;
  return m ? { code: m[1], message: m[2], line: line! } : null;
}
