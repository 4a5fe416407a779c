/**
 * `dqm-export convert FILE... --out DIR`: the ad-hoc dump of local ML4DQM CSV files, no pipeline
 * file. It is the pipeline an ml4dqm-csv source with the default layout and format would be, one
 * stream per dimensionality found in the files (`DIR/lumisection_histograms_1d`,
 * `DIR/lumisection_histograms_2d`), sliced and partitioned by run, each with its manifest. Everything
 * else (filters, layouts, dtypes, formats) stays available through pipeline files and `run`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { readMl4dqmCsv } from '../../csv/index.js';
import { ConfigError } from '../../errors.js';
import { expandFiles } from '../../sources/csv/csv-files.js';
import { executeRun, runOptions, type RunArgs } from './run.js';

/** Options of `convert`. */
interface ConvertArgs extends Omit<RunArgs, 'file' | 'log-level'> {
  files: string[];
  out?: string;
  /** Absent unless given: see `convertLogLevel`. */
  'log-level'?: RunArgs['log-level'];
}

/**
 * The log level of a convert: what `--log-level` says; else info when the logs go to `--log-file`
 * (asked for, and out of the way); else warn. An ad-hoc dump shows what `run` shows on a terminal
 * (the progress bar, then the summary) or, piped, the summary line, not a JSON log of every stream.
 */
export function convertLogLevel(args: Pick<ConvertArgs, 'log-level' | 'log-file'>): RunArgs['log-level'] {
  return args['log-level'] ?? (args['log-file'] ? 'info' : 'warn');
}

/** Dimensionalities of the files' first rows (a file whose first row is bad counts as both: the run reports it). */
async function dimensionsOf(files: readonly string[]): Promise<Array<1 | 2>> {
  const dims = new Set<1 | 2>();
  for (const file of files) {
    let found = false;
    try {
      for await (const row of readMl4dqmCsv(file, { onError: () => undefined })) {
        dims.add(row.dim);
        found = true;
        break;
      }
    } catch {
      // Unreadable or not ML4DQM: the run names the file and the reason.
    }
    if (!found) [1, 2].forEach((d) => dims.add(d as 1 | 2));
  }
  return [...dims].sort();
}

/** The pipeline `convert` runs, as JSON text (valid pipeline syntax). */
export function convertPipeline(files: readonly string[], dims: ReadonlyArray<1 | 2>): string {
  return JSON.stringify({
    version: 1,
    name: 'convert',
    source: { type: 'ml4dqm-csv', files },
    streams: dims.map((d) => {
      const endpoint = `lumisection_histograms_${d}d`;
      return { name: endpoint, endpoint, slice: { by: 'run' }, output: { path: endpoint, partition_by: ['run'] } };
    }),
  });
}

/**
 * The files `convert` reads: paths and globs (for when the shell did not expand them) relative to
 * `cwd`, expanded, sorted and deduplicated as a pipeline's `source.files` would be. Throws
 * ConfigError E_SOURCE_FILES naming the argument (a missing file, a glob matching nothing).
 */
export async function convertFiles(args: readonly string[], cwd: string): Promise<string[]> {
  const origin = { file: 'convert', dir: cwd };
  try {
    return await expandFiles(args, origin);
  } catch (err) {
    if (!(err instanceof ConfigError) || err.code !== 'E_SOURCE_FILES') throw err;
    // The pipeline wording ("source.files") means nothing here: name the argument.
    const message = err.message.replace(/^convert: source\.files: /, 'convert FILE...: ');
    throw new ConfigError('E_SOURCE_FILES', message, { field: 'files', path: err.context.path });
  }
}

/** A run's error in convert's terms: there is no pipeline file whose output.mode could be changed. */
function convertError(err: unknown, out: string): unknown {
  if (!(err instanceof ConfigError) || err.code !== 'E_OUTPUT_EXISTS') return err;
  return new ConfigError(
    'E_OUTPUT_EXISTS',
    `convert: --out ${out} already holds a dataset (${err.context.file ?? out}); choose an empty directory, remove it, or add --resume to finish an interrupted convert`,
    err.context,
  );
}

export const convertCommand: CommandModule<object, ConvertArgs> = {
  command: 'convert <files..>',
  describe: 'Export local ML4DQM CSV files to Parquet (default layout, partitioned by run), no pipeline file needed',
  builder: (y: Argv) =>
    runOptions(
      y.positional('files', { type: 'string', array: true, demandOption: true, describe: 'ML4DQM CSV files or globs' }),
      { logLevelHelp: 'Log level (default: warn; info with --log-file; info or debug to log each stream on stderr)' },
    )
      .demandOption('out')
      .example([
        [
          '$0 convert ZeroBias_2018A_DataFrame_2D_*.csv --out dataset',
          'DIR/lumisection_histograms_2d/run=N/part-*.parquet and its manifest',
        ],
        ['$0 convert big.csv --out dataset --resume', 'continue after a kill: committed files are not read again'],
      ]) as unknown as Argv<ConvertArgs>,
  handler: async (argv) => {
    const files = await convertFiles(argv.files, process.cwd());
    const dir = await mkdtemp(join(tmpdir(), 'dqm-export-convert-'));
    try {
      const pipeline = join(dir, 'convert.json');
      await writeFile(pipeline, convertPipeline(files, await dimensionsOf(files)));
      const out = resolve(argv.out!);
      const summary = await executeRun({ ...argv, file: pipeline, out, 'log-level': convertLogLevel(argv) }).catch(
        (err: unknown) => {
          throw convertError(err, out);
        },
      );
      argv.exitCode = summary.exitCode;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
