/**
 * `bench/dials.ts`: a DIALS th2 export (72 x 56 bins, 50 ms per page) against `serve --api dials`, at
 * dqm-export's default settings, against a dials-py-style baseline in the same run: one cursor walk at
 * the server's default page size (what `list_all` does without a page_size), page after page, every
 * record kept in memory, then a DataFrame-like materialisation (one object per record, columns built).
 * Each side runs in its own child process so peak RSS is its own. Prints the ratio, both peak RSS
 * figures, both CPU times and one JSON line.
 *
 * Default size: 4,000 records (40 runs x 50 lumisections x 2 MEs, ~80 MB of JSON), the scale of one
 * ME pair over a fill's worth of runs, where the baseline's 400 sequential pages cost 20 s of
 * latency alone and slices side by side pay. `--runs R --ls L --titles T` change it; `--quick`
 * (4 x 10 x 2) is a smoke run where start-up dominates.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOKEN = 'bench-token';

/** The dials-py way: `list_all` then `pd.DataFrame([r.__dict__ for r in results])`. */
async function baseline(url: string): Promise<number> {
  const all: Record<string, unknown>[] = [];
  let next: string | null = `${url}/api/v1/th2/`;
  while (next) {
    const res: Response = await fetch(next, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await res.json()) as { next: string | null; results: Record<string, unknown>[] };
    all.push(...body.results);
    // dials-py follows `next` as given (here the Host is ours, so it is reachable).
    next = body.next;
  }
  const columns: Record<string, unknown[]> = {};
  for (const key of Object.keys(all[0] ?? {})) columns[key] = all.map((r) => ({ ...r })[key]);
  return columns.data?.length ?? 0;
}

/** dqm-export at its defaults: slices by run, side by side, th2 pages of 100, Parquet out. */
async function exportRun(url: string): Promise<number> {
  // Imported here, not at the top: the baseline's child must not load (nor count the memory of) dqm-export.
  const [{ loadPipeline }, { silentLogger }, { runPipeline }] = await Promise.all([
    import('../src/config/index.js'),
    import('../src/log.js'),
    import('../src/pipeline/run-pipeline.js'),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'bench-dials-'));
  try {
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      `version: 1\nname: bench\nsource: {type: dials, url: '${url}', token: ${TOKEN}}\nstreams:\n  - name: th2\n    endpoint: th2\n    output: {path: th2}\n`,
    );
    const summary = await runPipeline(await loadPipeline(file, { env: {} }), {
      logger: silentLogger,
      outDir: dir,
      env: {},
    });
    return summary.streams[0].records;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function child(mode: string, url: string): Promise<void> {
  const started = performance.now();
  const records = mode === 'baseline' ? await baseline(url) : await exportRun(url);
  const seconds = (performance.now() - started) / 1000;
  const usage = process.resourceUsage();
  const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
  process.stdout.write(JSON.stringify({ mode, records, seconds, cpuSeconds, maxRssMb: usage.maxRSS / 1024 }) + '\n');
}

/** Runs one side in a child process (asynchronously: the server lives in this process's event loop). */
interface Side {
  records: number;
  seconds: number;
  /** User + system CPU of the child: under load, wall time says more about the machine than the code. */
  cpuSeconds: number;
  maxRssMb: number;
}

function runChild(mode: string, url: string): Promise<Side> {
  const c = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, url], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    c.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!) as Side)
        : reject(new Error(`bench/dials ${mode} failed: ${err}`)),
    ),
  );
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--child');
  if (i >= 0) return child(process.argv[i + 1], process.argv[i + 2]);
  const quick = process.argv.includes('--quick');
  const arg = (name: string, fallback: number): number => {
    const at = process.argv.indexOf(name);
    return at >= 0 ? Number(process.argv[at + 1]) : fallback;
  };
  const runs = arg('--runs', quick ? 4 : 40);
  const ls = arg('--ls', quick ? 10 : 50);
  const titles = arg('--titles', 2);
  const { startServer } = await import('../src/server/index.js');
  const server = await startServer({
    api: 'dials',
    port: 0,
    dialsToken: TOKEN,
    latencyMs: 50,
    synthetic: `runs=${runs},ls=${ls},titles=${titles},dim=2,x=72,y=56`,
  });
  try {
    const base = await runChild('baseline', server.url);
    const ours = await runChild('export', server.url);
    if (base.records !== ours.records)
      throw new Error(`record counts differ: baseline ${base.records}, export ${ours.records}`);
    const ratio = base.seconds / ours.seconds;
    const side = (s: Side): string =>
      `${s.seconds.toFixed(2)} s (CPU ${s.cpuSeconds.toFixed(2)} s, peak RSS ${s.maxRssMb.toFixed(0)} MB)`;
    process.stdout.write(
      `DIALS th2 72x56, ${ours.records} records over ${runs} runs, 50 ms/page: baseline ${side(base)}, ` +
        `dqm-export ${side(ours)}: ${ratio.toFixed(1)}x faster (load average ${loadavg()[0].toFixed(1)})\n`,
    );
    process.stdout.write(
      JSON.stringify({
        bench: 'dials',
        quick,
        records: ours.records,
        runs,
        baselineSeconds: base.seconds,
        exportSeconds: ours.seconds,
        baselineCpuSeconds: base.cpuSeconds,
        exportCpuSeconds: ours.cpuSeconds,
        ratio,
        loadAverage: loadavg()[0],
        baselineRssMb: base.maxRssMb,
        exportRssMb: ours.maxRssMb,
      }) + '\n',
    );
  } finally {
    await server.close();
  }
}

await main();
