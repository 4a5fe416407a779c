/**
 * The command registry: each command lives in its own module and is listed here once.
 * A command handler sets `argv.exitCode` (or throws a DqmExportError) instead of calling process.exit,
 * so open files and sockets are closed in order.
 *
 * Commands are registered lazily: the top-level help needs only each command's name and one-line
 * description, so a command's module (and what it imports: zod, pino, undici, apache-arrow...) is
 * loaded only when that command runs or its own help is shown. Start-up of any command loads one
 * command module instead of all (docs/decisions.md, "CLI start-up"). test/cli/commands-index.test.ts
 * checks that `command` and `describe` here match the modules'.
 */
import type { Argv, CommandModule } from 'yargs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<any, any>;

/** One registry entry: what the top-level help shows, and how to load the full command. */
export interface LazyCommandEntry {
  /** yargs command string, e.g. `run <file>` (must equal the module's). */
  command: string;
  /** One-line description (must equal the module's). */
  describe: string;
  /** Imports the command's module and returns its CommandModule. */
  load: () => Promise<AnyCommand>;
}

/** Every command, in help order. */
export const COMMAND_ENTRIES: readonly LazyCommandEntry[] = [
  { command: 'runs', describe: 'Runs known to the server', load: async () => (await import('./runs.js')).runsCommand },
  {
    command: 'lumisections',
    describe: 'Lumisections known to the server',
    load: async () => (await import('./lumisections.js')).lumisectionsCommand,
  },
  {
    command: 'histograms',
    describe: 'Per-lumisection 1D and 2D histograms',
    load: async () => (await import('./histograms.js')).histogramsCommand,
  },
  {
    command: 'files',
    describe: 'Histogram data files on the server: list, parse, wait, discover',
    load: async () => (await import('./files.js')).filesCommand,
  },
  {
    command: 'dials',
    describe: 'DIALS listings: runs, lumisections, th1/th2 histograms, MEs, datasets, files (list with filters)',
    load: async () => (await import('./dials.js')).dialsCommand,
  },
  {
    command: 'validate <files..>',
    describe:
      'Check pipeline files: schema, filter names, ${VAR} interpolation, CSV files, token/CA files, output dirs (no network)',
    load: async () => (await import('./validate.js')).validateCommand,
  },
  {
    command: 'schema',
    describe: 'Print the JSON Schema of pipeline files (e.g. for yaml-language-server)',
    load: async () => (await import('./schema.js')).schemaCommand,
  },
  {
    command: 'serve',
    describe: 'Run a local DQM Playground-compatible server (sample data, faults, synthetic data)',
    load: async () => (await import('./serve.js')).serveCommand,
  },
  {
    command: 'plan <file>',
    describe: 'Show the slices a run would export, with page-1 estimates; assign them to shards (nothing is written)',
    load: async () => (await import('./plan.js')).planCommand,
  },
  {
    command: 'run <file>',
    describe: 'Export the streams of a pipeline file to Parquet / Arrow',
    load: async () => (await import('./run.js')).runCommand,
  },
  {
    command: 'convert <files..>',
    describe: 'Export local ML4DQM CSV files to Parquet (default layout, partitioned by run), no pipeline file needed',
    load: async () => (await import('./convert.js')).convertCommand,
  },
  {
    command: 'finalize <file>',
    describe: 'Check that every shard of a sharded run finished, then write the dataset manifest and _SUCCESS',
    load: async () => (await import('./finalize.js')).finalizeCommand,
  },
  {
    command: 'demo',
    describe: 'Run pipelines/demo.yaml against the embedded server on the bundled sample data',
    load: async () => (await import('./demo.js')).demoCommand,
  },
  {
    command: 'inspect <datasets..>',
    describe:
      'Check a dataset (records, shapes, provenance, empty/NaN/negative/missing/duplicate histograms); --html for a report',
    load: async () => (await import('./inspect.js')).inspectCommand,
  },
  {
    command: 'login <service>',
    describe: 'Log in to DIALS with the device flow and keep the tokens for later exports',
    load: async () => (await import('./login.js')).loginCommand,
  },
  {
    command: 'logout <service>',
    describe: 'Delete the stored DIALS tokens',
    load: async () => (await import('./login.js')).logoutCommand,
  },
];

/**
 * A yargs command that shows `entry`'s name and description and loads the real module only when
 * yargs runs its builder (the command was chosen, or its help asked for). yargs awaits a builder
 * that returns a promise.
 */
export function lazyCommand(entry: LazyCommandEntry): AnyCommand {
  let loaded: Promise<AnyCommand> | undefined;
  const load = () => (loaded ??= entry.load());
  return {
    command: entry.command,
    describe: entry.describe,
    builder: async (y: Argv) => {
      const { builder } = await load();
      if (typeof builder === 'function') return builder(y);
      return builder ? y.options(builder) : y;
    },
    handler: async (argv) => {
      await (await load()).handler(argv);
    },
  };
}

/** The registry as yargs command modules. */
export const commands: AnyCommand[] = COMMAND_ENTRIES.map(lazyCommand);
