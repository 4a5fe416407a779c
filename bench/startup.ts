/**
 * CLI start-up against bare Node (issue #16's goal: within 2.5x of `node -e 0`). Children, each timed
 * from spawn to exit with its CPU (all threads) from the maxrss preload, best of n, interleaved:
 * - baseline: `node -e 0`;
 * - `dqm-export --version`;
 * - `dqm-export --help` and `validate` of a pipeline file (yargs, then the config schema: context);
 * - `dqm-export run` of a one-record pipeline (one 1D histogram of 100 bins to Parquet zstd) against a
 *   `serve --synthetic` child started once: what every shard task and small export pays.
 * Ratios are against the baseline of the same run, wall and CPU.
 *
 * Run: `npm run build && node dist/bench/startup.js [--quick]` (`--quick`: best of 3 instead of 7).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pad, round3, runCli, runNodeChild, startServe, type CliRun } from './cli-child.js';

/** One measured command (best of n). */
export interface StartupRow {
  name: string;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  /** Wall and CPU over the baseline's. */
  wallRatio: number;
  cpuRatio: number;
}

/** Best wall and best CPU (separately) of several runs. */
function best(runs: CliRun[]): { wallSeconds: number; cpuSeconds: number; peakRssMB: number } {
  return {
    wallSeconds: Math.min(...runs.map((r) => r.wallSeconds)),
    cpuSeconds: Math.min(...runs.map((r) => r.cpuSeconds)),
    peakRssMB: Math.min(...runs.map((r) => r.peakRssMB)),
  };
}

/** Runs the benchmark; prints the table and one JSON line. */
export async function runStartupBench(quick: boolean): Promise<void> {
  const n = quick ? 3 : 7;
  const dir = mkdtempSync(join(tmpdir(), 'dqm-bench-startup-'));
  const server = await startServe('runs=1,ls=1,titles=1,dim=1,x=100');
  try {
    const pipeline = join(dir, 'one.json');
    writeFileSync(
      pipeline,
      JSON.stringify({
        version: 1,
        name: 'one',
        source: { type: 'dqm-playground', url: server.url },
        streams: [
          {
            name: 'h1d',
            endpoint: 'lumisection_histograms_1d',
            output: { path: 'h1d', format: 'parquet', compression: 'zstd', mode: 'overwrite' },
          },
        ],
      }),
    );
    const env = { DQM_PLAYGROUND_TOKEN: server.token };
    const cells: { name: string; run: () => Promise<CliRun> }[] = [
      { name: 'node -e 0', run: () => runNodeChild(['-e', '0']) },
      { name: '--version', run: () => runCli(['--version']) },
      { name: '--help', run: () => runCli(['--help']) },
      { name: 'validate (1 file)', run: () => runCli(['validate', pipeline]) },
      {
        name: 'run (1 record)',
        run: async () => {
          const out = join(dir, 'out');
          try {
            const r = await runCli(['run', pipeline, '--out', out, '--no-progress', '--log-level', 'warn'], env);
            if (r.summary?.streams[0]?.records !== 1)
              throw new Error('run (1 record): expected one record in the summary');
            return r;
          } finally {
            rmSync(out, { recursive: true, force: true });
          }
        },
      },
    ];
    const runs = new Map<string, CliRun[]>(cells.map((c) => [c.name, []]));
    await cells[4]!.run(); // warm the server and the page cache once; not counted
    for (let i = 0; i < n; i++) for (const c of cells) runs.get(c.name)!.push(await c.run());
    const base = best(runs.get('node -e 0')!);
    const rows: StartupRow[] = cells.map((c) => {
      const b = best(runs.get(c.name)!);
      return {
        name: c.name,
        ...b,
        wallRatio: b.wallSeconds / base.wallSeconds,
        cpuRatio: b.cpuSeconds / base.cpuSeconds,
      };
    });
    process.stdout.write(`start-up, best of ${n} (wall and CPU separately), children timed spawn to exit\n`);
    process.stdout.write(
      `${'command'.padEnd(20)} ${pad('wall s', 8)} ${pad('CPU s', 7)} ${pad('x node', 7)} ${pad('CPU x', 6)} ${pad('RSS MB', 7)}\n`,
    );
    for (const r of rows) {
      process.stdout.write(
        `${r.name.padEnd(20)} ${pad(r.wallSeconds.toFixed(3), 8)} ${pad(r.cpuSeconds.toFixed(3), 7)} ${pad(r.wallRatio.toFixed(2), 7)} ${pad(r.cpuRatio.toFixed(2), 6)} ${pad(r.peakRssMB.toFixed(0), 7)}\n`,
      );
    }
    const pick = (name: string) => rows.find((r) => r.name === name)!;
    const goal = 2.5;
    const version = pick('--version');
    const run = pick('run (1 record)');
    process.stdout.write(
      `goal: --version and run within ${goal}x of node -e 0 (wall): --version ${version.wallRatio.toFixed(2)}x, run ${run.wallRatio.toFixed(2)}x (CPU ${version.cpuRatio.toFixed(2)}x, ${run.cpuRatio.toFixed(2)}x)\n`,
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
        })),
        goal,
        versionMet: version.wallRatio <= goal,
        runMet: run.wallRatio <= goal,
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
