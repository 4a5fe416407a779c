/**
 * `run` read without yargs (src/cli/fast-run.ts): for every command line it accepts, the handler's
 * arguments equal what yargs gives `run`'s handler; the rest is left to yargs.
 */
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { runCommand, type RunArgs } from '../../src/cli/commands/run.js';
import { parseRunFast } from '../../src/cli/fast-run.js';

/** The options `run`'s handler reads (executeRun). */
const READ: readonly (keyof RunArgs)[] = [
  'file',
  'resume',
  'concurrency',
  'out',
  'log-level',
  'log-file',
  'progress',
  'allow-insecure-http',
  'ca-file',
  'plan',
  'shard',
  'shards',
];

function pick(args: object): Record<string, unknown> {
  const a = args as Record<string, unknown>;
  return Object.fromEntries(READ.map((k) => [k, a[k]]));
}

/** What yargs, set up as src/cli/main.ts does, hands `run`'s handler (or the error it fails with). */
async function viaYargs(argv: string[]): Promise<Record<string, unknown> | Error> {
  let got: Record<string, unknown> | undefined;
  try {
    await yargs(argv)
      .option('verbose', { alias: 'v', type: 'boolean', default: false })
      .strict()
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .command({ ...runCommand, handler: (a) => void (got = pick(a)) })
      .parseAsync();
  } catch (err) {
    return err as Error;
  }
  return got ?? new Error('handler not run');
}

/** Command lines a user or a batch job types. */
const ACCEPTED: string[][] = [
  ['run', 'p.yaml'],
  ['run', 'dir/p.yaml', '--resume'],
  ['run', '--resume', 'p.yaml'],
  ['run', 'p.yaml', '--no-progress', '--log-level', 'warn', '--concurrency', '16', '--out', '/tmp/o'],
  ['run', 'p.yaml', '--out=/tmp/a=b', '--concurrency=4', '--log-level=debug'],
  ['run', 'p.yaml', '--log-file', 'l.json', '--ca-file', 'ca.pem', '--allow-insecure-http'],
  ['run', 'p.yaml', '--plan', 'plan.json', '--shard', '3'],
  ['run', 'p.yaml', '--shard', '3/8'],
  ['run', 'p.yaml', '--shards', '4', '--no-resume'],
  ['run', 'p.yaml', '--progress', '-v'],
  ['run', 'p.yaml', '--verbose', '--concurrency', '0'],
  ['run', 'p.yaml', '--concurrency', '016'],
  ['run', 'p.yaml', '--no-allow-insecure-http'],
  ['run', '123', '--out', '456'],
  ['run', 'p.yaml', '--out', 'true'],
];

/** Left to yargs: help, errors, forms with yargs-specific rules. */
const LEFT_TO_YARGS: string[][] = [
  ['run'],
  ['run', '--help'],
  ['run', 'p.yaml', '-h'],
  ['--verbose', 'run', 'p.yaml'],
  ['runs'],
  ['run', 'a.yaml', 'b.yaml'],
  ['run', 'p.yaml', '--bogus'],
  ['run', 'p.yaml', '--logLevel', 'warn'],
  ['run', 'p.yaml', '--concurrency', 'abc'],
  ['run', 'p.yaml', '--concurrency', '1e1'],
  ['run', 'p.yaml', '--concurrency', '-1'],
  ['run', 'p.yaml', '--concurrency'],
  ['run', 'p.yaml', '--concurrency', '2', '--concurrency', '4'],
  ['run', 'p.yaml', '--log-level', 'loud'],
  ['run', 'p.yaml', '--out', ''],
  ['run', 'p.yaml', '--out=-x'],
  ['run', 'p.yaml', '--resume=false'],
  ['run', 'p.yaml', '--resume', 'true'],
  ['run', 'p.yaml', '--progress', 'false'],
  ['run', 'p.yaml', '--', '--out'],
  ['run', 'p.yaml', '-vv'],
  ['run', 'p.yaml', '-v', '--verbose'],
  ['run', 'p.yaml', '--no-out'],
];

describe('parseRunFast', () => {
  it.each(ACCEPTED.map((a) => [a.join(' '), a]))('%s: the arguments yargs gives the handler', async (_, argv) => {
    const fast = parseRunFast(argv);
    expect(fast).toBeDefined();
    expect(pick(fast!)).toEqual(await viaYargs(argv));
  });

  it.each(LEFT_TO_YARGS.map((a) => [a.join(' '), a]))('%s: left to yargs', (_, argv) => {
    expect(parseRunFast(argv)).toBeUndefined();
  });
});
