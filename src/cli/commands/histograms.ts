/**
 * `dqm-export histograms list|get|delete --dim 1|2`: the per-lumisection 1D and 2D histograms.
 * Tables summarise 2D bins (shape, sum); json, jsonl and csv carry every bin.
 */
import pLimit from 'p-limit';
import type { Argv, CommandModule } from 'yargs';
import { DqmExportError, ServerError, UsageError } from '../../errors.js';
import type { DqmClient } from '../../extract/types.js';
import { withClient, withConnectionOptions, type ConnectionArgs } from '../connection.js';
import { resolveOutputFormat } from '../output/format.js';
import { histogram1dView, histogram2dView, type RecordView } from '../output/views.js';
import { stopQuietlyWhenStdoutCloses } from '../output/closed-pipe.js';
import { createRecordWriter } from '../output/writer.js';
import { confirmAction } from '../prompt.js';
import { pagedSource, runList, withFormatOption, withListOptions, type ListArgs } from '../query/list.js';
import { numeric } from '../numbers.js';

interface DimArgs {
  dim: 1 | 2;
}

const viewOf = (dim: 1 | 2) => (dim === 1 ? histogram1dView : histogram2dView) as RecordView<object>;

function withDim<T>(y: Argv<T>): Argv<T & DimArgs> {
  return y.option('dim', {
    ...numeric('dim'),
    choices: [1, 2],
    demandOption: true,
    requiresArg: true,
    describe: 'Histogram dimensionality: 1 or 2',
  }) as unknown as Argv<T & DimArgs>;
}

/** Checks histogram ids given on the command line: positive integers. */
function checkIds(ids: readonly unknown[]): number[] {
  return ids.map((id) => {
    const n = Number(id);
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError('E_USAGE_ID', `histogram ids are positive integers, got ${JSON.stringify(String(id))}`);
    return n;
  });
}

const list: CommandModule<object, ConnectionArgs & ListArgs & DimArgs> = {
  command: 'list',
  describe: 'List 1D or 2D lumisection histograms (the server returns them in no particular order)',
  builder: (y: Argv) =>
    // Filter names are long: each example is a comment line and a command line, full width.
    withListOptions(
      withDim(withConnectionOptions(y)),
      'lumisection_histograms_1d',
      'the histogram lists (1D and 2D)',
    ).example([
      ['# the 1D histograms of run 315705, as a table on a terminal', ''],
      ['$0 histograms list --dim 1 -f lumisection__run__run_number=315705', ''],
      ['# every 2D histogram of one title with all bins (JSON lines when piped)', ''],
      ['$0 histograms list --dim 2 --all -f title=clusterposition_zphi_ontrack_PXLayer_1', ''],
      ['# every 1D histogram of two runs', ''],
      ['$0 histograms list --dim 1 --all -f lumisection__run__run_number__in=315705,315713', ''],
    ]),
  handler: (argv) => listHistograms(argv),
};

/**
 * `histograms list`'s work, for its yargs handler and for the command lines main.ts reads without
 * yargs (histograms-fast.ts).
 */
export function listHistograms(argv: ConnectionArgs & ListArgs & DimArgs): Promise<void> {
  return withClient(argv, (client) =>
    argv.dim === 1
      ? runList('lumisection_histograms_1d', pagedSource(client, 'lumisection_histograms_1d'), histogram1dView, argv)
      : runList('lumisection_histograms_2d', pagedSource(client, 'lumisection_histograms_2d'), histogram2dView, argv),
  );
}

interface GetArgs extends ConnectionArgs, DimArgs {
  id: number;
  format?: string;
}

const get: CommandModule<object, GetArgs> = {
  command: 'get <id>',
  describe: 'Show one histogram, every bin included (json, jsonl, csv) or summarised (table)',
  builder: (y: Argv) =>
    withFormatOption(withDim(withConnectionOptions(y)))
      .positional('id', { describe: 'Histogram id' })
      .example([
        ['$0 histograms get --dim 2 1 --format json', 'the first 2D histogram with its 72 x 56 bins'],
        ['$0 histograms get --dim 1 5', 'a summary line of 1D histogram 5'],
      ]) as unknown as Argv<GetArgs>,
  handler: async (argv) => {
    const [id] = checkIds([argv.id]);
    const format = resolveOutputFormat(argv.format, Boolean(process.stdout.isTTY));
    await withClient(argv, async (client) => {
      const record = await client.getHistogram(argv.dim, id).catch((err: unknown) => {
        throw statusOf(err) === 404 ? notFound(argv.dim, id, err as DqmExportError) : err;
      });
      stopQuietlyWhenStdoutCloses();
      const writer = createRecordWriter({
        format,
        view: viewOf(argv.dim),
        out: process.stdout,
        maxWidth: process.stdout.columns,
        single: true,
      });
      writer.write([record]);
      writer.end();
    });
  },
};

function notFound(dim: 1 | 2, id: number, err: DqmExportError): ServerError {
  const where = [err.context.method, err.context.url].filter((p) => typeof p === 'string').join(' ') || 'the server';
  return new ServerError('E_NOT_FOUND', `no ${dim}D histogram with id ${id} (HTTP 404 from ${where})`, err.context, {
    cause: err,
  });
}

function statusOf(err: unknown): number | undefined {
  return err instanceof DqmExportError && typeof err.context.status === 'number' ? err.context.status : undefined;
}

/** What happened to one id of `histograms delete`. */
export interface DeleteOutcome {
  /** Histogram id. */
  id: number;
  /** `not found`: a 404 (already deleted, or never existed); `forbidden`: a 403. */
  outcome: 'deleted' | 'not found' | 'forbidden' | 'failed';
  /** The error message, for `forbidden` and `failed`. */
  message?: string;
}

/**
 * Deletes each id (a few at a time) and reports its outcome. A 401 stops everything (every other id
 * would fail the same way); 404 and 403 are per-id outcomes.
 */
export async function deleteHistograms(
  client: DqmClient,
  dim: 1 | 2,
  ids: readonly number[],
  concurrency: number,
): Promise<DeleteOutcome[]> {
  const limit = pLimit(concurrency);
  return Promise.all(
    ids.map((id) =>
      limit(async (): Promise<DeleteOutcome> => {
        try {
          await client.deleteHistogram(dim, id);
          return { id, outcome: 'deleted' };
        } catch (err) {
          const status = statusOf(err);
          if (status === 401) throw err;
          if (status === 404) return { id, outcome: 'not found' };
          if (status === 403) return { id, outcome: 'forbidden', message: (err as Error).message };
          return { id, outcome: 'failed', message: err instanceof Error ? err.message : String(err) };
        }
      }),
    ),
  );
}

interface DeleteArgs extends ConnectionArgs, DimArgs {
  ids: number[];
  yes?: boolean;
  exitCode?: number;
}

const del: CommandModule<object, DeleteArgs> = {
  command: 'delete <ids..>',
  describe: 'Delete histograms by id (asks for confirmation on a terminal; --yes otherwise)',
  builder: (y: Argv) =>
    withDim(withConnectionOptions(y))
      .positional('ids', { array: true, describe: 'Histogram ids' })
      .option('yes', {
        alias: 'y',
        type: 'boolean',
        describe: 'Do not ask for confirmation (required without a terminal)',
      })
      .example([
        ['$0 histograms delete --dim 1 248 249', 'asks, then deletes two 1D histograms'],
        ['$0 histograms delete --dim 2 --yes 17', 'in a script: no question'],
      ]) as unknown as Argv<DeleteArgs>,
  handler: async (argv) => {
    const ids = [...new Set(checkIds(argv.ids))];
    const what = `${ids.length} ${argv.dim}D histogram${ids.length === 1 ? '' : 's'} (id${ids.length === 1 ? '' : 's'} ${ids.join(', ')})`;
    if (!(await confirmAction(`delete ${what}`, { yes: Boolean(argv.yes) }))) {
      process.stderr.write('nothing deleted\n');
      argv.exitCode = 1;
      return;
    }
    await withClient(argv, async (client) => {
      const outcomes = await deleteHistograms(client, argv.dim, ids, argv.concurrency ?? 8);
      for (const o of outcomes) {
        process.stdout.write(
          `${o.outcome === 'deleted' ? 'deleted' : o.outcome}: ${argv.dim}D histogram ${o.id}${o.message ? ` (${o.message})` : ''}\n`,
        );
      }
      const failed = outcomes.filter((o) => o.outcome !== 'deleted').length;
      process.stderr.write(`${outcomes.length - failed} deleted, ${failed} failed\n`);
      argv.exitCode = failed > 0 ? 1 : 0;
    });
  },
};

/** The `histograms` command group. */
export const histogramsCommand: CommandModule = {
  command: 'histograms',
  describe: 'Per-lumisection 1D and 2D histograms',
  builder: (y: Argv) =>
    y.command(list).command(get).command(del).demandCommand(1, 'Give a histograms command: list, get, delete'),
  handler: () => {},
};
