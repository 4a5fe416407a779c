/**
 * `run FILE [options]` as read by fast-run.ts, without yargs: the entry of the built CLI's second
 * bundle, dist/src/cli/bundle/run.cjs, which bin.js loads instead of cli.cjs for such a command line,
 * and what main.ts runs for one (tsc's output, or a build without run.cjs). That bundle holds `run`'s
 * module graph only (no yargs, no other command, no server, no inspect): fewer bytes to read and less
 * code cache to deserialise before the first request (docs/decisions.md, "CLI start-up: `run` has a
 * bundle of its own"). Only one of the two bundles ever loads in a process, so no module exists twice.
 */
import type { ArgumentsCamelCase } from 'yargs';
import type { RunArgs } from './commands/run.js';
import { parseRunFast } from './fast-run.js';
import { isVerbose, reportFailure } from './failure.js';
import { prewarmsEncoder } from './prewarm.js';

/** What the caller of `main` (or `runMain`) wants to know. */
export interface MainOptions {
  /**
   * Called once the command's modules are loaded, before its handler runs (for `run FILE` read
   * without yargs), or before yargs runs the command: bin.ts then sets the command's V8 flags, which
   * would have made Node compile its internal modules without their code cache had they been set
   * earlier (src/cli/code-cache.ts).
   */
  commandLoaded?: () => void;
  /**
   * Called when the command ends in an error (reported on stderr): bin.ts then makes no code cache,
   * which would hold only the path to the failure and be kept for every later start-up
   * (docs/decisions.md, "CLI start-up: no code cache from a command that failed").
   */
  commandFailed?: () => void;
}

/**
 * Runs `argv`, a command line `parseRunFast` reads (the caller checked), as yargs would run it: the
 * same handler, the same exit code, errors reported as main.ts reports them.
 */
export async function runMain(argv: string[], options: MainOptions = {}): Promise<number> {
  let prewarmed: { dropIdle: () => Promise<void> } | undefined;
  try {
    const args = parseRunFast(argv);
    if (!args) throw new Error(`runMain: not a command line of run's fast path: ${argv.join(' ')}`);
    // Most runs write Parquet: the encoder worker's ~0.2 s start overlaps loading the command and its
    // pipeline (`run` stops it when no stream needs it); the built CLI's bin.js started it even
    // earlier and the pool adopts that one. docs/decisions.md, "CLI start-up: the encoder worker
    // starts while the run plans" and "... warms up, and starts before the bundle loads".
    if (prewarmsEncoder(argv)) {
      const { sharedEncoderPool } = await import('../load/parquet/encoder-pool.js');
      const pool = sharedEncoderPool();
      pool.prewarm();
      prewarmed = pool;
    }
    const { runCommand } = await import('./commands/run.js');
    performance.mark('dqm-export:run command loaded'); // a phase of bench/startup.ts
    options.commandLoaded?.();
    // A run of an HTTP source: undici's parser compiles on V8's threads while the pipeline loads.
    if (prewarmed) (await import('../extract/http/parser-precompile.js')).precompileHttpParser();
    await runCommand.handler(args as ArgumentsCamelCase<RunArgs>);
    if (typeof args.exitCode === 'number') return args.exitCode;
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    options.commandFailed?.();
    const exitCode = reportFailure(err, isVerbose(argv));
    // A run that failed before its first stream: the worker started for it is not needed.
    await prewarmed?.dropIdle();
    return exitCode;
  }
}
