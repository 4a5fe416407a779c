/**
 * CLI start-up against bare Node (issue #16's goal: within 2.5x of `node -e 0`). Children, each timed
 * from spawn to exit with its CPU (all threads) from the maxrss preload, best of n, interleaved:
 * - baseline: `node -e 0`;
 * - `dqm-export --version`;
 * - `dqm-export --help` and `validate` of a pipeline file (yargs, then the config schema: context);
 * - `dqm-export run` of a one-record pipeline (one 1D histogram of 100 bins to Parquet zstd) against a
 *   `serve --synthetic` child started once: what every shard task and small export pays;
 * - the same `run` and `node -e 0` on Node 22 and 24 when `npx -p node@22` / `node@24` can provide
 *   them (the npm `node` package, as `npm run test:node22` uses; offline and not cached: skipped),
 *   each against its own `node -e 0` (Node >= 22.1 has a module compile cache of its own).
 * Ratios are against the baseline of the same run and runtime, wall and CPU, best over best; and
 * round by round (each command's run over the baseline's run of the same round: median and range),
 * since the machine's speed drifts between rounds. Each command's page faults (all threads) and what
 * one fresh page costs this machine (pageFaultMicros) are printed too: on a virtual machine where a
 * fault costs ~11 us, a start-up's time follows the memory it touches. Then where a one-record
 * `run`'s wall time goes, phase by phase (bench/phases-preload.ts: medians of n runs, with the main
 * thread's CPU and all threads'), the critical path the 2.5x goal is about. The CLI's code cache
 * (src/cli/code-cache.ts) is warmed by one untimed run per runtime, as any second start-up finds it.
 *
 * Run: `npm run build && node dist/bench/startup.js [--quick]` (`--quick`: best of 3 instead of 7).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ChildPhases } from './phases-preload.cjs';
import {
  pad,
  round3,
  runCli,
  runNodeChild,
  runOneRecord,
  startServe,
  writeOneStreamPipeline,
  type CliRun,
  type ServeChild,
} from './cli-child.js';

const PHASES_PRELOAD = join(dirname(fileURLToPath(import.meta.url)), 'phases-preload.cjs');

/** One phase of a one-record `run`: when it ended (median over the runs) and the time since the previous one. */
export interface PhaseRow {
  phase: string;
  /** ms since the process started (median). */
  atMs: number;
  /** ms after the previous phase's median. */
  deltaMs: number;
}

/** Where a one-record `run`'s wall time goes (bench/phases-preload.ts), medians of n runs. */
export interface PhaseBreakdown {
  rows: PhaseRow[];
  /** Main-thread CPU ms when the first file was opened, and at exit; CPU ms of all threads at exit. */
  mainCpuAtOpenMs: number;
  mainCpuMs: number;
  allCpuMs: number;
  /** Minor page faults (medians): the main thread's to the first file's open and to exit, all threads'. */
  mainFaultsAtOpen: number;
  mainFaults: number;
  allFaults: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)];
}

/**
 * Runs the one-record `run` n times with bench/phases-preload.ts and takes the median of each phase
 * (ms since process start) and of the thread CPU figures. Phases in the order of their medians.
 */
export async function measurePhases(
  server: ServeChild,
  pipeline: string,
  dir: string,
  n: number,
): Promise<PhaseBreakdown> {
  const runs: ChildPhases[] = [];
  for (let i = 0; i <= n; i++) {
    const file = join(dir, 'phases.json');
    await runOneRecord(server, pipeline, dir, undefined, {
      env: { DQM_BENCH_PHASES_FILE: file },
      imports: [PHASES_PRELOAD],
    });
    // The first run writes the code cache of this command line (the preload is part of its key).
    if (i > 0) runs.push(JSON.parse(readFileSync(file, 'utf8')) as ChildPhases);
  }
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.marks)))];
  const at = names
    .map((phase) => ({ phase, atMs: median(runs.flatMap((r) => r.marks[phase] ?? [])) }))
    .sort((a, b) => a.atMs - b.atMs);
  return {
    rows: at.map((r, i) => ({ ...r, deltaMs: r.atMs - (i > 0 ? at[i - 1].atMs : 0) })),
    mainCpuAtOpenMs: median(runs.flatMap((r) => r.mainCpuAtOpenMs ?? [])),
    mainCpuMs: median(runs.flatMap((r) => r.mainCpuMs ?? [])),
    allCpuMs: median(runs.flatMap((r) => r.allCpuMs ?? [])),
    mainFaultsAtOpen: median(runs.flatMap((r) => r.mainFaultsAtOpen ?? [])),
    mainFaults: median(runs.flatMap((r) => r.mainFaults ?? [])),
    allFaults: median(runs.flatMap((r) => r.allFaults ?? [])),
  };
}

/** One measured command (best of n). */
export interface StartupRow {
  name: string;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  /** Minor page faults, all threads (fewest of n). */
  minorFaults: number;
  /** Wall and CPU over the baseline's. */
  wallRatio: number;
  cpuRatio: number;
  /**
   * Wall over the baseline's run of the same round (they run one after the other), over the n
   * rounds: median, lowest and highest. The machine's speed drifts between rounds (best of n may
   * pair a fast moment of one with a slow moment of the other); a round's pair shares its moment.
   */
  pairedWallRatio: { median: number; min: number; max: number };
}

/**
 * What a fresh 4 KB page costs this machine to fault in, in us: a 64 MB buffer touched once per page,
 * best of 3. A start-up's cost follows the memory it touches, and a virtual machine can make a
 * page fault 40-50x what it is on bare metal.
 */
export function pageFaultMicros(): number {
  const bytes = 64 * 1024 * 1024;
  let bestUs = Infinity;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    const buffer = Buffer.allocUnsafeSlow(bytes);
    for (let i = 0; i < bytes; i += 4096) buffer[i] = 1;
    bestUs = Math.min(bestUs, ((performance.now() - started) * 1000) / (bytes / 4096));
  }
  return bestUs;
}

/** Path of Node `major`'s binary from the npm `node` package (npx's cache), or undefined. */
function otherNode(major: number): string | undefined {
  try {
    const path = execFileSync('npx', ['-y', '-p', `node@${major}`, 'node', '-p', 'process.execPath'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 120_000,
    }).trim();
    return path || undefined;
  } catch {
    return undefined;
  }
}

/** Best wall, CPU, RSS and faults (separately) of several runs. */
function best(runs: CliRun[]): { wallSeconds: number; cpuSeconds: number; peakRssMB: number; minorFaults: number } {
  return {
    wallSeconds: Math.min(...runs.map((r) => r.wallSeconds)),
    cpuSeconds: Math.min(...runs.map((r) => r.cpuSeconds)),
    peakRssMB: Math.min(...runs.map((r) => r.peakRssMB)),
    minorFaults: Math.min(...runs.map((r) => r.minorFaults)),
  };
}

/** Median, lowest and highest of each round's wall over its baseline's. */
function pairedRatios(runs: CliRun[], baseline: CliRun[]): StartupRow['pairedWallRatio'] {
  const ratios = runs.map((r, i) => r.wallSeconds / baseline[i]!.wallSeconds);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

/** Runs the benchmark; prints the table and one JSON line. */
export async function runStartupBench(quick: boolean): Promise<void> {
  const n = quick ? 3 : 7;
  const dir = mkdtempSync(join(tmpdir(), 'dqm-bench-startup-'));
  const server = await startServe('runs=1,ls=1,titles=1,dim=1,x=100');
  try {
    const pipeline = writeOneStreamPipeline(dir, server.url, 'lumisection_histograms_1d');
    const cells: { name: string; baseline?: string; run: () => Promise<CliRun> }[] = [
      { name: 'node -e 0', run: () => runNodeChild(['-e', '0']) },
      { name: '--version', run: () => runCli(['--version']) },
      { name: '--help', run: () => runCli(['--help']) },
      { name: 'validate (1 file)', run: () => runCli(['validate', pipeline]) },
      { name: 'run (1 record)', run: () => runOneRecord(server, pipeline, dir) },
    ];
    for (const major of [22, 24]) {
      const execPath = otherNode(major);
      if (!execPath) {
        process.stdout.write(`Node ${major}: not available through npx, skipped\n`);
        continue;
      }
      const baseline = `node -e 0 (Node ${major})`;
      cells.push(
        { name: baseline, baseline, run: () => runNodeChild(['-e', '0'], {}, baseline, { execPath }) },
        { name: `run (1 record, Node ${major})`, baseline, run: () => runOneRecord(server, pipeline, dir, execPath) },
      );
    }
    const runs = new Map<string, CliRun[]>(cells.map((c) => [c.name, []]));
    // Warm the server, the page cache and each runtime's code cache once; not counted.
    for (const c of cells) if (c.name.startsWith('run')) await c.run();
    for (let i = 0; i < n; i++) for (const c of cells) runs.get(c.name)!.push(await c.run());
    const rows: StartupRow[] = cells.map((c) => {
      const baseRuns = runs.get(c.baseline ?? 'node -e 0')!;
      const base = best(baseRuns);
      const b = best(runs.get(c.name)!);
      return {
        name: c.name,
        ...b,
        wallRatio: b.wallSeconds / base.wallSeconds,
        cpuRatio: b.cpuSeconds / base.cpuSeconds,
        pairedWallRatio: pairedRatios(runs.get(c.name)!, baseRuns),
      };
    });
    const faultUs = pageFaultMicros();
    process.stdout.write(`start-up, best of ${n} (wall and CPU separately), children timed spawn to exit\n`);
    process.stdout.write(
      `${'command'.padEnd(28)} ${pad('wall s', 8)} ${pad('CPU s', 7)} ${pad('x node', 7)} ${pad('CPU x', 6)} ${pad('RSS MB', 7)} ${pad('faults', 7)} ${pad('x node, by round', 18)}\n`,
    );
    for (const r of rows) {
      const paired = r.pairedWallRatio;
      process.stdout.write(
        `${r.name.padEnd(28)} ${pad(r.wallSeconds.toFixed(3), 8)} ${pad(r.cpuSeconds.toFixed(3), 7)} ${pad(r.wallRatio.toFixed(2), 7)} ${pad(r.cpuRatio.toFixed(2), 6)} ${pad(r.peakRssMB.toFixed(0), 7)} ${pad(String(r.minorFaults), 7)} ${pad(`${paired.median.toFixed(2)} (${paired.min.toFixed(2)}-${paired.max.toFixed(2)})`, 18)}\n`,
      );
    }
    process.stdout.write(
      `a fresh 4 KB page costs this machine ${faultUs.toFixed(1)} us to fault in (64 MB touched once per page, best of 3)\n`,
    );
    const load = loadavg()[0];
    const phases = await measurePhases(server, pipeline, dir, n);
    process.stdout.write(
      `\nwhere a one-record run's wall time goes: median of ${n} runs, ms since the process started (load average ${load.toFixed(1)})\n`,
    );
    for (const r of phases.rows)
      process.stdout.write(
        `${r.phase.padEnd(28)} ${pad(r.atMs.toFixed(0), 6)} ${pad(`+${r.deltaMs.toFixed(0)}`, 6)}\n`,
      );
    process.stdout.write(
      `main thread CPU: ${phases.mainCpuAtOpenMs.toFixed(0)} ms to the first file's open, ${phases.mainCpuMs.toFixed(0)} ms in all; all threads ${phases.allCpuMs.toFixed(0)} ms\n` +
        `page faults: main thread ${phases.mainFaultsAtOpen} to the first file's open, ${phases.mainFaults} in all; all threads ${phases.allFaults}\n\n`,
    );
    const pick = (name: string) => rows.find((r) => r.name === name)!;
    const goal = 2.5;
    const version = pick('--version');
    const run = pick('run (1 record)');
    const others = rows.filter((r) => r.name.startsWith('run (1 record, Node'));
    process.stdout.write(
      `goal: --version and run within ${goal}x of node -e 0 (wall): --version ${version.wallRatio.toFixed(2)}x, run ${run.wallRatio.toFixed(2)}x (CPU ${version.cpuRatio.toFixed(2)}x, ${run.cpuRatio.toFixed(2)}x; by round, run ${run.pairedWallRatio.median.toFixed(2)}x median, ${run.pairedWallRatio.min.toFixed(2)}-${run.pairedWallRatio.max.toFixed(2)})` +
        others
          .map((r) => `; ${r.name.slice(15, -1)}: run ${r.wallRatio.toFixed(2)}x (CPU ${r.cpuRatio.toFixed(2)}x)`)
          .join('') +
        '\n',
    );
    process.stdout.write(
      JSON.stringify({
        bench: 'startup',
        quick,
        repeats: n,
        rows: rows.map((r) => ({
          ...r,
          wallSeconds: round3(r.wallSeconds),
          cpuSeconds: round3(r.cpuSeconds),
          peakRssMB: round3(r.peakRssMB),
          wallRatio: round3(r.wallRatio),
          cpuRatio: round3(r.cpuRatio),
          pairedWallRatio: {
            median: round3(r.pairedWallRatio.median),
            min: round3(r.pairedWallRatio.min),
            max: round3(r.pairedWallRatio.max),
          },
        })),
        goal,
        versionMet: version.wallRatio <= goal,
        runMet: run.wallRatio <= goal,
        otherRuntimes: others.map((r) => ({ name: r.name, wallRatio: round3(r.wallRatio), met: r.wallRatio <= goal })),
        loadAverage: round3(load),
        pageFaultMicros: round3(faultUs),
        phases: {
          ...phases,
          rows: phases.rows.map((r) => ({ phase: r.phase, atMs: round3(r.atMs), deltaMs: round3(r.deltaMs) })),
        },
      }) + '\n',
    );
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runStartupBench(process.argv.includes('--quick'));
}
