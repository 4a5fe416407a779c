/**
 * How the CLI reports a command that failed: one line on stderr (with --verbose, the context and the
 * stack), and the exit code for the error's kind. Shared by main.ts and run-main.ts, the entries of
 * the two bundles, so a `run` reports its errors the same whichever bundle ran it.
 */
import { type DqmExportError, exitCodeFor, formatErrorLine, toDqmError } from '../errors.js';
import { redact } from '../secrets.js';
import { numberFlagError } from './numbers.js';

/** Whether the command line asks for stack traces (`--verbose` / `-v`). */
export function isVerbose(argv: readonly string[]): boolean {
  return argv.includes('--verbose') || argv.includes('-v');
}

/** Writes `err` to stderr as the CLI reports failures and returns the exit code for it. */
export function reportFailure(err: unknown, verbose: boolean): number {
  // A numeric flag's coerce error can also leave yargs without passing .fail() (as a bare YError).
  const e: DqmExportError = toDqmError((err instanceof Error && numberFlagError(err)) || err);
  process.stderr.write(formatErrorLine(e) + '\n');
  if (verbose) {
    const ctx = Object.keys(e.context).length ? JSON.stringify(e.context) : '';
    if (ctx) process.stderr.write(redact(ctx) + '\n');
    process.stderr.write(redact(String((e.cause instanceof Error ? e.cause.stack : undefined) ?? e.stack)) + '\n');
  }
  return exitCodeFor(e);
}
