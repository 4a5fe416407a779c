/**
 * Extraction throughput vs concurrency. The local server adds a fixed latency per request (the real
 * server is latency-bound: a 1D page takes ~0.1 s, a 2D page 0.2-0.5 s), serves >= 400 pages of
 * synthetic 1D histograms, and the same per-run export runs at concurrency 1, 4, 16 and 32. Reports
 * the speed-up over concurrency 1 measured in the same run, and its fraction of the ideal
 * min(concurrency, pages). Goal: >= 14x at 16 (>= 0.9 of ideal).
 *
 * Run: `npm run build && node dist/bench/extract.js [--quick]` (env BENCH_LATENCY_MS, BENCH_RUNS, BENCH_LS,
 * BENCH_REPEATS). `--quick`: 100 pages and 2 repeats, a smoke run of ~10 s (c=1 alone is ~20 s at 400 pages).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { createClient, extractSlices, loadPlanContext, planSlices, type StreamSpec } from '../src/extract/index.js';
import { startServer, type ServerOptions } from '../src/server/index.js';

/**
 * The server runs in a worker thread: in the client's own event loop its per-request work (filtering
 * and serialising a page, ~1-4 ms) would be serialised with the client's and measured as client
 * overhead, which a remote server never is.
 */
async function startServerThread(
  options: ServerOptions,
): Promise<{ url: string; adminToken: string; close(): Promise<void> }> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { serverOptions: options } });
  const ready = await new Promise<{ url: string; adminToken: string }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    ...ready,
    close: async () => {
      worker.postMessage('close');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

if (!isMainThread && workerData?.serverOptions) {
  const server = await startServer(workerData.serverOptions as ServerOptions);
  parentPort!.postMessage({ url: server.url, adminToken: server.adminToken });
  parentPort!.once('message', () => void server.close().then(() => process.exit(0)));
}

/** One measured concurrency. */
export interface ExtractBenchRow {
  concurrency: number;
  /** Fastest of `runs` runs. */
  seconds: number;
  runs: number;
  pages: number;
  records: number;
  pagesPerSecond: number;
  speedup: number;
  ideal: number;
  fractionOfIdeal: number;
}

/** Result of the whole benchmark (also printed as one JSON line). */
export interface ExtractBenchResult {
  bench: 'extract';
  latencyMs: number;
  pages: number;
  records: number;
  slices: number;
  rows: ExtractBenchRow[];
}

/** Runs the benchmark and prints a table plus one JSON line. */
export async function runExtractBench(
  options: { latencyMs?: number; runs?: number; ls?: number; concurrencies?: number[]; repeats?: number } = {},
): Promise<ExtractBenchResult> {
  const latencyMs = options.latencyMs ?? 50;
  const runs = options.runs ?? 10;
  const ls = options.ls ?? 1000;
  const concurrencies = options.concurrencies ?? [1, 4, 16, 32];
  const repeats = options.repeats ?? 3;
  // 2 titles x runs x ls small 1D histograms: runs * ls * 2 / 50 pages (400 by default).
  const server = await startServerThread({
    port: 0,
    latencyMs,
    jitterMs: 0,
    synthetic: `runs=${runs},ls=${ls},titles=2,dim=1,x=20`,
    seed: 1,
  });
  const stream: StreamSpec & { endpoint: 'lumisection_histograms_1d' } = {
    endpoint: 'lumisection_histograms_1d',
    sliceBy: ['run'],
  };
  const rows: ExtractBenchRow[] = [];
  let slicesCount = 0;
  try {
    for (const concurrency of concurrencies) {
      // Short runs are repeated and the fastest kept: on shared cores one run can lose a second to
      // another process, which would be charged to the client. Concurrency 1 (~20 s) runs once.
      const times: number[] = [];
      let pages = 0;
      let records = 0;
      for (let i = 0; i < (concurrency === 1 ? 1 : repeats); i++) {
        const client = createClient({ baseUrl: server.url, token: server.adminToken, concurrency });
        try {
          const slices = planSlices(stream, await loadPlanContext(client, stream));
          slicesCount = slices.length;
          const started = performance.now();
          pages = records = 0;
          for await (const event of extractSlices(client, slices)) {
            if (event.type === 'batch') records += event.records.length;
            else pages += event.report.pages;
          }
          times.push((performance.now() - started) / 1000);
        } finally {
          await client.close();
        }
      }
      const seconds = Math.min(...times);
      rows.push({
        concurrency,
        seconds,
        runs: times.length,
        pages,
        records,
        pagesPerSecond: pages / seconds,
        speedup: 0,
        ideal: Math.min(concurrency, pages),
        fractionOfIdeal: 0,
      });
    }
  } finally {
    await server.close();
  }
  const base = rows.find((r) => r.concurrency === 1) ?? rows[0];
  for (const r of rows) {
    r.speedup = base.seconds / r.seconds;
    r.fractionOfIdeal = r.speedup / r.ideal;
  }
  const result: ExtractBenchResult = {
    bench: 'extract',
    latencyMs,
    pages: base.pages,
    records: base.records,
    slices: slicesCount,
    rows,
  };
  print(result);
  return result;
}

function print(result: ExtractBenchResult): void {
  const lines = [
    `extract: ${result.records} records, ${result.pages} pages in ${result.slices} slices, ${result.latencyMs} ms latency per request (fastest of n runs)`,
    'concurrency  n   seconds   pages/s   speed-up   ideal   of ideal',
    ...result.rows.map(
      (r) =>
        `${String(r.concurrency).padStart(11)} ${String(r.runs).padStart(2)} ${r.seconds.toFixed(2).padStart(9)} ${r.pagesPerSecond.toFixed(1).padStart(9)} ${(r.speedup.toFixed(2) + 'x').padStart(10)} ${String(r.ideal).padStart(7)} ${r.fractionOfIdeal.toFixed(2).padStart(10)}`,
    ),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const json = {
    ...result,
    rows: result.rows.map((r) => ({
      ...r,
      seconds: round(r.seconds),
      pagesPerSecond: round(r.pagesPerSecond),
      speedup: round(r.speedup),
      fractionOfIdeal: round(r.fractionOfIdeal),
    })),
  };
  process.stdout.write(JSON.stringify(json) + '\n');
}

if (isMainThread && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  const quick = process.argv.includes('--quick');
  runExtractBench({
    latencyMs: env('BENCH_LATENCY_MS'),
    runs: env('BENCH_RUNS'),
    ls: env('BENCH_LS') ?? (quick ? 250 : undefined),
    repeats: env('BENCH_REPEATS') ?? (quick ? 2 : undefined),
  }).catch((err) => {
    process.stderr.write(`bench extract failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
