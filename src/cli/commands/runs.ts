/** `dqm-export runs list`: the runs the server knows, filtered server-side. */
import type { Argv, CommandModule } from 'yargs';
import { withClient, withConnectionOptions, type ConnectionArgs } from '../connection.js';
import { runView } from '../output/views.js';
import { pagedSource, runList, withListOptions, type ListArgs } from '../query/list.js';

const list: CommandModule<object, ConnectionArgs & ListArgs> = {
  command: 'list',
  describe: 'List runs (ordered by run number)',
  builder: (y: Argv) =>
    withListOptions(withConnectionOptions(y), 'runs').example([
      ['$0 runs list', 'the first 50 runs, as a table on a terminal'],
      ['$0 runs list --all --format csv > runs.csv', 'every run as CSV'],
      ['$0 runs list -f run_number=315705', 'one run'],
      ['$0 runs list --url prod', 'against the production server'],
    ]),
  handler: (argv) => withClient(argv, (client) => runList('runs', pagedSource(client, 'runs'), runView, argv)),
};

/** The `runs` command group. */
export const runsCommand: CommandModule = {
  command: 'runs',
  describe: 'Runs known to the server',
  builder: (y: Argv) => y.command(list).demandCommand(1, 'Give a runs command: list'),
  handler: () => {},
};
