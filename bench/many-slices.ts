/**
 * What a slice costs `run` beyond its pages: 400 slices of one full page each (runs=400, 25 LS x 2
 * titles: 50 records a run, 1D, 100 bins) against `serve --synthetic ... --latency-ms 50`, `run` at
 * c = 16 (Parquet zstd, one file and one journal line per slice) against the baseline of the same run:
 * `histograms list --all` of the same 20,000 records at c = 16 (400 pages of 50 as well, no files). Prints the wall of both, the ratio,
 * and the overhead per slice, (run - list) / slices; one JSON line. A run of many small slices is a
 * whole server exported by run where each run has few histograms after the filters (docs/decisions.md,
 * "Run: slices commit while the next ones are fetched" and "Load: the own writer's files do not wear
 * out an encoder worker").
 *
 * Run: `npm run build && node dist/bench/many-slices.js [--quick]` (`--quick`: 100 slices, one round).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServe } from './cli-child.js';

const LATENCY_MS = 50;
const CONCURRENCY = 16;

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const slices = quick ? 100 : 400;
  const records = slices * 50;
  const rounds = quick ? 1 : 3;
  const dir = mkdtempSync(join(tmpdir(), 'dqm-bench-slices-'));
  const server = await startServe(`runs=${slices},ls=25,titles=2,dim=1,x=100`, ['--latency-ms', String(LATENCY_MS)]);
  try {
    const pipeline = join(dir, 'slices.json');
    writeFileSync(
      pipeline,
      JSON.stringify({
        version: 1,
        name: 'slices',
        source: { type: 'dqm-playground', url: server.url },
        streams: [{ name: 'h1d', endpoint: 'lumisection_histograms_1d', output: { path: 'h1d', mode: 'overwrite' } }],
      }),
    );
    const env = { DQM_PLAYGROUND_TOKEN: server.token };
    const c = String(CONCURRENCY);
    const list = () =>
      runCli(
        ['histograms', 'list', '--dim', '1', '--all', '--format', 'jsonl', '--url', server.url, '--concurrency', c],
        env,
        {
          discardStdout: true,
        },
      );
    const run = async () => {
      const out = join(dir, 'out');
      try {
        const r = await runCli(
          ['run', pipeline, '--out', out, '--no-progress', '--log-level', 'warn', '--concurrency', c],
          env,
        );
        if (r.summary?.streams[0]?.records !== records)
          throw new Error(`run: expected ${records} records, got ${r.summary?.streams[0]?.records}`);
        return r;
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    };
    // Code caches made by a first, untimed run of each (as any later start-up finds them).
    await list();
    await run();
    const best = { list: Infinity, run: Infinity, runCpu: Infinity };
    for (let i = 0; i < rounds; i++) {
      best.list = Math.min(best.list, (await list()).wallSeconds);
      const r = await run();
      best.run = Math.min(best.run, r.wallSeconds);
      best.runCpu = Math.min(best.runCpu, r.cpuSeconds);
    }
    const perSliceMs = ((best.run - best.list) / slices) * 1000;
    process.stdout.write(
      `many slices: ${slices} slices of one page (${records} 1D records), ${LATENCY_MS} ms latency, c = ${CONCURRENCY}, best of ${rounds}\n` +
        `  list --all (baseline, same pages)  ${best.list.toFixed(2)} s\n` +
        `  run (a file and a commit a slice)   ${best.run.toFixed(2)} s  CPU ${best.runCpu.toFixed(2)} s\n` +
        `  run / list ${(best.run / best.list).toFixed(2)}; ${perSliceMs.toFixed(2)} ms per slice beyond its page\n`,
    );
    process.stdout.write(
      JSON.stringify({
        bench: 'many-slices',
        quick,
        slices,
        records,
        latencyMs: LATENCY_MS,
        concurrency: CONCURRENCY,
        listSeconds: best.list,
        runSeconds: best.run,
        runCpuSeconds: best.runCpu,
        runOverList: best.run / best.list,
        msPerSlice: perSliceMs,
      }) + '\n',
    );
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
