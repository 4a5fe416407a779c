/**
 * What the ml4dqm-csv source costs, on the bundled sample (3 files, 249 1D and 240 2D histograms):
 *   - load: expanding nothing, parsing the files into the server's tables (once per run);
 *   - local: every 1D and 2D histogram, sliced by run, through the in-process client (the server's
 *     router and handlers, page JSON parsed back), at page sizes 50 and 500;
 *   - direct: the same pages taken from the tables without the router (listing + page render +
 *     JSON.parse), i.e. what querying the store directly would cost: the floor of the router route;
 *   - http: the same export through the HTTP client against the embedded server on the same files.
 * Ratios are against `direct` in the same run (median of BENCH_ROUNDS rounds, default 7).
 * Prints a table, then one JSON line. Run: `npm run build && node dist/bench/csv-source.js`.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createClient,
  extractSlices,
  loadPlanContext,
  planSlices,
  type DqmClient,
  type StreamSpec,
} from '../src/extract/index.js';
import { renderPage } from '../src/server/pagination.js';
import { startServer } from '../src/server/index.js';
import type { ServerData } from '../src/server/handlers/context.js';
import { createCsvClient } from '../src/sources/csv/csv-client.js';
import { loadCsvTables } from '../src/sources/csv/csv-tables.js';
import { SAMPLE_DATA_DIR } from '../src/version.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (process.argv.includes('--quick') ? 3 : 7));
const FILES = readdirSync(SAMPLE_DATA_DIR)
  .filter((f) => f.endsWith('.csv'))
  .map((f) => join(SAMPLE_DATA_DIR, f))
  .sort();
const SPECS: StreamSpec[] = [
  { endpoint: 'lumisection_histograms_1d', sliceBy: ['run'] },
  { endpoint: 'lumisection_histograms_2d', sliceBy: ['run'] },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Every record of SPECS through `client`; returns the record count. */
async function exportAll(client: DqmClient): Promise<number> {
  let records = 0;
  for (const spec of SPECS) {
    const slices = planSlices(spec, await loadPlanContext(client, spec));
    for await (const event of extractSlices(client, slices))
      if (event.type === 'batch') records += event.records.length;
  }
  return records;
}

/** The same pages straight from the tables: listing per run, page render, JSON.parse. */
function exportDirect(data: ServerData, perPage: number): number {
  let records = 0;
  const runList = data.runs.list({});
  const parts: Buffer[] = [];
  for (let k = 0; k < runList.total; k++) runList.append(k, parts);
  const runs = parts.map((p) => (JSON.parse(p.toString()) as { run_number: number }).run_number);
  for (const table of [data.h1d, data.h2d]) {
    for (const run of runs) {
      const listing = table.list({ run: { eq: run }, ls: {}, entries: {} });
      const pages = Math.max(1, Math.ceil(listing.total / perPage));
      for (let p = 1; p <= pages; p++) {
        const body = renderPage(listing, '/api/x/', [['page', String(p)]], { perPage, envelope: 'total' })!;
        records += (JSON.parse(body.toString()) as { results: unknown[] }).results.length;
      }
    }
  }
  return records;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

const loadMs: number[] = [];
let data!: ServerData;
for (let i = 0; i < Math.max(3, Math.ceil(ROUNDS / 2)); i++) {
  const r = await timed(() => loadCsvTables(FILES));
  loadMs.push(r.ms);
  data = r.value;
}

const server = await startServer({ port: 0, dataDirs: [SAMPLE_DATA_DIR] });
const http = createClient({ baseUrl: server.url, token: server.userToken, concurrency: 4 });
const local50 = createCsvClient(data, {
  baseUrl: pathToFileURL(SAMPLE_DATA_DIR).href,
  description: 'bench',
  pageSize: 50,
});
const local500 = createCsvClient(data, {
  baseUrl: pathToFileURL(SAMPLE_DATA_DIR).href,
  description: 'bench',
  pageSize: 500,
});

const variants: Record<string, () => Promise<number> | number> = {
  direct: () => exportDirect(data, 50),
  local: () => exportAll(local50),
  'local (page 500)': () => exportAll(local500),
  http: () => exportAll(http),
};
const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
let records = 0;
for (const fn of Object.values(variants)) await fn(); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved, so every variant sees the same machine load.
  for (const [name, fn] of Object.entries(variants)) {
    const r = await timed(fn);
    samples[name].push(r.ms);
    records = r.value;
  }
}
await http.close();
await server.close();

const base = median(samples.direct);
const result = {
  bench: 'csv-source',
  files: FILES.length,
  records,
  rounds: ROUNDS,
  loadMs: Math.round(median(loadMs)),
  ms: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v) * 10) / 10])),
  ratioToDirect: Object.fromEntries(
    Object.entries(samples).map(([k, v]) => [k, Math.round((median(v) / base) * 100) / 100]),
  ),
};
process.stdout.write(`load (parse ${FILES.length} files): ${result.loadMs} ms\n`);
for (const name of Object.keys(variants)) {
  process.stdout.write(
    `${name.padEnd(18)} ${String(result.ms[name]).padStart(8)} ms  x${result.ratioToDirect[name]} of direct  (${records} records)\n`,
  );
}
process.stdout.write(JSON.stringify(result) + '\n');
