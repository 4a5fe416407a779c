/**
 * The built CLI as child processes, for the end-to-end benchmarks (bench/run-e2e.ts,
 * bench/memory-run.ts): a synthetic `dqm-export serve`, pipeline files for one export cell, and
 * `dqm-export run` timed from spawn to exit, with its own peak RSS (bench/maxrss-preload.ts).
 *
 * Children rather than in-process calls because the figure a user sees is the command's: Node and
 * CLI start-up, config loading, worker start-up and teardown all count.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RunSummary } from '../src/pipeline/summary.js';
import type { ChildResources } from './maxrss-preload.cjs';

const here = dirname(fileURLToPath(import.meta.url));
/** The built CLI entry point (dist/src/cli/bin.cjs, what the `dqm-export` command runs; next to dist/bench). */
export const CLI = join(here, '..', 'src', 'cli', 'bin.cjs');
const PRELOAD = join(here, 'maxrss-preload.cjs');

/** A running `dqm-export serve --synthetic` child. */
export interface ServeChild {
  /** Base URL, e.g. http://127.0.0.1:40123. */
  url: string;
  /** Admin token (given to `run` as DQM_PLAYGROUND_TOKEN). */
  token: string;
  /** CPU seconds the server process has used so far (Linux /proc; undefined elsewhere). */
  cpuSeconds(): number | undefined;
  /** SIGTERM and wait for exit. */
  close(): Promise<void>;
}

/** utime + stime of a process from /proc/<pid>/stat, in seconds (USER_HZ is 100 on Linux). */
function procCpuSeconds(pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Throws a clear error when the CLI has not been built. */
export function checkBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
}

/**
 * Starts `serve --port 0 --synthetic <spec>` (zero latency unless `extraArgs` say otherwise) in its
 * own process, so its page rendering never shares an event loop with what is measured.
 */
export function startServe(synthetic: string, extraArgs: string[] = []): Promise<ServeChild> {
  checkBuilt();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--synthetic', synthetic, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start within 60 s: ${stderr}`));
    }, 60_000);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`serve exited before listening: ${stderr.trim()}`));
    });
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const first = JSON.parse(line) as { url: string; adminToken: string };
      child.stdout.resume(); // the human summary lines that follow: drained, not kept
      resolve({
        url: first.url,
        token: first.adminToken,
        cpuSeconds: () => procCpuSeconds(child.pid),
        close: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

/** One export configuration of the 2D stream. */
export interface ExportCell {
  layout: 'nested' | 'flat' | 'tensor';
  format: 'parquet' | 'arrow';
  compression: 'zstd' | 'snappy' | 'none';
}

/** Short name of a cell, e.g. `parquet zstd tensor`. */
export function cellName(cell: ExportCell): string {
  return `${cell.format} ${cell.compression} ${cell.layout}`;
}

/**
 * Writes a pipeline file (JSON is valid pipeline syntax) exporting every 2D histogram of `url` with
 * `cell`'s layout and output, everything else at its default (slice by run, float64, concurrency 8).
 */
export function writePipeline(dir: string, url: string, cell: ExportCell): string {
  const file = join(dir, `pipeline-${cell.format}-${cell.compression}-${cell.layout}.json`);
  const pipeline = {
    version: 1,
    name: 'bench',
    source: { type: 'dqm-playground', url },
    streams: [
      {
        name: 'h2d',
        endpoint: 'lumisection_histograms_2d',
        transform: { layout: cell.layout },
        output: { path: 'h2d', format: cell.format, compression: cell.compression, mode: 'overwrite' },
      },
    ],
  };
  writeFileSync(file, JSON.stringify(pipeline, null, 2));
  return file;
}

/** A finished CLI child. */
export interface CliRun {
  /** From spawn to the exit event, as a user's shell would see it. */
  wallSeconds: number;
  /** The `run` summary line (undefined for other commands). */
  summary?: RunSummary;
  /** Peak RSS of the child, MB (MiB / 1.048576: 1e6 bytes). */
  peakRssMB: number;
  /** ms from the child's start to its preload (Node bootstrap). */
  bootMs: number;
  /** ms from the child's start to its exit. */
  exitMs: number;
  /** CPU seconds of the child, all threads. */
  cpuSeconds: number;
  /** Minor page faults of the child to its exit, all threads. */
  minorFaults: number;
}

/**
 * Runs `node --import maxrss-preload dist/src/cli/bin.cjs ...args` and waits for it. Rejects with the
 * tail of its stderr if it exits non-zero.
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  options: { discardStdout?: boolean; execPath?: string; imports?: string[] } = {},
): Promise<CliRun> {
  checkBuilt();
  return runNodeChild([CLI, ...args], env, `dqm-export ${args.join(' ')}`, options);
}

/**
 * Runs `node --import maxrss-preload ...nodeArgs` (e.g. `['-e', '0']` for the bare Node baseline)
 * and waits for it, measured like runCli.
 */
export function runNodeChild(
  nodeArgs: string[],
  env: Record<string, string> = {},
  label = `node ${nodeArgs.join(' ')}`,
  options: {
    discardStdout?: boolean;
    /** Node binary (default: this process's). */
    execPath?: string;
    /** More preloads after the maxrss one: `.cjs` paths with --require, ES module URLs with --import. */
    imports?: string[];
  } = {},
): Promise<CliRun> {
  const tmp = mkdtempSync(join(tmpdir(), 'dqm-bench-rss-'));
  const rssFile = join(tmp, 'rss.json');
  let stdout = '';
  let stderr = '';
  const started = performance.now();
  // CommonJS preloads (.cjs paths) with --require: an --import would start Node's ES-module loader,
  // which the CLI's CommonJS entry and `node -e 0` do not (docs/decisions.md, "CLI start-up: the
  // entry point is CommonJS").
  const imports = [PRELOAD, ...(options.imports ?? [])].flatMap((p) =>
    p.endsWith('.cjs') ? ['--require', p] : ['--import', p],
  );
  const child = spawn(options.execPath ?? process.execPath, [...imports, ...nodeArgs], {
    env: { ...process.env, ...env, DQM_BENCH_MAXRSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let wallSeconds = 0;
  child.once('exit', () => (wallSeconds = (performance.now() - started) / 1000));
  // Discarded output (a listing of thousands of records) is drained without being kept.
  if (options.discardStdout) child.stdout.resume();
  else child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        if (code !== 0)
          throw new Error(`${label} exited with ${code}: ${stderr.trim().split('\n').slice(-15).join('\n')}`);
        const resources = JSON.parse(readFileSync(rssFile, 'utf8')) as ChildResources;
        const line = stdout.split('\n').find((l) => l.startsWith('{"msg":"summary"'));
        resolve({
          wallSeconds,
          summary: line ? (JSON.parse(line) as RunSummary) : undefined,
          peakRssMB: (resources.maxRssKB * 1024) / 1e6,
          bootMs: resources.bootMs,
          exitMs: resources.exitMs,
          cpuSeconds: resources.cpuSeconds,
          minorFaults: resources.minorFaults,
        });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
}

/** A finished `run`: its summary, and the CPU the server spent meanwhile (undefined off Linux). */
export type ExportRun = CliRun & { summary: RunSummary; serverCpuSeconds?: number };

/** `run <pipeline> --out <out> --no-progress` against `server`; the output directory is removed after. */
export async function runExport(
  server: ServeChild,
  pipeline: string,
  out: string,
  env: Record<string, string> = {},
): Promise<ExportRun> {
  try {
    const cpu0 = server.cpuSeconds();
    const run = await runCli(['run', pipeline, '--out', out, '--no-progress'], {
      DQM_PLAYGROUND_TOKEN: server.token,
      ...env,
    });
    const cpu1 = server.cpuSeconds();
    if (!run.summary) throw new Error(`run ${pipeline}: no summary line on stdout`);
    return {
      ...run,
      summary: run.summary,
      serverCpuSeconds: cpu0 === undefined || cpu1 === undefined ? undefined : cpu1 - cpu0,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Writes a pipeline file exporting every record of `url`'s `endpoint` to Parquet zstd, default
 * settings otherwise: with a one-record server, the smallest export (bench/startup.ts).
 */
export function writeOneStreamPipeline(dir: string, url: string, endpoint: string): string {
  const file = join(dir, `one-${endpoint}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      name: 'one',
      source: { type: 'dqm-playground', url },
      streams: [
        { name: 'one', endpoint, output: { path: 'one', format: 'parquet', compression: 'zstd', mode: 'overwrite' } },
      ],
    }),
  );
  return file;
}

/**
 * `run` of a one-record pipeline (written by writeOneStreamPipeline) against `server`, checked to
 * export exactly one record: what every export pays before its first record (Node, the CLI, the
 * config, the encoder worker, one file committed).
 */
export async function runOneRecord(
  server: ServeChild,
  pipeline: string,
  dir: string,
  execPath?: string,
  extra: { env?: Record<string, string>; imports?: string[] } = {},
): Promise<CliRun> {
  const out = join(dir, 'out-one');
  try {
    const r = await runCli(
      ['run', pipeline, '--out', out, '--no-progress', '--log-level', 'warn'],
      { DQM_PLAYGROUND_TOKEN: server.token, ...extra.env },
      { execPath, imports: extra.imports },
    );
    if (r.summary?.streams[0]?.records !== 1) throw new Error('run (1 record): expected one record in the summary');
    return r;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * Best-of-n one-record `run` of a 2D histogram (72 x 56) against its own one-record server: the
 * start-up bench/run-e2e.ts subtracts (`--version` no longer loads the export's code).
 */
export async function oneRecordRunSeconds(n: number): Promise<{ seconds: number; bootMs: number; cpuSeconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'dqm-bench-one-'));
  const server = await startServe('runs=1,ls=1,titles=1,dim=2,x=56,y=72');
  try {
    const pipeline = writeOneStreamPipeline(dir, server.url, 'lumisection_histograms_2d');
    await runOneRecord(server, pipeline, dir); // warms the server and the CLI's code cache; not counted
    let best = { seconds: Infinity, bootMs: 0, cpuSeconds: Infinity };
    for (let i = 0; i < n; i++) {
      const run = await runOneRecord(server, pipeline, dir);
      if (run.wallSeconds < best.seconds) best = { ...best, seconds: run.wallSeconds, bootMs: run.bootMs };
      best.cpuSeconds = Math.min(best.cpuSeconds, run.cpuSeconds);
    }
    return best;
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rounds to 3 decimals for the JSON line. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The text of `x` right-aligned in `width` columns. */
export function pad(x: string | number, width: number): string {
  return String(x).padStart(width);
}
