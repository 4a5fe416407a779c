/**
 * Local ML4DQM CSV files at real size (issue #15): generates 2D CSV files in the real format
 * (header with the duplicated columns, `histo` a quoted JSON array of (Ybins+2)(Xbins+2) counts,
 * 72 x 56 bins, two titles, ten runs): 30,000 histograms (about 0.5 GB) and 150,000 (about
 * 2.5 GB), under .bench-data/ (gitignored; generated once, reused). Each is exported by the built
 * CLI with the default settings for tensor float32 Parquet zstd sliced by run, and the bench prints
 * wall time, CPU (user + sys, all threads), MB/s of CSV and peak RSS of the child process
 * (bench/maxrss-preload.ts), against two floors measured in the same run on the same file, one
 * thread, in process:
 *   - `lines`: read the file in 8 MiB blocks and find every line end (I/O and memchr only);
 *   - `json`: the same, plus JSON.parse of every `histo` array: the fairer floor, since turning the
 *     text into numbers is work any exporter must do, and it is what the pandas script does per row.
 * Each file is exported three times, alternating: `own`, the default (our own Parquet writer, pages
 * compressed by native zstd: node:zlib or zstd-napi); `native`, `DQM_EXPORT_PARQUET_WRITER=wasm`
 * (parquet-wasm, its UNCOMPRESSED pages recompressed by native zstd: the writer's baseline);
 * `wasm`, `DQM_EXPORT_PARQUET_ZSTD=wasm` (parquet-wasm and its own zstd: the codec's baseline).
 * `--variant own|native|wasm` (or `--codec`; several comma-separated) exports with those only.
 * Then one JSON line. `--quick`: a 1,500-histogram file only. `--no-big`: skip the 2.5 GB file
 * (bench/run-all.ts passes it unless given `--big`). `--data DIR`: the CSV files' directory (files
 * already generated there are reused; exports go to .bench-data/csv-runs either way).
 *
 * Goals (issue #15): peak RSS under 400 MB for both sizes (2.5 GB / 0.5 GB ratio <= 1.1), and 4.3 s
 * or less for the 0.5 GB file on 2 cores (4x faster than the issue's 17.1 s pandas script).
 */
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './cli-child.js';

const here = dirname(fileURLToPath(import.meta.url));
const dataFlag = process.argv.indexOf('--data');
/** Where the CSV files are (generated there if missing); `--data DIR` reuses files generated elsewhere (resolved from the working directory: the pipeline it writes lives elsewhere). */
const DATA = dataFlag > 0 ? resolve(process.argv[dataFlag + 1]!) : join(here, '..', '..', '.bench-data', 'csv');
/** Where the exports are written (and removed): never under `--data`, which may be read-only. */
const RUNS = join(here, '..', '..', '.bench-data', 'csv-runs');
const quick = process.argv.includes('--quick');
const big = !quick && !process.argv.includes('--no-big');
const X = 72;
const Y = 56;
const PANDAS_SECONDS = 17.1;

/** A small deterministic PRNG (mulberry32), so the files are the same on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEADER = 'fromrun,fromlumi,hname,fromrun,fromlumi,metype,hname,histo,entries,Xmax,Xmin,Xbins,Ymax,Ymin,Ybins\n';
const TITLES = ['clusterposition_zphi_ontrack_PXLayer_1', 'clusterposition_zphi_ontrack_PXLayer_2'];

/** Writes `histograms` rows (ten runs, two titles per lumisection) unless the file exists. */
async function generateFile(histograms: number): Promise<string> {
  const path = join(DATA, `ml4dqm-2d-${X}x${Y}-${histograms}.csv`);
  if (existsSync(path)) return path;
  mkdirSync(DATA, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const out = createWriteStream(tmp, { highWaterMark: 8 << 20 });
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  await write(HEADER);
  const rand = prng(histograms);
  const perRun = Math.ceil(histograms / 10 / TITLES.length);
  const cells = (Y + 2) * (X + 2);
  const values = new Array<number>(cells);
  let written = 0;
  let pending: string[] = [];
  for (let r = 0; r < 10; r++) {
    const run = 315000 + r * 37;
    for (let ls = 1; ls <= perRun; ls++) {
      for (const title of TITLES) {
        if (written >= histograms) continue;
        let entries = 0;
        for (let i = 0; i < cells; i++) {
          // Log-uniform counts 0..999 (two to three digits on average, as in real occupancy maps).
          const v = Math.floor(Math.exp(rand() * Math.log(1000))) - 1;
          values[i] = v;
          entries += v;
        }
        pending.push(
          `${run},${ls},${title},${run},${ls},6,${title},"[${values.join(', ')}]",${entries},${X / 2}.5,-${X / 2}.5,${X},${Y / 2}.0,-${Y / 2}.0,${Y}\n`,
        );
        written++;
        if (pending.length >= 64) {
          await write(pending.join(''));
          pending = [];
        }
      }
    }
  }
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(pending.join(''), () => resolve());
  });
  renameSync(tmp, path);
  return path;
}

/** One-thread floors on `path`: line ends only, and line ends + JSON.parse of each histo. */
function floors(path: string): { linesSeconds: number; jsonSeconds: number; rows: number } {
  const pass = (parse: boolean): { seconds: number; rows: number } => {
    const started = performance.now();
    const fd = openSync(path, 'r');
    const buf = Buffer.allocUnsafe(16 << 20);
    let filled = 0;
    let rows = 0;
    let sum = 0;
    for (;;) {
      const n = readSync(fd, buf, filled, buf.length - filled, null);
      filled += n;
      let p = 0;
      for (let nl = buf.indexOf(10, p); nl !== -1 && nl < filled; nl = buf.indexOf(10, p)) {
        if (parse && rows > 0) {
          const a = buf.indexOf(34, p);
          const b = buf.indexOf(34, a + 1);
          const values = JSON.parse(buf.toString('latin1', a + 1, b)) as number[];
          sum += values[values.length - 1];
        }
        rows++;
        p = nl + 1;
      }
      if (n === 0) break;
      buf.copy(buf, 0, p, filled);
      filled -= p;
    }
    closeSync(fd);
    if (sum < 0) throw new Error('unreachable');
    return { seconds: (performance.now() - started) / 1000, rows: rows - 1 };
  };
  const lines = pass(false);
  const json = pass(true);
  return { linesSeconds: lines.seconds, jsonSeconds: json.seconds, rows: json.rows };
}

const variantFlag = Math.max(process.argv.indexOf('--variant'), process.argv.indexOf('--codec'));
/** How each export is made: the writer and page codec, by environment. */
const VARIANT_ENV = {
  own: {},
  native: { DQM_EXPORT_PARQUET_WRITER: 'wasm' },
  wasm: { DQM_EXPORT_PARQUET_WRITER: 'wasm', DQM_EXPORT_PARQUET_ZSTD: 'wasm' },
} as const;
type Variant = keyof typeof VARIANT_ENV;
/** Variants to export with: the default first, then the two parquet-wasm baselines. */
const VARIANTS = (variantFlag > 0 ? process.argv[variantFlag + 1]!.split(',') : ['own', 'native', 'wasm']) as Variant[];
if (VARIANTS.some((v) => !(v in VARIANT_ENV))) throw new Error('--variant: own, native or wasm');

/** Exports `path` with the CLI (tensor float32, Parquet zstd, slice by run) in the given variant. */
async function exportFile(path: string, variant: Variant): Promise<Awaited<ReturnType<typeof runCli>>> {
  const dir = join(RUNS, `run-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const pipeline = join(dir, 'csv.json');
  writeFileSync(
    pipeline,
    JSON.stringify({
      version: 1,
      name: 'bench-csv',
      source: { type: 'ml4dqm-csv', files: [path] },
      streams: [
        {
          name: 'h2d',
          endpoint: 'lumisection_histograms_2d',
          slice: { by: 'run' },
          transform: { layout: 'tensor', dtype: 'float32' },
          output: { path: 'h2d' },
        },
      ],
    }),
  );
  try {
    return await runCli(['run', pipeline, '--out', dir, '--no-progress'], VARIANT_ENV[variant]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sizes = quick ? [1_500] : big ? [30_000, 150_000] : [30_000];
const results: Record<string, unknown>[] = [];
for (const histograms of sizes) {
  const path = await generateFile(histograms);
  const mb = statSync(path).size / 1e6;
  const floor = floors(path);
  for (const variant of VARIANTS) {
    const load = loadavg()[0];
    const run = await exportFile(path, variant);
    const records = run.summary?.streams[0]?.records ?? 0;
    if (records !== histograms) throw new Error(`exported ${records} records, expected ${histograms}`);
    const r = {
      histograms,
      variant,
      csvMB: Math.round(mb),
      wallSeconds: Math.round(run.wallSeconds * 100) / 100,
      cpuSeconds: Math.round(run.cpuSeconds * 100) / 100,
      csvMBps: Math.round(mb / run.wallSeconds),
      peakRssMB: Math.round(run.peakRssMB),
      floorLinesSeconds: Math.round(floor.linesSeconds * 100) / 100,
      floorJsonSeconds: Math.round(floor.jsonSeconds * 100) / 100,
      ratioToJsonFloor: Math.round((run.wallSeconds / floor.jsonSeconds) * 100) / 100,
      ratioToLinesFloor: Math.round((run.wallSeconds / floor.linesSeconds) * 100) / 100,
      loadAverage: Math.round(load * 10) / 10,
    };
    results.push(r);
    process.stdout.write(
      `${histograms} histograms (${r.csvMB} MB), ${variant}: wall ${r.wallSeconds} s, CPU ${r.cpuSeconds} s, ${r.csvMBps} MB/s, peak RSS ${r.peakRssMB} MB; ` +
        `floors (1 thread): lines ${r.floorLinesSeconds} s, JSON.parse ${r.floorJsonSeconds} s; x${r.ratioToJsonFloor} of the JSON floor (load ${r.loadAverage})\n`,
    );
  }
  const [own, native, wasm] = (['own', 'native', 'wasm'] as const).map((v) =>
    results.find((r) => r.histograms === histograms && r.variant === v),
  );
  const ratio = (a: Record<string, unknown>, b: Record<string, unknown>, key: string): number =>
    Math.round(((a[key] as number) / (b[key] as number)) * 100) / 100;
  if (own && native)
    process.stdout.write(
      `  own writer / parquet-wasm (both native zstd): CPU x${ratio(own, native, 'cpuSeconds')}, ` +
        `wall x${ratio(own, native, 'wallSeconds')}, peak RSS x${ratio(own, native, 'peakRssMB')}\n`,
    );
  if (native && wasm)
    process.stdout.write(
      `  parquet-wasm native / wasm zstd: CPU x${ratio(native, wasm, 'cpuSeconds')}, wall x${ratio(native, wasm, 'wallSeconds')}\n`,
    );
}
/** The figures the goals are judged on: the first variant's (the default unless `--variant`). */
const small = results.find((r) => r.histograms === 30_000 && r.variant === VARIANTS[0]);
const large = results.find((r) => r.histograms === 150_000 && r.variant === VARIANTS[0]);
const summary = {
  bench: 'csv',
  results,
  pandasSeconds: PANDAS_SECONDS,
  speedupVsPandas: small ? Math.round((PANDAS_SECONDS / (small.wallSeconds as number)) * 100) / 100 : null,
  rssRatioBigToSmall:
    small && large ? Math.round(((large.peakRssMB as number) / (small.peakRssMB as number)) * 100) / 100 : null,
};
if (small)
  process.stdout.write(
    `0.5 GB file: x${summary.speedupVsPandas} of the pandas script's ${PANDAS_SECONDS} s (goal x4, 4.3 s)\n`,
  );
if (summary.rssRatioBigToSmall !== null)
  process.stdout.write(`peak RSS 2.5 GB / 0.5 GB: ${summary.rssRatioBigToSmall} (goal <= 1.1, both < 400 MB)\n`);
process.stdout.write(JSON.stringify(summary) + '\n');
