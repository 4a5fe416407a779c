/**
 * `dqm-export files list|parse|wait|discover`: the server's histogram data files and their parsing.
 * Data file reads always bust the server's 60 s per-URL cache, so progress is never stale.
 */
import type { Argv, CommandModule } from 'yargs';
import { AuthError, DqmExportError, UsageError } from '../../errors.js';
import type { HistogramDataFile } from '../../domain.js';
import type { DqmClient } from '../../extract/types.js';
import { withClient, withConnectionOptions, type ConnectionArgs } from '../connection.js';
import { parseFile, waitForFile, type FileSelector, type WaitSettings } from '../files/parse.js';
import { dataFileView } from '../output/views.js';
import { runList, withListOptions, type ListArgs, type RecordSource } from '../query/list.js';
import { numeric } from '../numbers.js';

/** Every data file matching the filters, fresh; the list is short, so the limit is applied here. */
function freshFiles(client: DqmClient): RecordSource<HistogramDataFile> {
  return async (filters, limit, onBatch) => {
    const all = await client.listDataFiles(filters, { bustCache: true });
    onBatch(limit === undefined ? all : all.slice(0, limit));
    return { total: all.length };
  };
}

const list: CommandModule<object, ConnectionArgs & ListArgs> = {
  command: 'list',
  describe: 'List histogram data files: path, era, contents, parsing progress',
  builder: (y: Argv) =>
    withListOptions(withConnectionOptions(y), 'histogram_data_files').example([
      ['$0 files list', 'every file with its progress'],
      ['$0 files list -f processing_complete=false', 'files not parsed yet'],
      ['$0 files list -f filepath__contains=2D', 'the files whose path contains 2D'],
    ]),
  handler: (argv) =>
    withClient(argv, (client) => runList('histogram_data_files', freshFiles(client), dataFileView, argv)),
};

interface WaitFlags {
  timeout: number;
  interval: number;
  stall: number;
}

function withWaitOptions<T>(y: Argv<T>): Argv<T & WaitFlags> {
  return y
    .option('timeout', { ...numeric('timeout'), default: 1800, requiresArg: true, describe: 'Give up after S seconds' })
    .option('stall', {
      ...numeric('stall'),
      default: 120,
      requiresArg: true,
      describe: 'Give up when no entry was processed for S seconds',
    })
    .option('interval', {
      ...numeric('interval'),
      default: 2,
      requiresArg: true,
      describe: 'Seconds between polls',
    }) as unknown as Argv<T & WaitFlags>;
}

function waitSettings(args: WaitFlags): WaitSettings {
  for (const flag of ['timeout', 'stall', 'interval'] as const) {
    if (!(Number.isFinite(args[flag]) && args[flag] > 0)) {
      throw new UsageError(
        'E_USAGE_NUMBER',
        `--${flag} expects a positive number of seconds, got ${String(args[flag])}`,
      );
    }
  }
  return { timeoutMs: args.timeout * 1000, stallMs: args.stall * 1000, pollMs: args.interval * 1000 };
}

function checkId(id: unknown): number {
  const n = Number(id);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError('E_USAGE_ID', `data file ids are positive integers, got ${JSON.stringify(String(id))}`);
  return n;
}

interface ParseArgs extends ConnectionArgs, WaitFlags {
  id?: number;
  pathContains?: string;
  granularity: 'lum' | 'run';
  dim: 1 | 2;
  'file-format'?: 'csv' | 'root';
  /** Old spelling of --file-format (deprecated: --format is the output format everywhere else). */
  format?: 'csv' | 'root';
  wait?: boolean;
  force?: boolean;
}

const parse: CommandModule<object, ParseArgs> = {
  command: 'parse [id]',
  describe: 'Start parsing a data file into histograms (checked first: see below)',
  builder: (y: Argv) =>
    withWaitOptions(withConnectionOptions(y))
      .positional('id', { describe: 'Data file id (or use --path-contains)' })
      .option('path-contains', {
        type: 'string',
        requiresArg: true,
        describe: 'Select the one file whose path contains TEXT',
      })
      .option('granularity', {
        choices: ['lum', 'run'],
        default: 'lum',
        describe: 'Histograms per lumisection (lum) or per run (run: not implemented by the server)',
      })
      .option('dim', {
        ...numeric('dim'),
        choices: [1, 2],
        demandOption: true,
        requiresArg: true,
        describe: 'Histogram dimensionality: 1 or 2',
      })
      .option('file-format', {
        choices: ['csv', 'root'],
        describe: 'File format the server reads the file as (default csv)',
      })
      .option('format', { choices: ['csv', 'root'], hidden: true, describe: 'Deprecated spelling of --file-format' })
      .option('wait', { type: 'boolean', describe: 'Follow the progress until the file is parsed' })
      .option('force', {
        type: 'boolean',
        describe: 'Send even when a pre-check refuses (name/format mismatch, in progress, granularity run)',
      })
      .example([
        ['$0 files parse 3 --dim 2 --wait', 'parse file 3 as 2D histograms, follow it'],
        ['$0 files parse --dim 2 --path-contains 2D', 'select the file by path'],
      ])
      .epilogue(
        'Checked before sending: granularity run is refused (the server answers 500); a file already parsed as asked is ' +
          'reported and left alone (exit 0), one parsed otherwise is refused (the server answers 400); a file name that says ' +
          '_1D_/_2D_ or .csv/.root must match --dim/--file-format, because the server accepts a mismatch and its parser thread ' +
          'then fails silently, leaving the file at 0 %. --force sends anyway, except for a file already parsed.',
      ) as unknown as Argv<ParseArgs>,
  handler: async (argv) => {
    const selector = selectorOf(argv);
    const settings = argv.wait ? waitSettings(argv) : undefined;
    const fileFormat = fileFormatOf(argv);
    await withClient(argv, (client) =>
      parseFile(
        client,
        selector,
        { granularity: argv.granularity, dim: argv.dim, fileFormat },
        { force: Boolean(argv.force), wait: settings, stderr: process.stderr },
      ),
    );
  },
};

/** --file-format (default csv), or the old --format with a deprecation note on stderr. */
function fileFormatOf(argv: ParseArgs): 'csv' | 'root' {
  if (argv.format === undefined) return argv['file-format'] ?? 'csv';
  if (argv['file-format'] !== undefined)
    throw new UsageError('E_USAGE_FILE_FORMAT', 'give --file-format only (--format is its deprecated spelling)');
  process.stderr.write(
    'note: files parse --format is deprecated (--format is the output format of the other commands); use --file-format\n',
  );
  return argv.format;
}

function selectorOf(argv: ParseArgs): FileSelector {
  if (argv.id !== undefined && argv.pathContains !== undefined) {
    throw new UsageError('E_USAGE_FILE', 'give a data file id or --path-contains, not both');
  }
  if (argv.id !== undefined) return { id: checkId(argv.id) };
  if (argv.pathContains) return { pathContains: argv.pathContains };
  throw new UsageError('E_USAGE_FILE', 'give a data file id or --path-contains TEXT');
}

interface WaitArgs extends ConnectionArgs, WaitFlags {
  id: number;
}

const wait: CommandModule<object, WaitArgs> = {
  command: 'wait <id>',
  describe: 'Wait until a data file is parsed (progress bar on a terminal, log lines otherwise)',
  builder: (y: Argv) =>
    withWaitOptions(withConnectionOptions(y))
      .positional('id', { describe: 'Data file id' })
      .example([
        ['$0 files wait 3', 'until file 3 is at 100 %'],
        ['$0 files wait 3 --timeout 60 --interval 1', 'give up after a minute'],
      ]) as unknown as Argv<WaitArgs>,
  handler: async (argv) => {
    const id = checkId(argv.id);
    const settings = waitSettings(argv);
    await withClient(argv, (client) => waitForFile(client, id, settings, process.stderr));
  },
};

interface DiscoverArgs extends ConnectionArgs, WaitFlags {
  wait?: boolean;
}

const discover: CommandModule<object, DiscoverArgs> = {
  command: 'discover',
  describe: "Register new data files from the server's storage (admin token needed)",
  builder: (y: Argv) =>
    withWaitOptions(withConnectionOptions(y))
      .option('wait', {
        type: 'boolean',
        describe: 'Wait until the file list stops growing, then report the new files',
      })
      .example([['$0 files discover --wait', 'register new files and list them']]) as unknown as Argv<DiscoverArgs>,
  handler: async (argv) => {
    const settings = argv.wait ? waitSettings(argv) : undefined;
    await withClient(argv, (client) => discoverFiles(client, settings));
  },
};

/**
 * Starts discovery; with `settings`, polls the (fresh) list until two polls in a row agree, and
 * reports the files that were not there before.
 */
async function discoverFiles(client: DqmClient, settings: WaitSettings | undefined): Promise<void> {
  const before = settings ? await client.listDataFiles({}, { bustCache: true }) : [];
  try {
    await client.discover();
  } catch (err) {
    if (err instanceof DqmExportError && err.context.status === 403) {
      throw new AuthError(
        'E_AUTH_FORBIDDEN',
        `discover needs an admin token: the server refused it for this token (HTTP 403)`,
        err.context,
        { cause: err },
      );
    }
    throw err;
  }
  if (!settings) {
    process.stderr.write('discovery started; dqm-export files list shows the files once registered\n');
    return;
  }
  const known = new Set(before.map((f) => f.id));
  const deadline = Date.now() + settings.timeoutMs;
  let previous = -1;
  let current: HistogramDataFile[];
  for (;;) {
    current = await client.listDataFiles({}, { bustCache: true });
    if (current.length === previous) break;
    previous = current.length;
    if (Date.now() + settings.pollMs > deadline) break;
    await new Promise((r) => setTimeout(r, settings.pollMs));
  }
  const added = current.filter((f) => !known.has(f.id));
  for (const f of added) process.stdout.write(`${f.id}\t${f.filepath}\n`);
  process.stderr.write(
    `discovered ${added.length} new data file${added.length === 1 ? '' : 's'} (${current.length} in total)\n`,
  );
}

/** The `files` command group. */
export const filesCommand: CommandModule = {
  command: 'files',
  describe: 'Histogram data files on the server: list, parse, wait, discover',
  builder: (y: Argv) =>
    y
      .command(list)
      .command(parse)
      .command(wait)
      .command(discover)
      .demandCommand(1, 'Give a files command: list, parse, wait, discover'),
  handler: () => {},
};
