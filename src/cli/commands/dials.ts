/**
 * `dqm-export dials <records> list`: the seed-style listings against DIALS, read as today's DQM
 * Playground ones with `dials` in front (`runs list` -> `dials runs list`). The record groups are
 * named as a person says them and also answer to the endpoint names a pipeline's `endpoint:` uses
 * (`dials run list`, `dials file-index list`); histograms are `th1` and `th2`, as in DIALS and
 * dials-py. Filters are DIALS' own names (docs/decisions.md, "DIALS listing commands").
 */
import type { Argv, CommandModule } from 'yargs';
import { DIALS_FILTERS, type DialsEndpoint } from '../../dials.js';
import { withDialsClient, withDialsConnectionOptions, type DialsConnectionArgs } from '../dials/connection.js';
import { planDialsList, runDialsList, withDialsListOptions, type DialsListArgs } from '../dials/list.js';
import { DIALS_VIEWS } from '../output/dials-views.js';
import { describeFilters } from '../query/list.js';

/** One record group: `dials <name> list`. */
interface RecordGroup {
  /** Command name. */
  name: string;
  /** Other names (the DIALS endpoint's, when it differs). */
  aliases: string[];
  endpoint: DialsEndpoint;
  /** What the group lists, for help. */
  describe: string;
  /** `list --help` examples: [command, what it does]. */
  examples: [string, string][];
}

const GROUPS: readonly RecordGroup[] = [
  {
    name: 'runs',
    aliases: ['run'],
    endpoint: 'run',
    describe: 'Runs per dataset, with their lumisection count (run/)',
    examples: [
      ['$0 dials runs list', "the server's first page, as a table on a terminal"],
      ['$0 dials runs list --all -f dataset__regex=ZeroBias --format csv > runs.csv', 'every ZeroBias run as CSV'],
      ['$0 dials runs list -f run_number__gte=380000 --workspace csc', 'runs from 380000 on in the csc workspace'],
    ],
  },
  {
    name: 'lumisections',
    aliases: ['lumisection'],
    endpoint: 'lumisection',
    describe: 'Lumisections per dataset and run, with their th1/th2 counts (lumisection/)',
    examples: [
      ['$0 dials lumisections list -f run_number=380000 -f dataset_id=14677060', 'the lumisections of one run'],
      ['$0 dials lumisections list --all -f run_number=380000 | wc -l', 'count them (JSON lines when piped)'],
    ],
  },
  {
    name: 'th1',
    aliases: [],
    endpoint: 'th1',
    describe: 'Per-lumisection 1D histograms (th1/)',
    examples: [
      ['$0 dials th1 list -f run_number=380000 -f me__regex=PXLayer_1', 'a table: shapes and entries, no bins'],
      ['$0 dials th1 list --all -f dataset_id=14677060 -f me=PixelPhase1/Tracks/PXBarrel/charge_PXLayer_1', ''],
      ['', 'every record of one ME with its bins, as JSON lines'],
    ],
  },
  {
    name: 'th2',
    aliases: [],
    endpoint: 'th2',
    describe: 'Per-lumisection 2D histograms (th2/; data is y-outer, data[iy][ix])',
    examples: [
      ['$0 dials th2 list -f run_number=380002 -f ls_number=10', 'the 2D histograms of one lumisection'],
      ['$0 dials th2 list --limit 1 --format json', 'one record with its y_bin x x_bin bins'],
    ],
  },
  {
    name: 'mes',
    aliases: [],
    endpoint: 'mes',
    describe: 'Monitoring elements with their record counts (mes/: one list, no pages)',
    examples: [
      ['$0 dials mes list', 'every monitoring element of the workspace'],
      ['$0 dials mes list -f dim=2 -f me__regex=PXBarrel', 'the 2D MEs of the barrel'],
    ],
  },
  {
    name: 'datasets',
    aliases: ['dataset-index'],
    endpoint: 'dataset-index',
    describe: 'Datasets (dataset-index/)',
    examples: [['$0 dials datasets list -f dataset__regex=Express', 'the Express datasets']],
  },
  {
    name: 'files',
    aliases: ['file-index'],
    endpoint: 'file-index',
    describe: 'DQMIO files with their ingestion status (file-index/)',
    examples: [
      ['$0 dials files list -f status=FINISHED --all', 'every ingested file'],
      ['$0 dials files list -f logical_file_name__regex=/380/00[24]/', 'files of runs 380002 and 380004'],
    ],
  },
];

type ListCommandArgs = DialsConnectionArgs & DialsListArgs;

function listCommand(group: RecordGroup): CommandModule<object, ListCommandArgs> {
  const label = `dials ${group.name} list`;
  const view = DIALS_VIEWS[group.endpoint];
  return {
    command: 'list',
    describe: `List ${group.describe.charAt(0).toLowerCase()}${group.describe.slice(1)}`,
    builder: (y: Argv) =>
      withDialsListOptions(
        withDialsConnectionOptions(y),
        group.endpoint,
        describeFilters(DIALS_FILTERS[group.endpoint], `Filters of ${group.endpoint}/`),
      ).example(group.examples),
    handler: async (argv) => {
      const plan = planDialsList(group.endpoint, view, argv, label, Boolean(process.stdout.isTTY));
      await withDialsClient(argv, (client) => runDialsList(client, plan, view));
    },
  };
}

function groupCommand(group: RecordGroup): CommandModule {
  return {
    command: group.name,
    aliases: group.aliases,
    describe: group.describe,
    builder: (y: Argv) => y.command(listCommand(group)).demandCommand(1, `Give a dials ${group.name} command: list`),
    handler: () => {},
  };
}

/** The `dials` command group. */
export const dialsCommand: CommandModule = {
  command: 'dials',
  describe: 'DIALS listings: runs, lumisections, th1/th2 histograms, MEs, datasets, files (list with filters)',
  builder: (y: Argv) => {
    let parser = y.usage(
      '$0 dials <records> list [filters] [options]\n\nList records of DIALS (https://cmsdials-api.web.cern.ch): credentials from `dqm-export login dials`, DIALS_TOKEN or --token-file.',
    );
    for (const group of GROUPS) parser = parser.command(groupCommand(group));
    return parser.demandCommand(1, `Give what to list: ${GROUPS.map((g) => g.name).join(', ')}`);
  },
  handler: () => {},
};
