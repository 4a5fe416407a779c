/**
 * `dqm-export run FILE`: exports every stream of a pipeline. A progress bar and a summary table on a
 * terminal; otherwise pino JSON logs on stderr (or --log-file) and the summary as one JSON line.
 */
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadPipeline, type LoadedPipeline } from '../../config/index.js';
import type { Source } from '../../sources/source.js';
import { createLogger, type Logger } from '../../log.js';
import { rangeText, SETTINGS } from '../../settings.js';
import { checkSettingFlag } from '../connection.js';
import { numeric } from '../numbers.js';
import { makePlan, planTotals } from '../../pipeline/make-plan.js';
import { estimateRunRecords } from '../../pipeline/plan-estimate.js';
import { readPlanFile, type PlanFile } from '../../pipeline/plan-file.js';
import { runPipeline } from '../../pipeline/run-pipeline.js';
import { resolveShard, type ShardIndex, type ShardIndexSource } from '../../pipeline/shards.js';
import { openSource } from '../../pipeline/source.js';
import type { RunSummary } from '../../pipeline/summary.js';
import { sharedEncoderPool } from '../../load/parquet/encoder-pool.js';
import { silentProgress, terminalProgress } from '../ui/progress.js';
import { summaryJsonLine, summaryTable } from '../ui/summary-table.js';

/** Options of `run` (and `demo`, which shares the execution). */
export interface RunArgs {
  file: string;
  resume: boolean;
  concurrency?: number;
  out?: string;
  'log-level': 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  'log-file'?: string;
  progress: boolean;
  'allow-insecure-http'?: boolean;
  'ca-file'?: string;
  plan?: string;
  shard?: string;
  shards?: number;
  exitCode?: number;
}

/** Runs a pipeline file with the CLI's display conventions; returns the summary. */
export async function executeRun(
  args: RunArgs,
  env: Record<string, string | undefined> = process.env,
): Promise<RunSummary> {
  checkSettingFlag('--concurrency', args.concurrency, SETTINGS.concurrency);
  const tty = Boolean(process.stderr.isTTY) && !env.CI;
  const interactive = tty && args.progress;
  const logger = createLogger({
    level: interactive && !args['log-file'] ? 'warn' : args['log-level'],
    file: args['log-file'],
  });
  sharedEncoderPool().setLogger(logger); // made before this logger: the workers' lines (native zstd not loaded)
  const loaded = await loadPipeline(args.file, { env, allowInsecureHttp: args['allow-insecure-http'] }).catch(
    async (err: unknown) => {
      await sharedEncoderPool().dropIdle(); // a worker main.ts started for this run: not needed now
      throw err;
    },
  );
  performance.mark('dqm-export:pipeline loaded'); // a phase of bench/startup.ts
  if (usesSharedEncoder(loaded)) sharedEncoderPool().prewarm();
  else await sharedEncoderPool().dropIdle();
  const plan = args.plan
    ? await readPlanFile(args.plan, { configHash: loaded.configHash, pipelineFile: args.file })
    : undefined;
  const shard = resolveShard({ shard: args.shard, shards: args.shards, planShards: plan?.shards, env });
  if (shard) logger.info({ shard: shard.index, shards: shard.count }, 'running one shard');
  const progress = interactive ? await terminalProgress() : silentProgress;
  const state = { records: 0, pages: 0, bytesIn: 0 };
  // Only a terminal shows the bar, so only there is the plan probed for its totals.
  const initialTotal = interactive ? await plannedRecords(loaded, { args, env, logger, plan, shard }) : 0;
  progress.setTotal(initialTotal);
  // CSV streams count their records from a fast scan as each stream starts; used when no plan total was probed.
  let scannedRecords = 0;
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const summary = await runPipeline(loaded, {
      outDir: args.out,
      resume: args.resume,
      concurrency: args.concurrency,
      allowInsecureHttp: args['allow-insecure-http'],
      caFile: args['ca-file'],
      plan,
      shard,
      logger,
      env,
      signal: controller.signal,
      onRecordsPlanned: (records) => {
        scannedRecords += records;
        if (initialTotal === 0) progress.setTotal(scannedRecords);
      },
      onProgress: (d) => {
        state.records += d.records;
        state.pages += d.pages;
        state.bytesIn += d.bytes;
        progress.update(state);
      },
    });
    progress.setTotal(state.records); // done: the bar ends full whatever the plan said
    progress.stop();
    if (shard) {
      const note = shardNote(shard, summary);
      if (note) process.stderr.write(note + '\n');
    }
    if (interactive || process.stdout.isTTY) {
      process.stdout.write(summaryTable(summary) + '\n');
      for (const s of summary.streams) process.stdout.write(`${s.stream}: ${s.output}\n`);
    } else {
      process.stdout.write(summaryJsonLine(summary) + '\n');
    }
    return summary;
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSignal);
  }
}

/**
 * Whether the run will encode Parquet in the process-wide encoder pool: a Parquet output of an HTTP
 * source (CSV sources keep a pool of their own). Its worker then starts while the run plans and
 * fetches the first page, instead of after them (docs/decisions.md, "CLI start-up: the encoder worker
 * starts while the run plans").
 */
export function usesSharedEncoder(loaded: LoadedPipeline): boolean {
  const { pipeline } = loaded;
  return pipeline.source.type !== 'ml4dqm-csv' && pipeline.streams.some((s) => s.output.format === 'parquet');
}

/**
 * A line for a shard that had nothing to do, naming where its index came from: a rerun task given
 * the wrong index (a shifted array id, a typo in `--shard`) otherwise exits 0 with no sign of it.
 */
export function shardNote(shard: ShardIndex & { from: ShardIndexSource }, summary: RunSummary): string | undefined {
  const planned = summary.streams.reduce((n, s) => n + s.slices, 0);
  if (!summary.streams.every((s) => s.slicesSkipped === s.slices)) return undefined;
  const origin = shard.from === '--shard' ? `--shard ${shard.index}` : `${shard.from}=${shard.index}`;
  if (planned === 0) return `shard ${shard.index} of ${shard.count} (${origin}) has no slices assigned: nothing to do`;
  return `shard ${shard.index} of ${shard.count} (${origin}) was already complete (${planned} slices committed by an earlier run): nothing to do`;
}

/** How a command that shares `run`'s options differs from it. */
export interface RunOptionsOf {
  /**
   * `--log-level` when not given: `run` logs at info (a batch job's record); `convert`, an ad-hoc
   * dump, passes undefined and picks the level itself (see `convertLogLevel`).
   */
  logLevel?: RunArgs['log-level'];
  /** Help text of `--log-level`. */
  logLevelHelp?: string;
}

/** Shared yargs options of `run` (and `demo`, `convert`). */
export function runOptions<T>(y: Argv<T>, o: RunOptionsOf = { logLevel: 'info' }) {
  return y
    .option('resume', {
      type: 'boolean',
      default: false,
      describe: 'Continue an interrupted run: skip committed slices, discard partial files',
    })
    .option('concurrency', {
      ...numeric('concurrency'),
      describe: `Requests in flight, ${rangeText(SETTINGS.concurrency)} (overrides source.concurrency)`,
    })
    .option('out', {
      type: 'string',
      describe: "Directory that output paths resolve against (default: the pipeline file's directory)",
    })
    .option('log-level', {
      choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const,
      default: o.logLevel,
      describe: o.logLevelHelp ?? 'Log level',
    })
    .option('log-file', { type: 'string', describe: 'Write JSON logs to this file instead of stderr' })
    .option('progress', {
      type: 'boolean',
      default: true,
      describe: 'Progress bar on a terminal (--no-progress to disable)',
    })
    .option('allow-insecure-http', {
      type: 'boolean',
      describe: 'Allow plain http:// to a non-loopback host (the token travels unencrypted)',
    })
    .option('ca-file', {
      type: 'string',
      describe: 'PEM file with extra CA certificates (a site CA); overrides source.ca_file',
    });
}

/** yargs options of `run` for plans and shards (not `demo`'s: it runs the demo pipeline whole). */
export function shardOptions<T>(y: Argv<T>) {
  return y
    .option('plan', {
      type: 'string',
      describe: 'Run the slices of this plan file (from plan --write-plan) instead of planning',
    })
    .option('shard', {
      type: 'string',
      describe:
        'Run one shard: I with --plan or --shards, or I/N (0-based; default from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID)',
    })
    .option('shards', {
      ...numeric('shards'),
      describe: 'Shard count without a plan file (slices assigned by a hash of their key)',
    });
}

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run <file>',
  describe: 'Export the streams of a pipeline file to Parquet / Arrow',
  builder: (y: Argv) =>
    shardOptions(
      runOptions(
        y.positional('file', { type: 'string', demandOption: true, describe: 'Pipeline file (YAML or JSON)' }),
      ),
    ).example([
      ['DQM_PLAYGROUND_TOKEN=... $0 run pipelines/pixel-2d.yaml', 'export to the paths in the file'],
      ['$0 run pipelines/demo.yaml --resume', 'continue after a crash; the result equals an uninterrupted run'],
      [
        '$0 run pipelines/pixel-2d.yaml --plan plan.json --shard 3',
        'run shard 3 of a plan; then: $0 finalize pipelines/pixel-2d.yaml --plan plan.json',
      ],
    ]) as unknown as Argv<RunArgs>,
  handler: async (argv) => {
    const summary = await executeRun(argv);
    argv.exitCode = summary.exitCode;
  },
};

/**
 * Records the run will fetch, for the progress bar: a plan file's estimates (this shard's slices);
 * for CSV files, their scans, as `plan` does; else page 1 of a sample of each stream's slices (at most
 * two rounds of requests), the rest extrapolated (src/pipeline/plan-estimate.ts). 0 (unknown) when a
 * probe fails: the run itself then reports the problem.
 */
async function plannedRecords(
  loaded: LoadedPipeline,
  o: { args: RunArgs; env: Record<string, string | undefined>; logger: Logger; plan?: PlanFile; shard?: ShardIndex },
): Promise<number> {
  if (o.plan) {
    const mine = o.plan.streams
      .flatMap((s) => s.slices)
      .filter((s) => !o.shard || o.plan!.shards === null || s.shard === o.shard.index);
    return planTotals(mine).records;
  }
  if (o.shard) return 0; // hash-assigned shards: the share is known only while planning the run
  let source: Source | undefined;
  try {
    source = await openSource(loaded, {
      logger: o.logger,
      env: o.env,
      concurrency: o.args.concurrency,
      allowInsecureHttp: o.args['allow-insecure-http'],
      caFile: o.args['ca-file'],
    });
    const outRoot = o.args.out ? resolve(o.args.out) : loaded.dir;
    if (!source.csv) return await estimateRunRecords(loaded, source, { outRoot, sample: 2 * source.concurrency });
    return planTotals((await makePlan(loaded, { source, outRoot })).streams.flatMap((s) => s.slices)).records;
  } catch {
    return 0;
  } finally {
    await source?.close();
  }
}
