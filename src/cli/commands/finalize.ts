/**
 * `dqm-export finalize FILE`: after every shard of a sharded export has run, checks that all of them
 * completed the same plan and writes the dataset manifest and `_SUCCESS`; otherwise fails naming the
 * missing or incomplete shards (exit 1) and marks nothing complete.
 */
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { loadPipeline } from '../../config/index.js';
import { createLogger } from '../../log.js';
import { finalizePipeline, type FinalizeResult } from '../../dataset/finalize.js';
import { readPlanFile } from '../../pipeline/plan-file.js';
import { checkShardCount } from '../../pipeline/shards.js';
import { renderTable, type Column } from '../output/table.js';
import { numeric } from '../numbers.js';

interface FinalizeArgs {
  file: string;
  plan?: string;
  shards?: number;
  out?: string;
  verify: boolean;
  json: boolean;
  'log-level': 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
  exitCode?: number;
}

const FINALIZE_COLUMNS: Column<FinalizeResult>[] = [
  { header: 'stream', value: (r) => r.stream },
  { header: 'shards', value: (r) => String(r.shards), align: 'right' },
  { header: 'files', value: (r) => String(r.files), align: 'right' },
  { header: 'rows', value: (r) => String(r.rows), align: 'right' },
  { header: 'rejects', value: (r) => String(r.rejects), align: 'right' },
  { header: 'stray removed', value: (r) => String(r.removed), align: 'right' },
  { header: 'output', value: (r) => r.output, shrink: 'start' },
];

export const finalizeCommand: CommandModule<object, FinalizeArgs> = {
  command: 'finalize <file>',
  describe: 'Check that every shard of a sharded run finished, then write the dataset manifest and _SUCCESS',
  builder: (y: Argv) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'Pipeline file (YAML or JSON)' })
      .option('plan', { type: 'string', describe: 'The plan file the shards ran (checks its assignment too)' })
      .option('shards', {
        ...numeric('shards'),
        describe: 'Shard count, when the shards ran without a plan file (--shard I/N)',
      })
      .option('out', {
        type: 'string',
        describe: "Directory output paths resolve against (default: the pipeline file's directory)",
      })
      .option('verify', {
        type: 'boolean',
        default: false,
        describe: "Recompute every file's sha256 against the shard manifests",
      })
      .option('json', { type: 'boolean', default: false, describe: 'Print the result as one JSON line' })
      .option('log-level', {
        choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const,
        default: 'warn' as const,
        describe: 'Log level (stderr)',
      })
      .example([
        ['$0 finalize pipelines/pixel-2d.yaml --plan plan.json', 'after run --plan plan.json --shard 0..N-1'],
        ['$0 finalize pipelines/pixel-2d.yaml --shards 4 --verify', 'after run --shard I/4; re-hash every file'],
      ]) as unknown as Argv<FinalizeArgs>,
  handler: async (argv) => {
    const logger = createLogger({ level: argv['log-level'] });
    const loaded = await loadPipeline(argv.file);
    const plan = argv.plan
      ? await readPlanFile(argv.plan, { configHash: loaded.configHash, pipelineFile: argv.file })
      : undefined;
    const shards = argv.shards === undefined ? undefined : checkShardCount(argv.shards, '--shards');
    const results = await finalizePipeline(loaded, {
      outRoot: argv.out ? resolve(argv.out) : loaded.dir,
      plan,
      shards,
      verify: argv.verify,
      logger,
    });
    if (argv.json) {
      process.stdout.write(
        JSON.stringify({ event: 'finalized', pipeline: loaded.pipeline.name, streams: results }) + '\n',
      );
    } else {
      process.stdout.write(renderTable(FINALIZE_COLUMNS, results));
    }
    argv.exitCode = results.some((r) => r.rejects > 0) ? 3 : 0;
  },
};
