/**
 * dqm-export entry point: parses the command line with yargs, runs one command, and turns any error
 * into one clear line and an exit code (0 ok, 1 failed, 2 invalid config or usage, 3 rejects).
 * Stack traces only with --verbose.
 */
import { UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { commands } from './commands/index.js';
import { parseHistogramsListFast } from './commands/histograms-fast.js';
import { parseRunFast } from './fast-run.js';
import { isVerbose, reportFailure } from './failure.js';
import { numberFlagError } from './numbers.js';
import { prewarmsEncoder } from './prewarm.js';
import { type MainOptions, runMain } from './run-main.js';
import { explainUsageFailure } from './usage-hints.js';

export type { MainOptions } from './run-main.js';

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  // `run FILE [options]` in the plain forms fast-run.ts reads: run without yargs (run-main.ts; the
  // built CLI's bin.js loads that path's own bundle instead of this one).
  if (parseRunFast(argv)) return runMain(argv, options);
  let exitCode = 0;
  let prewarmed: { dropIdle: () => Promise<void> } | undefined;
  try {
    if (prewarmsEncoder(argv)) {
      // Most runs write Parquet: the encoder worker's ~0.2 s start overlaps loading the command and
      // its pipeline (`run` stops it when no stream needs it); the built CLI's bin.js started it even
      // earlier and the pool adopts that one. docs/decisions.md, "CLI start-up: the encoder worker
      // starts while the run plans" and "... warms up, and starts before the bundle loads".
      const { sharedEncoderPool } = await import('../load/parquet/encoder-pool.js');
      const pool = sharedEncoderPool();
      pool.prewarm();
      prewarmed = pool;
    }
    const list = parseHistogramsListFast(argv);
    if (list) {
      // As `run`: a plain `histograms list` line needs no yargs (commands/histograms-fast.ts).
      const { listHistograms } = await import('./commands/histograms.js');
      options.commandLoaded?.();
      await listHistograms(list);
      return typeof process.exitCode === 'number' ? process.exitCode : 0;
    }
    // Loaded here, not at the top: a plain `run` command line never needs it (see fast-run.ts).
    const { default: yargs } = await import('yargs');
    let parser = yargs(argv)
      .scriptName('dqm-export')
      .usage('$0 <command> [options]\n\nExport DQM Playground histograms to Parquet and Arrow datasets.')
      .option('verbose', {
        alias: 'v',
        type: 'boolean',
        default: false,
        describe: 'Show stack traces and debug detail on errors',
      })
      .version(VERSION)
      .strict()
      .demandCommand(1, 'Give a command; see --help.')
      .recommendCommands()
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((msg, err, context) => {
        if (err) throw numberFlagError(err) ?? err;
        // yargs passes its usage instance here: its help() is the help of the command in context.
        const help = (context as unknown as { help?: () => unknown }).help;
        const text = typeof help === 'function' ? String(help.call(context)) : undefined;
        throw new UsageError('E_USAGE', explainUsageFailure(msg ?? 'invalid usage; see --help', text, argv));
      })
      .epilogue('Exit codes: 0 success, 1 failed, 2 invalid config or usage, 3 finished with rejected records.');
    for (const command of commands) parser = parser.command(command);
    skipHelpCaching(parser);
    options.commandLoaded?.();
    const args = await parser.parseAsync();
    if (typeof args.exitCode === 'number') exitCode = args.exitCode;
    else if (typeof process.exitCode === 'number') exitCode = process.exitCode;
  } catch (err) {
    options.commandFailed?.();
    exitCode = reportFailure(err, isVerbose(argv));
    // A usage error never reached `run`: the worker started for it is not needed.
    await prewarmed?.dropIdle();
  }
  return exitCode;
}

/**
 * Before running a command's handler, yargs renders that command's whole help text and keeps it, in
 * case the handler fails and the help must be shown. Our `.fail()` throws instead, so that text is
 * never printed, and rendering it (string widths of every option and example) cost ~8 % of the CPU
 * of a 10,000-record `histograms list` (docs/decisions.md, "CLI start-up"). Help asked for with
 * --help is rendered as before. Reaches into yargs' internals, so only when they look as expected.
 */
function skipHelpCaching(parser: unknown): void {
  const internals = (
    parser as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } } }
  ).getInternalMethods?.();
  const usage = internals?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}
