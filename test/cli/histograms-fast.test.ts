/**
 * `histograms list` read without yargs (src/cli/commands/histograms-fast.ts): for every command line
 * it accepts, the handler's arguments equal what yargs gives the list handler; the rest is left to
 * yargs.
 */
import { describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import { histogramsCommand } from '../../src/cli/commands/histograms.js';
import { parseHistogramsListFast } from '../../src/cli/commands/histograms-fast.js';

/** What the list handler hands on: the connection's and the listing's arguments. */
const captured: { args?: Record<string, unknown> } = {};

vi.mock('../../src/cli/connection.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/cli/connection.js')>()),
  withClient: (args: Record<string, unknown>) => {
    captured.args = args;
    return Promise.resolve();
  },
}));

/** The options the list handler reads (listHistograms, openClient, runList). */
const READ = [
  'dim',
  'all',
  'limit',
  'format',
  'filter',
  'url',
  'tokenFile',
  'caFile',
  'allowInsecureHttp',
  'retries',
  'concurrency',
  'token',
] as const;

function pick(args: object): Record<string, unknown> {
  const a = args as Record<string, unknown>;
  return Object.fromEntries(READ.map((k) => [k, a[k]]));
}

/** What yargs, set up as src/cli/main.ts does, hands the list handler (or the error it fails with). */
async function viaYargs(argv: string[]): Promise<Record<string, unknown> | Error> {
  captured.args = undefined;
  try {
    await yargs(argv)
      .option('verbose', { alias: 'v', type: 'boolean', default: false })
      .strict()
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .command(histogramsCommand)
      .parseAsync();
  } catch (err) {
    return err as Error;
  }
  return captured.args ? pick(captured.args) : new Error('handler not run');
}

/** Command lines a user or a script types. */
const ACCEPTED: string[][] = [
  ['histograms', 'list', '--dim', '1'],
  [
    'histograms',
    'list',
    '--dim',
    '1',
    '--all',
    '--format',
    'jsonl',
    '--url',
    'http://127.0.0.1:9',
    '--concurrency',
    '16',
  ],
  ['histograms', 'list', '--dim=2', '--limit', '5', '--format=csv'],
  ['histograms', 'list', '--all', '--dim', '2', '-f', 'title=a', '--filter', 'lumisection__run__run_number=315705'],
  ['histograms', 'list', '--dim', '1', '--filter=entries__gte=10', '-v'],
  ['histograms', 'list', '--dim', '1', '--token-file', 't.txt', '--ca-file', 'ca.pem', '--allow-insecure-http'],
  ['histograms', 'list', '--dim', '1', '--retries', '0', '--no-all', '--url', 'prod'],
  ['histograms', 'list', '--dim', '1', '--no-allow-insecure-http', '--verbose', '--concurrency', '016'],
  ['histograms', 'list', '--dim', '2', '--format', 'table', '--limit', '1'],
  ['histograms', 'list', '--dim', '1', '--url', 'true'],
];

/** Left to yargs: help, errors, forms with yargs-specific rules. */
const LEFT_TO_YARGS: string[][] = [
  ['histograms', 'list'],
  ['histograms', 'list', '--help'],
  ['histograms', 'get', '--dim', '1', '5'],
  ['histograms', 'list', '--dim', '3'],
  ['histograms', 'list', '--dim', '1', '--limit', '5', '--all'],
  ['histograms', 'list', '--dim', '1', '--format', 'yaml'],
  ['histograms', 'list', '--dim', '1', '--format', 'json', '--format', 'csv'],
  ['histograms', 'list', '--dim', '1', '-f', 'title=a', 'title=b'],
  ['histograms', 'list', '--dim', '1', '--filter'],
  ['histograms', 'list', '--dim', '1', '--token', 'secret'],
  ['histograms', 'list', '--dim', '1', '--all=false'],
  ['histograms', 'list', '--dim', '1', '--all', 'true'],
  ['histograms', 'list', '--dim', '1', '--concurrency', 'abc'],
  ['histograms', 'list', '--dim', '1', '--concurrency', '-1'],
  ['histograms', 'list', '--dim', '1', '--url', ''],
  ['histograms', 'list', '--dim', '1', 'extra'],
  ['histograms', 'list', '--dim', '1', '-vf', 'title=a'],
  ['histograms', 'list', '--dim', '1', '-v', '--verbose'],
  ['histograms', 'list', '--dim', '1', '--', '--all'],
  ['histograms', 'list', '--dim', '1', '--bogus'],
  ['--verbose', 'histograms', 'list', '--dim', '1'],
];

describe('parseHistogramsListFast', () => {
  it.each(ACCEPTED.map((a) => [a.join(' '), a]))('%s: the arguments yargs gives the handler', async (_, argv) => {
    const fast = parseHistogramsListFast(argv);
    expect(fast).toBeDefined();
    expect(pick(fast!)).toEqual(await viaYargs(argv));
  });

  it.each(LEFT_TO_YARGS.map((a) => [a.join(' '), a]))('%s: left to yargs', (_, argv) => {
    expect(parseHistogramsListFast(argv)).toBeUndefined();
  });
});
