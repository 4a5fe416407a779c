/**
 * Peak RSS and time of `dqm-export inspect --html` (the whole child process) on two synthetic 72 x 56
 * 2D datasets, the larger with `factor` times the records (default nested float64 Parquet, slice by
 * run). Goal: bounded memory, i.e. peak RSS of the large over the small at most 1.3 (each Parquet row
 * group is read alone, and the statistics are per bin, not per record). The time per record of
 * both is printed as a ratio (two passes over the files; ~1 when inspect scales linearly).
 *
 * Run: `npm run build && node dist/bench/inspect.js [--quick]` (quick: 500 vs 2,000 records, a smoke
 * test: start-up dominates at those sizes). Prints a table, then one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pad, round3, runCli, startServe, writePipeline } from './cli-child.js';

const LS = 250; // x 2 titles: 500 records per run
const GOAL_RATIO = 1.3;

/** One dataset size. */
interface InspectRow {
  records: number;
  datasetMB: number;
  peakRssMB: number;
  wallSeconds: number;
  usPerRecord: number;
}

async function measure(records: number): Promise<InspectRow> {
  const synthetic = `runs=${records / (2 * LS)},ls=${LS},titles=2,dim=2,x=56,y=72`;
  const dir = mkdtempSync(join(tmpdir(), 'dqm-bench-inspect-'));
  const server = await startServe(synthetic);
  try {
    const out = join(dir, 'out');
    const exported = await runCli(
      [
        'run',
        writePipeline(dir, server.url, { format: 'parquet', compression: 'zstd', layout: 'nested' }),
        '--out',
        out,
        '--no-progress',
      ],
      {
        DQM_PLAYGROUND_TOKEN: server.token,
      },
    );
    const stream = exported.summary!.streams[0]!;
    if (stream.records !== records)
      throw new Error(`bench inspect: exported ${stream.records} records, expected ${records}`);
    const run = await runCli(['inspect', join(out, 'h2d'), '--html', join(dir, 'report.html'), '--json']);
    return {
      records,
      datasetMB: stream.bytes / 1e6,
      peakRssMB: run.peakRssMB,
      wallSeconds: run.wallSeconds,
      usPerRecord: (run.wallSeconds * 1e6) / records,
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark and prints a table plus one JSON line. */
export async function runInspectBench(quick: boolean): Promise<void> {
  const sizes = quick ? [500, 2000] : [2000, 20_000];
  const rows: InspectRow[] = [];
  for (const n of sizes) rows.push(await measure(n));
  const [small, large] = [rows[0]!, rows[rows.length - 1]!];
  const rssRatio = large.peakRssMB / small.peakRssMB;
  const timePerRecordRatio = large.usPerRecord / small.usPerRecord;
  const met = quick ? null : rssRatio <= GOAL_RATIO;
  process.stdout.write(
    [
      `inspect: peak RSS and wall time of \`inspect --html --json\` on nested float64 Parquet 72 x 56 datasets${quick ? ' (quick: sizes too small for the goal to mean much)' : ''}`,
      ' records   dataset MB   peak RSS MB   wall s   us/record',
      ...rows.map(
        (r) =>
          `${pad(r.records, 8)} ${pad(r.datasetMB.toFixed(1), 12)} ${pad(Math.round(r.peakRssMB), 13)} ${pad(r.wallSeconds.toFixed(1), 8)} ${pad(Math.round(r.usPerRecord), 11)}`,
      ),
      `peak RSS ${large.records} / ${small.records}: ${rssRatio.toFixed(2)} (goal <= ${GOAL_RATIO}): ${met === null ? 'not judged (quick sizes)' : met ? 'met' : 'NOT met'}; time per record ratio ${timePerRecordRatio.toFixed(2)}`,
    ].join('\n') + '\n',
  );
  const rounded = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round3(v)])));
  process.stdout.write(
    JSON.stringify({
      bench: 'inspect',
      quick,
      rows: rounded,
      rssRatio: round3(rssRatio),
      timePerRecordRatio: round3(timePerRecordRatio),
      goalRatio: GOAL_RATIO,
      met,
    }) + '\n',
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runInspectBench(process.argv.includes('--quick')).catch((err) => {
    process.stderr.write(`bench inspect failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
