/** `dqm-export lumisections list`: lumisections (run, LS number), filtered server-side. */
import type { Argv, CommandModule } from 'yargs';
import { withClient, withConnectionOptions, type ConnectionArgs } from '../connection.js';
import { lumisectionView } from '../output/views.js';
import { pagedSource, runList, withListOptions, type ListArgs } from '../query/list.js';

const list: CommandModule<object, ConnectionArgs & ListArgs> = {
  command: 'list',
  describe: 'List lumisections (ordered by run, then LS number)',
  builder: (y: Argv) =>
    withListOptions(withConnectionOptions(y), 'lumisections').example([
      ['$0 lumisections list -f run=315705', 'the lumisections of run 315705'],
      ['$0 lumisections list --all | wc -l', 'count every lumisection'],
    ]),
  handler: (argv) =>
    withClient(argv, (client) => runList('lumisections', pagedSource(client, 'lumisections'), lumisectionView, argv)),
};

/** The `lumisections` command group. */
export const lumisectionsCommand: CommandModule = {
  command: 'lumisections',
  describe: 'Lumisections known to the server',
  builder: (y: Argv) => y.command(list).demandCommand(1, 'Give a lumisections command: list'),
  handler: () => {},
};
