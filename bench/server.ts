/**
 * How fast the local server produces 2D pages, against how fast a client can merely JSON.parse them.
 * The server must never be the bottleneck of client benchmarks, so the target is a producer rate
 * many times the parse rate. Measured in the same run, on the same bytes:
 *   - render: a page of 50 synthetic 72 x 56 2D histograms assembled in-process (no HTTP);
 *   - render (CSV): a page of the sample 2D file (pre-serialised records);
 *   - http: pages fetched over keep-alive HTTP from a server in a worker thread, body read but not parsed;
 *   - baseline: JSON.parse of those same page bytes, alternating with rendering (median of 5 rounds).
 * Prints a table, then one JSON line. Run: `npx tsc -p tsconfig.json && node dist/bench/server.js [--quick]`
 * (env BENCH_PAGES, default 300; 60 with --quick).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';
import { startServer, type ServerOptions } from '../src/server/index.js';
import { renderPage } from '../src/server/pagination.js';
import { parseSyntheticSpec } from '../src/tables/synthetic-spec.js';
import { SyntheticHistogramTable } from '../src/tables/synthetic.js';

const SPEC = 'runs=100,ls=1000,titles=2,dim=2,x=56,y=72';
const PAGES = Number(process.env.BENCH_PAGES ?? (process.argv.includes('--quick') ? 60 : 300));

if (!isMainThread && workerData?.serverOptions) {
  const server = await startServer(workerData.serverOptions as ServerOptions);
  parentPort!.postMessage({ url: server.url, adminToken: server.adminToken });
  parentPort!.once('message', () => void server.close().then(() => process.exit(0)));
}

interface Rate {
  pagesPerSecond: number;
  mbPerSecond: number;
  meanPageBytes: number;
}

function rate(pages: number, bytes: number, ms: number): Rate {
  return {
    pagesPerSecond: (pages * 1000) / ms,
    mbPerSecond: bytes / 1e6 / (ms / 1000),
    meanPageBytes: Math.round(bytes / pages),
  };
}

/** Page numbers spread over the data set, the same in every measurement. */
function pageNumbers(count: number, lastPage: number): number[] {
  return Array.from({ length: count }, (_, i) => 1 + ((i * 7919) % lastPage));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Renders pages and JSON.parses the same bytes in alternating rounds, so both see the same machine
 * load (shared CI runners are noisy); reports the median round of each.
 */
function measureRenderAndParse(pages: number[], rounds = 5): { render: Rate; parse: Rate; bodies: Buffer[] } {
  const table = new SyntheticHistogramTable(parseSyntheticSpec(SPEC));
  const listing = table.list({ run: {}, ls: {}, entries: {} });
  const render = (page: number): Buffer =>
    renderPage(listing, '/api/lumisection_histograms_2d/', [['page', String(page)]], {
      perPage: 50,
      envelope: 'total',
    })!;
  for (let i = 0; i < 100; i++) render(pages[i % pages.length]); // warm-up: let the JIT settle
  for (let i = 0; i < 20; i++) JSON.parse(render(pages[i % pages.length]).toString());
  const per = Math.ceil(pages.length / rounds);
  const renderRates: Rate[] = [];
  const parseRates: Rate[] = [];
  const bodies: Buffer[] = [];
  for (let r = 0; r < rounds; r++) {
    const chunk = pages.slice(r * per, (r + 1) * per);
    const t0 = performance.now();
    const rendered = chunk.map(render);
    const t1 = performance.now();
    const bytes = rendered.reduce((s, b) => s + b.length, 0);
    const texts = rendered.map((b) => b.toString());
    const t2 = performance.now();
    let results = 0;
    for (const t of texts) results += (JSON.parse(t) as { results: unknown[] }).results.length;
    const t3 = performance.now();
    if (results !== chunk.length * 50)
      throw new Error(`bench: expected 50 histograms per page, got ${results / chunk.length}`);
    renderRates.push(rate(chunk.length, bytes, t1 - t0));
    parseRates.push(rate(chunk.length, bytes, t3 - t2));
    bodies.push(...rendered);
  }
  const pick = (rates: Rate[]): Rate => {
    const m = median(rates.map((x) => x.mbPerSecond));
    return rates.find((x) => x.mbPerSecond === m)!;
  };
  return { render: pick(renderRates), parse: pick(parseRates), bodies };
}

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

async function measureHttp(
  options: ServerOptions,
  path: (page: number) => string,
  pages: number[],
  concurrency: number,
): Promise<Rate> {
  const server = await startServerThread({ port: 0, ...options });
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });
  const headers = { Authorization: `Token ${server.adminToken}` };
  const fetchPage = async (page: number): Promise<number> => {
    const res = await request(server.url + path(page), { headers, dispatcher });
    if (res.statusCode !== 200) throw new Error(`bench: ${path(page)} -> ${res.statusCode}`);
    return (await res.body.arrayBuffer()).byteLength;
  };
  try {
    for (let i = 0; i < 40; i++) await fetchPage(pages[i % pages.length]); // warm-up, connections open
    let next = 0;
    let bytes = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < pages.length) {
          const n = await fetchPage(pages[next++]);
          bytes += n;
        }
      }),
    );
    return rate(pages.length, bytes, performance.now() - t0);
  } finally {
    await dispatcher.close();
    await server.close();
  }
}

function measureCsvRender(): Promise<Rate> {
  // The sample 2D file through the CSV store: pre-serialised records concatenated.
  return (async () => {
    const { DataFileTable } = await import('../src/tables/datafiles.js');
    const { CsvStore } = await import('../src/tables/store.js');
    const { preparedRows } = await import('../src/tables/parsed-files.js');
    const { SAMPLE_DATA_DIR } = await import('../src/version.js');
    const files = new DataFileTable();
    const store = new CsvStore(files);
    const path = `${SAMPLE_DATA_DIR}/ZeroBias_2018A_DataFrame_2D_synthetic.csv`;
    const file = files.register(path, 0)!;
    for await (const row of preparedRows(path, 2)) store.addRow(row, file.id);
    const listing = store.h2d.list({ run: {}, ls: {}, entries: {} });
    const pages = pageNumbers(PAGES, 4);
    let bytes = 0;
    const t0 = performance.now();
    for (const p of pages)
      bytes += renderPage(listing, '/api/lumisection_histograms_2d/', [['page', String(p)]], {
        perPage: 50,
        envelope: 'total',
      })!.length;
    return rate(pages.length, bytes, performance.now() - t0);
  })();
}

async function main(): Promise<void> {
  const pages = pageNumbers(PAGES, 4000);
  const { render: renderRate, parse } = measureRenderAndParse(pages);
  const render = { rate: renderRate };
  const csv = await measureCsvRender();
  const synthetic = { synthetic: SPEC };
  const http1 = await measureHttp(synthetic, (p) => `/api/lumisection_histograms_2d/?page=${p}`, pages, 1);
  const http4 = await measureHttp(synthetic, (p) => `/api/lumisection_histograms_2d/?page=${p}`, pages, 4);
  const rows: Array<[string, Rate]> = [
    ['render synthetic 2D page (in-process)', render.rate],
    ['render sample-CSV 2D page (in-process)', csv],
    ['serve synthetic 2D over HTTP, 1 connection', http1],
    ['serve synthetic 2D over HTTP, 4 connections', http4],
    ['baseline: JSON.parse of the same pages', parse],
  ];
  const ratio = (r: Rate): number => Number((r.mbPerSecond / parse.mbPerSecond).toFixed(2));
  console.log(
    `Server page production vs client JSON.parse (${PAGES} pages of 50 2D histograms, 72 x 56, ~${(render.rate.meanPageBytes / 1e6).toFixed(2)} MB each)`,
  );
  for (const [name, r] of rows) {
    console.log(
      `  ${name.padEnd(46)} ${r.pagesPerSecond.toFixed(0).padStart(7)} pages/s ${r.mbPerSecond.toFixed(0).padStart(6)} MB/s   x${ratio(r).toFixed(1)} of JSON.parse`,
    );
  }
  console.log(
    JSON.stringify({
      bench: 'server',
      pages: PAGES,
      meanPageBytes: render.rate.meanPageBytes,
      render: render.rate,
      renderCsv: csv,
      http1: http1,
      http4: http4,
      jsonParse: parse,
      ratioRenderToParse: ratio(render.rate),
      ratioHttp1ToParse: ratio(http1),
      ratioHttp4ToParse: ratio(http4),
    }),
  );
}

if (isMainThread) await main();
