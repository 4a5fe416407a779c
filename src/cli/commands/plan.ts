/**
 * `dqm-export plan FILE`: what `run` would do, without writing any output: every stream's slices and,
 * from page 1 of each, the records, pages and bytes to expect. With `--shards N` the slices are
 * assigned to N shards (largest first) and `--write-plan` stores the plan for `run --plan --shard I`.
 */
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadPipeline } from '../../config/index.js';
import { createLogger } from '../../log.js';
import { makePlan, planTotals } from '../../pipeline/make-plan.js';
import { writePlanFile, type PlanFile } from '../../pipeline/plan-file.js';
import { ConfigError } from '../../errors.js';
import { checkShardCount } from '../../pipeline/shards.js';
import { openSource } from '../../pipeline/source.js';
import { renderTable, type Column } from '../output/table.js';
import { formatBytes } from '../ui/summary-table.js';
import { numeric } from '../numbers.js';

interface PlanArgs {
  file: string;
  shards?: number;
  'write-plan'?: string;
  probe: boolean;
  prepare: boolean;
  json: boolean;
  out?: string;
  concurrency?: number;
  'allow-insecure-http'?: boolean;
  'ca-file'?: string;
  'log-level': 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

function est(n: number, probed: boolean): string {
  return probed ? String(n) : '?';
}

type Totals = ReturnType<typeof planTotals>;
const right = 'right' as const;
const STREAM_COLUMNS: Column<{ name: string; endpoint: string; t: Totals }>[] = [
  { header: 'stream', value: (r) => r.name },
  { header: 'endpoint', value: (r) => r.endpoint },
  { header: 'slices', value: (r) => String(r.t.slices), align: right },
  { header: 'records', value: (r) => est(r.t.records, r.t.probed), align: right },
  { header: 'pages', value: (r) => est(r.t.pages, r.t.probed), align: right },
  { header: 'est. JSON', value: (r) => (r.t.probed ? formatBytes(r.t.bytes) : '?'), align: right },
];
const SHARD_COLUMNS: Column<{ shard: number; t: Totals }>[] = [
  { header: 'shard', value: (r) => String(r.shard), align: right },
  { header: 'slices', value: (r) => String(r.t.slices), align: right },
  { header: 'records', value: (r) => est(r.t.records, r.t.probed), align: right },
  { header: 'est. JSON', value: (r) => (r.t.probed ? formatBytes(r.t.bytes) : '?'), align: right },
];

/** The plan as text: one row per stream, then one per shard when sharded. */
export function planText(plan: PlanFile): string {
  const parts = [
    renderTable(
      STREAM_COLUMNS,
      plan.streams.map((s) => ({ name: s.name, endpoint: s.endpoint, t: planTotals(s.slices) })),
    ),
  ];
  if (plan.shards !== null) {
    const all = plan.streams.flatMap((s) => s.slices);
    const rows = Array.from({ length: plan.shards }, (_, shard) => ({
      shard,
      t: planTotals(all.filter((s) => s.shard === shard)),
    }));
    parts.push(renderTable(SHARD_COLUMNS, rows));
  }
  return parts.join('\n').trimEnd();
}

export const planCommand: CommandModule<object, PlanArgs> = {
  command: 'plan <file>',
  describe: 'Show the slices a run would export, with page-1 estimates; assign them to shards (nothing is written)',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'Pipeline file (YAML or JSON)' })
      .option('shards', {
        ...numeric('shards'),
        describe: 'Assign the slices to N shards, balanced by estimated bytes',
      })
      .option('write-plan', {
        type: 'string',
        describe: 'Write the plan to this JSON file (for run --plan FILE --shard I and finalize --plan)',
      })
      .option('probe', {
        type: 'boolean',
        default: true,
        describe: 'Fetch page 1 of every slice for estimates (--no-probe: slices only)',
      })
      .option('prepare', {
        type: 'boolean',
        default: false,
        describe: "Run the pipeline's prepare steps first (shards never run them)",
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print the plan as JSON instead of tables' })
      .option('out', {
        type: 'string',
        describe: 'Directory output paths resolve against (to read incremental cursors)',
      })
      .option('concurrency', {
        ...numeric('concurrency'),
        describe: 'Probe requests in flight (overrides source.concurrency)',
      })
      .option('allow-insecure-http', { type: 'boolean', describe: 'Allow plain http:// to a non-loopback host' })
      .option('ca-file', { type: 'string', describe: 'PEM file with extra CA certificates' })
      .option('log-level', {
        choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const,
        default: 'warn' as const,
        describe: 'Log level (stderr)',
      })
      .example([
        ['$0 plan pipelines/pixel-2d.yaml', 'slices, records, pages and bytes per stream'],
        [
          '$0 plan pipelines/pixel-2d.yaml --shards 8 --write-plan plan.json',
          'then: $0 run pipelines/pixel-2d.yaml --plan plan.json --shard I',
        ],
      ]) as unknown as Argv<PlanArgs>,
  handler: async (argv) => {
    const logger = createLogger({ level: argv['log-level'] });
    const loaded = await loadPipeline(argv.file, { allowInsecureHttp: argv['allow-insecure-http'] });
    const source = await openSource(loaded, {
      logger,
      concurrency: argv.concurrency,
      allowInsecureHttp: argv['allow-insecure-http'],
      caFile: argv['ca-file'],
    });
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    try {
      if (argv.prepare && loaded.pipeline.prepare?.length) {
        if (!source.prepare)
          throw new ConfigError(
            'E_PREPARE_UNSUPPORTED',
            `${loaded.file}: prepare steps need a dqm-playground source, not ${source.kind}`,
            { file: loaded.file },
          );
        await source.prepare(loaded.pipeline.prepare, { logger, signal: controller.signal });
      }
      const shards = argv.shards === undefined ? undefined : checkShardCount(argv.shards, '--shards');
      const plan = await makePlan(loaded, {
        source,
        outRoot: argv.out ? resolve(argv.out) : loaded.dir,
        shards,
        probe: argv.probe,
        signal: controller.signal,
      });
      if (argv['write-plan']) await writePlanFile(argv['write-plan'], plan);
      if (argv.json) process.stdout.write(JSON.stringify(plan, null, 2) + '\n');
      else {
        process.stdout.write(planText(plan) + '\n');
        if (argv['write-plan'])
          process.stdout.write(`plan written to ${argv['write-plan']} (plan hash ${plan.planHash.slice(0, 12)})\n`);
      }
    } finally {
      process.removeListener('SIGINT', onSignal);
      await source.close();
    }
  },
};
