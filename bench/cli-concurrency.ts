/**
 * Concurrency and CPU per record through the CLI (issue #16): `histograms list --dim 1 --all --format
 * jsonl` and `run` (1D, Parquet zstd, defaults) of 20,000 1D histograms of 100 bins in 400 pages,
 * against `serve --synthetic ... --latency-ms 50` in its own process, at `--concurrency` 1 and 16.
 * Goals: c = 16 at least 12x faster than c = 1 (ideal 16x); CPU per record over all threads, net of
 * start-up, at most 3x JSON.parse of the same bytes.
 *
 * Baselines from the same run: JSON.parse of the same page bodies (fetched once, parsed in a second,
 * timed pass in this process), and each command's start-up CPU: the same command on a one-record
 * server (`run` of one record; `list --all` of one record), subtracted from the CPU of the big run.
 *
 * The client alone (bench/client-pass.ts, fresh processes): CPU per record of the HTTP client and
 * JSON.parse, on the main thread and the others, cold (as in a CLI) and warm, for undici's request
 * API (the transport before) and the transport (dispatch API), so the client's share is known.
 *
 * The timeline (bench/timeline-preload.ts, one more run of each command at c = 16, not timed): when the
 * first request went out, when the connections were first all busy, how busy they stayed, the
 * latency the client saw and the tail after the last response, so a speed-up short of 16x says where;
 * and the CPU of each thread (main, encoder worker, V8's and libuv's threads) of that run and of the
 * one-record run, so the CPU per record net of start-up is split by thread.
 * Then `list` and `run` at c = 16 with the pages requested ahead of page 1 on and off
 * (DQM_EXPORT_SPECULATIVE_PAGES=0), alternated: wall, and when all 16 connections were first busy.
 *
 * Run: `npm run build && node dist/bench/cli-concurrency.js [--quick]` (`--quick`: 100 pages,
 * c = 16 once; full: 400 pages, c = 1 once, c = 16 best of 2).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pad, round3, runCli, startServe, type CliRun, type ServeChild } from './cli-child.js';
import { clientPasses, parseBaseline, speculativeOnOff, type ThreadSplit } from './cli-baselines.js';
import { summarizeTimeline, type TimelineSummary } from './timeline.js';
import type { ThreadCpu, Timeline } from './timeline-preload.js';

const LATENCY_MS = 50;
const CONCURRENCIES = [1, 16] as const;
const TIMELINE_PRELOAD = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'timeline-preload.js')).href;

/** One command at one concurrency (best of n). */
export interface ConcurrencyRow {
  command: 'list' | 'run';
  concurrency: number;
  wallSeconds: number;
  cpuSeconds: number;
  peakRssMB: number;
  /** c = 1 wall over this wall. */
  speedup: number;
  /** (CPU - start-up CPU) / records, microseconds. */
  cpuUsPerRecordNet: number;
  /** cpuUsPerRecordNet over JSON.parse's CPU per record. */
  cpuRatioToParse: number;
}

function writePipeline(file: string, url: string): void {
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      name: 'concurrency',
      source: { type: 'dqm-playground', url },
      streams: [
        {
          name: 'h1d',
          endpoint: 'lumisection_histograms_1d',
          output: { path: 'h1d', format: 'parquet', compression: 'zstd', mode: 'overwrite' },
        },
      ],
    }),
  );
}

/** Runs the benchmark; prints the table and one JSON line. */
export async function runCliConcurrencyBench(quick: boolean): Promise<void> {
  const ls = quick ? 250 : 1000;
  const synthetic = `runs=10,ls=${ls},titles=2,dim=1,x=100`;
  const records = 10 * ls * 2;
  const pages = records / 50;
  const dir = mkdtempSync(join(tmpdir(), 'dqm-bench-conc-'));
  const big = await startServe(synthetic, ['--latency-ms', String(LATENCY_MS)]);
  const tiny = await startServe('runs=1,ls=1,titles=1,dim=1,x=100', ['--latency-ms', String(LATENCY_MS)]);
  try {
    const baseline = await parseBaseline(big, pages);
    const passes = await clientPasses(big, pages, quick ? 1 : 3);
    const bigPipeline = join(dir, 'big.json');
    const tinyPipeline = join(dir, 'tiny.json');
    writePipeline(bigPipeline, big.url);
    writePipeline(tinyPipeline, tiny.url);
    const list = (server: ServeChild, c: number, env: Record<string, string> = {}) =>
      runCli(
        [
          'histograms',
          'list',
          '--dim',
          '1',
          '--all',
          '--format',
          'jsonl',
          '--url',
          server.url,
          '--concurrency',
          String(c),
        ],
        { DQM_PLAYGROUND_TOKEN: server.token, ...env },
        { discardStdout: true },
      );
    const run = async (server: ServeChild, pipeline: string, c: number, env: Record<string, string> = {}) => {
      const out = join(dir, 'out');
      try {
        return await runCli(
          ['run', pipeline, '--out', out, '--no-progress', '--log-level', 'warn', '--concurrency', String(c)],
          { DQM_PLAYGROUND_TOKEN: server.token, ...env },
        );
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    };
    // Start-up CPU of each command: the same command exporting one record (best of 3).
    const startup = { list: Infinity, run: Infinity };
    for (let i = 0; i < 3; i++) {
      startup.list = Math.min(startup.list, (await list(tiny, 16)).cpuSeconds);
      startup.run = Math.min(startup.run, (await run(tiny, tinyPipeline, 16)).cpuSeconds);
    }
    const measured = new Map<string, CliRun[]>();
    const repeats = (c: number) => (c === 1 || quick ? 1 : 2);
    for (let round = 0; round < 2; round++) {
      for (const c of CONCURRENCIES) {
        if (round >= repeats(c)) continue;
        for (const command of ['list', 'run'] as const) {
          const r = command === 'list' ? await list(big, c) : await run(big, bigPipeline, c);
          if (command === 'run' && r.summary?.streams[0]?.records !== records)
            throw new Error(`run: expected ${records} records, got ${r.summary?.streams[0]?.records}`);
          const key = `${command}:${c}`;
          measured.set(key, [...(measured.get(key) ?? []), r]);
        }
      }
    }
    // The timeline: one more run of each command at c = 16 with the preload (its own code cache,
    // as NODE_OPTIONS is part of the cache key: warmed by a first, discarded run).
    const timelines: Record<string, TimelineSummary> = {};
    const timelineFile = join(dir, 'timeline.json');
    const timelineEnv = {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${TIMELINE_PRELOAD}`.trim(),
      DQM_BENCH_TIMELINE_FILE: timelineFile,
    };
    // CPU by thread of the same runs: the one-record run (start-up) and the big one, so the CPU per
    // record net of start-up is known for the main thread, the encoder worker and V8's threads.
    const threadCpu: Record<string, ThreadSplit> = {};
    for (const command of ['list', 'run'] as const) {
      const threads: (ThreadCpu | undefined)[] = [];
      for (let i = 0; i < 3; i++) {
        // Run 0 warms the preload's code cache (discarded); 1 is the one-record run, 2 the big one.
        const server = i < 2 ? tiny : big;
        if (command === 'list') await list(server, 16, timelineEnv);
        else await run(server, i < 2 ? tinyPipeline : bigPipeline, 16, timelineEnv);
        threads.push((JSON.parse(readFileSync(timelineFile, 'utf8')) as Timeline).threads);
      }
      timelines[command] = summarizeTimeline(JSON.parse(readFileSync(timelineFile, 'utf8')) as Timeline, 16);
      const [, startupThreads, bigThreads] = threads;
      if (startupThreads && bigThreads) {
        const net = (k: keyof ThreadCpu) => ((bigThreads[k] - startupThreads[k]) / records) * 1e3;
        threadCpu[command] = {
          startupMs: startupThreads,
          bigMs: bigThreads,
          usPerRecordNet: { main: net('main'), workers: net('workers'), others: net('others') },
        };
      }
    }
    // Pages requested ahead of page 1 on and off, alternated, at c = 16: `list` (its one slice's first
    // round) and `run` (page 2 of as many slices as connections idle in the first pages' round).
    const pairs = quick ? 1 : 5;
    const speculative = {
      list: await speculativeOnOff((env) => list(big, 16, env), timelineEnv, timelineFile, pairs),
      run: await speculativeOnOff((env) => run(big, bigPipeline, 16, env), timelineEnv, timelineFile, pairs),
    };
    const rows: ConcurrencyRow[] = [];
    for (const command of ['list', 'run'] as const) {
      const c1 = Math.min(...measured.get(`${command}:1`)!.map((r) => r.wallSeconds));
      for (const c of CONCURRENCIES) {
        const runs = measured.get(`${command}:${c}`)!;
        const wallSeconds = Math.min(...runs.map((r) => r.wallSeconds));
        const cpuSeconds = Math.min(...runs.map((r) => r.cpuSeconds));
        const net = ((cpuSeconds - startup[command]) / records) * 1e6;
        rows.push({
          command,
          concurrency: c,
          wallSeconds,
          cpuSeconds,
          peakRssMB: Math.max(...runs.map((r) => r.peakRssMB)),
          speedup: c1 / wallSeconds,
          cpuUsPerRecordNet: net,
          cpuRatioToParse: net / baseline.cpuUsPerRecord,
        });
      }
    }
    process.stdout.write(
      `cli concurrency: ${records} 1D records (100 bins), ${pages} pages, ${LATENCY_MS} ms latency; JSON.parse ${baseline.cpuUsPerRecord.toFixed(1)} us/record ` +
        `(${(baseline.bytes / records).toFixed(0)} B/record); start-up CPU list ${startup.list.toFixed(3)} s, run ${startup.run.toFixed(3)} s\n`,
    );
    process.stdout.write(
      `${'command'.padEnd(8)} ${pad('c', 3)} ${pad('wall s', 8)} ${pad('speed-up', 9)} ${pad('CPU s', 7)} ${pad('us/rec net', 11)} ${pad('x parse', 8)} ${pad('RSS MB', 7)}\n`,
    );
    for (const r of rows) {
      process.stdout.write(
        `${r.command.padEnd(8)} ${pad(r.concurrency, 3)} ${pad(r.wallSeconds.toFixed(2), 8)} ${pad(r.speedup.toFixed(2) + 'x', 9)} ${pad(r.cpuSeconds.toFixed(2), 7)} ${pad(r.cpuUsPerRecordNet.toFixed(1), 11)} ${pad(r.cpuRatioToParse.toFixed(1), 8)} ${pad(r.peakRssMB.toFixed(0), 7)}\n`,
      );
    }
    process.stdout.write(
      `client pass alone (fresh process, 16 connections, ${pages} pages, JSON.parse included), us/record main + other threads:\n`,
    );
    for (const p of passes) {
      const cold = p.coldMainUs + p.coldHelpersUs;
      const warm = p.warmMainUs + p.warmHelpersUs;
      process.stdout.write(
        `  ${p.mode.padEnd(10)} cold ${p.coldMainUs.toFixed(1)} + ${p.coldHelpersUs.toFixed(1)} = ${cold.toFixed(1)} (${(cold / baseline.cpuUsPerRecord).toFixed(1)}x parse); warm ${p.warmMainUs.toFixed(1)} + ${p.warmHelpersUs.toFixed(1)} = ${warm.toFixed(1)} (${(warm / baseline.cpuUsPerRecord).toFixed(1)}x)\n`,
      );
    }
    process.stdout.write(
      `timeline at c=16 (ms since process start; wire = requests on the wire, mean, from the first time all 16 were busy):\n`,
    );
    for (const [command, t] of Object.entries(timelines)) {
      process.stdout.write(
        `  ${command.padEnd(5)} ${t.requests} requests; first at ${t.firstRequestMs.toFixed(0)}, all 16 busy at ${t.fullMs?.toFixed(0) ?? '-'}, last response ${t.lastResponseMs.toFixed(0)}, exit ${t.exitMs.toFixed(0)}; wire ${t.wireMean.toFixed(1)}, latency ${t.latencyMeanMs.toFixed(1)} ms, connection turnover ${t.turnoverMeanMs.toFixed(1)} ms\n`,
      );
    }
    process.stdout.write(
      `CPU by thread at c=16 (timeline runs; one-record run -> ${records}-record run, ms; per record net of start-up, us):\n`,
    );
    for (const [command, t] of Object.entries(threadCpu)) {
      const cell = (k: keyof ThreadCpu) =>
        `${k} ${t.startupMs[k].toFixed(0)} -> ${t.bigMs[k].toFixed(0)} (${t.usPerRecordNet[k].toFixed(1)} us)`;
      process.stdout.write(`  ${command.padEnd(5)} ${cell('main')}, ${cell('workers')}, ${cell('others')}\n`);
    }
    for (const [command, r] of Object.entries(speculative)) {
      process.stdout.write(
        `${command} at c=16, pages ahead of page 1 on / off (DQM_EXPORT_SPECULATIVE_PAGES=0), ${r.pairs} alternated pairs, medians: wall ${r.onSeconds.toFixed(3)} / ${r.offSeconds.toFixed(3)} s, first request to all 16 busy ${r.onRampMs.toFixed(0)} / ${r.offRampMs.toFixed(0)} ms\n`,
      );
    }
    const at16 = (command: string) => rows.find((r) => r.command === command && r.concurrency === 16)!;
    process.stdout.write(
      `goals: speed-up at c=16 >= 12x: list ${at16('list').speedup.toFixed(2)}x, run ${at16('run').speedup.toFixed(2)}x; CPU/record net <= 3x JSON.parse: list ${at16('list').cpuRatioToParse.toFixed(1)}x, run ${at16('run').cpuRatioToParse.toFixed(1)}x\n`,
    );
    process.stdout.write(
      JSON.stringify({
        bench: 'cli-concurrency',
        quick,
        synthetic,
        latencyMs: LATENCY_MS,
        records,
        pages,
        jsonParseUsPerRecord: round3(baseline.cpuUsPerRecord),
        jsonBytesPerRecord: Math.round(baseline.bytes / records),
        startupCpuSeconds: { list: round3(startup.list), run: round3(startup.run) },
        clientPass: passes.map((p) => ({
          mode: p.mode,
          coldMainUs: round3(p.coldMainUs),
          coldHelpersUs: round3(p.coldHelpersUs),
          warmMainUs: round3(p.warmMainUs),
          warmHelpersUs: round3(p.warmHelpersUs),
        })),
        rows: rows.map((r) => ({
          ...r,
          wallSeconds: round3(r.wallSeconds),
          cpuSeconds: round3(r.cpuSeconds),
          peakRssMB: round3(r.peakRssMB),
          speedup: round3(r.speedup),
          cpuUsPerRecordNet: round3(r.cpuUsPerRecordNet),
          cpuRatioToParse: round3(r.cpuRatioToParse),
        })),
        timeline: Object.fromEntries(
          Object.entries(timelines).map(([command, t]) => [
            command,
            Object.fromEntries(Object.entries(t).map(([k, v]) => [k, typeof v === 'number' ? round3(v) : v])),
          ]),
        ),
        threadCpu: Object.fromEntries(
          Object.entries(threadCpu).map(([command, t]) => [
            command,
            Object.fromEntries(
              Object.entries(t).map(([k, v]) => [
                k,
                Object.fromEntries(Object.entries(v as ThreadCpu).map(([kk, x]) => [kk, round3(x)])),
              ]),
            ),
          ]),
        ),
        speculativePages: Object.fromEntries(
          Object.entries(speculative).map(([command, r]) => [
            command,
            Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round3(v)])),
          ]),
        ),
        speedupMet: at16('list').speedup >= 12 && at16('run').speedup >= 12,
        cpuMet: at16('list').cpuRatioToParse <= 3 && at16('run').cpuRatioToParse <= 3,
      }) + '\n',
    );
  } finally {
    await Promise.all([big.close(), tiny.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runCliConcurrencyBench(process.argv.includes('--quick'));
}
