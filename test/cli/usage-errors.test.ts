/**
 * Usage errors on every command: a numeric flag or id quotes what was typed (never `NaN`), an
 * unknown option gets a did-you-mean from that command's own options, a missing positional is
 * named with the usage line, a value outside an option's choices is named with the valid ones on one
 * line; all exit 2.
 */
import { describe, expect, it } from 'vitest';
import { numberFlagError, parseNumberFlag } from '../../src/cli/numbers.js';
import { explainInvalidChoices, explainUsageFailure, flagsOf } from '../../src/cli/usage-hints.js';
import { runCli } from './harness.js';

const NO_SERVER = { DQM_PLAYGROUND_URL: 'http://127.0.0.1:9', DQM_PLAYGROUND_TOKEN: 'tok-usage-0123456789' };

describe('numbers from the command line', () => {
  it('parseNumberFlag keeps numbers and quotes text that is none', () => {
    expect(parseNumberFlag('port', '8080')).toBe(8080);
    expect(parseNumberFlag('fail-rate', '0.25')).toBe(0.25);
    expect(parseNumberFlag('port', 3)).toBe(3);
    expect(() => parseNumberFlag('port', 'abc')).toThrow('--port expects a number, got "abc"');
    expect(() => parseNumberFlag('port', '')).toThrow('--port expects a number, got ""');
    expect(numberFlagError(new Error('--port expects a number, got "abc"'))?.code).toBe('E_USAGE_NUMBER');
    expect(numberFlagError(new Error('something else'))).toBeNull();
  });

  // Every numeric flag and id of every command, given text.
  const cases: Array<[string[], string]> = [
    [['runs', 'list', '--limit', 'abc'], '--limit expects a number, got "abc"'],
    [['runs', 'list', '--concurrency', 'abc'], '--concurrency expects a number, got "abc"'],
    [['lumisections', 'list', '--retries', 'abc'], '--retries expects a number, got "abc"'],
    [['histograms', 'list', '--dim', 'abc'], '--dim expects a number, got "abc"'],
    [['histograms', 'get', '--dim', '2', 'abc'], 'histogram ids are positive integers, got "abc"'],
    [['histograms', 'delete', '--dim', '1', '4', 'abc'], 'histogram ids are positive integers, got "abc"'],
    [['files', 'list', '--limit', 'abc'], '--limit expects a number, got "abc"'],
    [['files', 'parse', 'abc', '--dim', '1'], 'data file ids are positive integers, got "abc"'],
    [['files', 'parse', '3', '--dim', 'abc'], '--dim expects a number, got "abc"'],
    [['files', 'wait', 'abc'], 'data file ids are positive integers, got "abc"'],
    [['files', 'wait', '3', '--timeout', 'abc'], '--timeout expects a number, got "abc"'],
    [['files', 'wait', '3', '--stall', 'abc'], '--stall expects a number, got "abc"'],
    [['files', 'wait', '3', '--interval', 'abc'], '--interval expects a number, got "abc"'],
    [['run', 'p.yaml', '--concurrency', 'abc'], '--concurrency expects a number, got "abc"'],
    [['run', 'p.yaml', '--shards', 'abc'], '--shards expects a number, got "abc"'],
    [['plan', 'p.yaml', '--shards', 'abc'], '--shards expects a number, got "abc"'],
    [['plan', 'p.yaml', '--concurrency', 'abc'], '--concurrency expects a number, got "abc"'],
    [['finalize', 'p.yaml', '--shards', 'abc'], '--shards expects a number, got "abc"'],
    [['inspect', 'some-dir', '--run', '315705', '--run', 'abc'], '--run expects a number, got "abc"'],
    ...[
      'port',
      'parse-delay-ms',
      'latency-ms',
      'jitter-ms',
      'fail-rate',
      'reset-rate',
      'truncate-rate',
      'page-size',
      'seed',
      'token-ttl',
      'refresh-ttl',
      'device-auto-approve',
      'gateway-timeout-bytes',
    ].map((flag): [string[], string] => [['serve', `--${flag}`, 'abc'], `--${flag} expects a number, got "abc"`]),
  ];
  it.each(cases)('%j', async (args, message) => {
    const r = await runCli(args, { env: NO_SERVER });
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('NaN');
    expect(r.code).toBe(2);
  });
});

describe('unknown options and missing arguments', () => {
  it('explainUsageFailure: did-you-mean from the help, missing positionals with the usage line', () => {
    const help =
      'dqm-export run <file>\n\nOptions:\n  --resume   Continue\n  --concurrency  Requests\n  -v, --verbose  Stack traces\n';
    expect(flagsOf(help)).toEqual(['resume', 'concurrency', 'verbose']);
    expect(explainUsageFailure('Unknown argument: concurency', help, ['run', 'x', '--concurency', '4'])).toBe(
      'unknown option --concurency (did you mean --concurrency?); usage: dqm-export run <file> [options] (see --help)',
    );
    expect(explainUsageFailure('Unknown arguments: x, y', help, ['run', 'a', 'x', 'y'])).toMatch(
      /^unexpected argument "x"; unexpected argument "y"; usage/,
    );
    expect(explainUsageFailure('Not enough non-option arguments: got 0, need at least 1', help)).toBe(
      'missing <file>; usage: dqm-export run <file> [options] (see --help)',
    );
    expect(explainUsageFailure('anything else', help)).toBe('anything else');
    expect(explainUsageFailure('Unknown argument: x', undefined)).toBe('Unknown argument: x');
  });

  const typos: Array<[string[], string]> = [
    [['run', 'base.yaml', '--concurency', '4'], 'unknown option --concurency (did you mean --concurrency?)'],
    [['plan', 'base.yaml', '--shrads', '4'], 'unknown option --shrads (did you mean --shards?)'],
    [['finalize', 'base.yaml', '--verfy'], 'unknown option --verfy (did you mean --verify?)'],
    [['validate', 'base.yaml', '--prnt'], 'unknown option --prnt (did you mean --print?)'],
    [['demo', '--no-progres'], 'unknown option --no-progres (did you mean --no-progress?)'],
    [['serve', '--prot', '1'], 'unknown option --prot (did you mean --port?)'],
    [['runs', 'list', '--fomat', 'json'], 'unknown option --fomat (did you mean --format?)'],
    [['lumisections', 'list', '--filtr', 'run=1'], 'unknown option --filtr (did you mean --filter?)'],
    [['histograms', 'list', '--dim', '1', '--al'], 'unknown option --al (did you mean --all?)'],
    [['files', 'wait', '3', '--stal', '5'], 'unknown option --stal (did you mean --stall?)'],
    [['schema', '--verbos'], 'unknown option --verbos (did you mean --verbose?)'],
  ];
  it.each(typos)('%j', async (args, message) => {
    const r = await runCli(args, { env: NO_SERVER });
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('usage: dqm-export ');
    expect(r.code).toBe(2);
  });

  it.each([
    [['run'], 'missing <file>; usage: dqm-export run <file> [options]'],
    [['plan'], 'missing <file>; usage: dqm-export plan <file> [options]'],
    [['finalize'], 'missing <file>; usage: dqm-export finalize <file> [options]'],
    [['histograms', 'get', '--dim', '1'], 'missing <id>; usage: dqm-export histograms get <id> [options]'],
  ])('%j says what is missing', async (args, message) => {
    const r = await runCli(args as string[], { env: NO_SERVER });
    expect(r.stderr).toContain(message as string);
    expect(r.code).toBe(2);
  });
});

describe("a value outside an option's choices", () => {
  it('explainInvalidChoices: one line naming the option, the value, the valid values and a did-you-mean', () => {
    const formats = 'Choices: "table", "json", "jsonl", "csv"';
    expect(explainInvalidChoices(`Invalid values:\n  Argument: format, Given: "jsnl", ${formats}`)).toBe(
      'unknown --format value "jsnl" (did you mean "jsonl"?); valid values: table, json, jsonl, csv',
    );
    expect(explainInvalidChoices(`Invalid values:\n  Argument: format, Given: "xml", ${formats}`)).toBe(
      'unknown --format value "xml"; valid values: table, json, jsonl, csv',
    );
    expect(
      explainInvalidChoices(
        `Invalid values:\n  Argument: dim, Given: 3, Choices: 1, 2\n  Argument: format, Given: "JSON", ${formats}`,
      ),
    ).toBe(
      'unknown --dim value 3; valid values: 1, 2; unknown --format value "JSON" (did you mean "json"?); valid values: table, json, jsonl, csv',
    );
    expect(explainInvalidChoices('Unknown argument: x')).toBeUndefined();
    // Whatever the help, the failure is explained the same way.
    expect(explainUsageFailure(`Invalid values:\n  Argument: format, Given: "tabel", ${formats}`, undefined)).toBe(
      'unknown --format value "tabel" (did you mean "table"?); valid values: table, json, jsonl, csv',
    );
  });

  const listings = [
    ['runs', 'list'],
    ['lumisections', 'list'],
    ['histograms', 'list', '--dim', '1'],
    ['histograms', 'get', '--dim', '2', '7'],
    ['files', 'list'],
    ...['runs', 'lumisections', 'th1', 'th2', 'mes', 'datasets', 'files'].map((group) => ['dials', group, 'list']),
  ];
  // No credentials at all: the usage error comes first, before any token is looked for.
  it.each(listings)('%s %s %s: --format jsnl is one line, exit 2, before credentials', async (...args) => {
    const r = await runCli([...args, '--format', 'jsnl'], {
      env: {
        DQM_PLAYGROUND_URL: 'http://127.0.0.1:9',
        DQM_PLAYGROUND_TOKEN: undefined,
        DQM_PLAYGROUND_TOKEN_FILE: undefined,
        DIALS_URL: 'http://127.0.0.1:9',
        DIALS_TOKEN: undefined,
        DIALS_TOKEN_FILE: undefined,
        DIALS_CLIENT_SECRET: undefined,
      },
    });
    expect(r.stderr).toBe(
      'error E_USAGE_FORMAT: unknown --format value "jsnl" (did you mean "jsonl"?); valid values: table, json, jsonl, csv\n',
    );
    expect(r.stdout).toBe('');
    expect(r.code).toBe(2);
  });
});
