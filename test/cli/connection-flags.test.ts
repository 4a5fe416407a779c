/**
 * The transport flags (`--url`, `--token-file`, `--ca-file`, `--allow-insecure-http`, `--retries`,
 * the refused `--token`) are declared once for the DQM Playground and DIALS commands: each keeps
 * its own help heading, order and wording, and both parse the same way.
 */
import { describe, expect, it } from 'vitest';
import yargs, { type Argv } from 'yargs';
import { withConnectionOptions } from '../../src/cli/connection.js';
import { withDialsConnectionOptions } from '../../src/cli/dials/connection.js';

type Declare = (y: Argv) => Argv;
const playground: Declare = (y) => withConnectionOptions(y);
const dials: Declare = (y) => withDialsConnectionOptions(y);

function parser(declare: Declare, args: string[]): Argv {
  return declare(yargs(args).scriptName('dqm-export').strict().exitProcess(false).wrap(200)).fail((msg, err) => {
    throw err ?? new Error(msg);
  });
}

/** The `--help` lines of a group, from its heading to the blank line after it. */
async function group(declare: Declare, heading: string): Promise<string[]> {
  const help = await parser(declare, []).getHelp();
  const lines = help.split('\n');
  const start = lines.indexOf(heading);
  expect(start, help).toBeGreaterThanOrEqual(0);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end).map((l) => l.replace(/\s+/g, ' ').trim());
}

describe('connection flags, declared once', () => {
  it('DQM Playground commands: "Connection:" with their own wording, --concurrency last', async () => {
    expect(await group(playground, 'Connection:')).toEqual([
      '--url Server URL, or a preset: prod, develop (env DQM_PLAYGROUND_URL; default http://127.0.0.1:8000) [string]',
      '--token-file File holding the API token (else env DQM_PLAYGROUND_TOKEN or DQM_PLAYGROUND_TOKEN_FILE) [string]',
      '--ca-file PEM file with a CA to trust in addition to the bundled roots [string]',
      '--allow-insecure-http Allow plain http to a non-local host (the token travels in clear) [boolean]',
      '--retries Retries of a request after 429, 5xx or a network failure (from 0 to 20; default 6)',
      '--concurrency Requests in flight at once, pages with --all (from 1 to 64) [default: 8]',
    ]);
  });

  it('DIALS commands: "DIALS connection:" with the workspace and client secret in between', async () => {
    const lines = await group(dials, 'DIALS connection:');
    expect(lines.map((l) => l.split(' ')[0])).toEqual([
      '--url',
      '--workspace',
      '--token-file',
      '--client-secret-file',
      '--ca-file',
      '--allow-insecure-http',
      '--retries',
    ]);
    expect(lines).toContain('--ca-file PEM file with a CA to trust in addition [string]');
    expect(lines).toContain(
      '--retries Retries of a request after a 5xx or a network failure (from 0 to 20; default 6)',
    );
    expect(lines[0]).toMatch(/^--url DIALS server root, or prod \(https:\/\/cmsdials-api\.web\.cern\.ch\)/);
  });

  it.each([
    ['DQM Playground', playground],
    ['DIALS', dials],
  ])('%s: the flags parse to the same fields; --token is accepted only to be refused later', async (_, declare) => {
    const args = await parser(declare, [
      '--url=http://localhost:9',
      '--token-file',
      'tok',
      '--ca-file',
      'ca.pem',
      '--allow-insecure-http',
      '--retries',
      '3',
      '--token',
      'secret',
    ]).parseAsync();
    expect(args).toMatchObject({
      url: 'http://localhost:9',
      tokenFile: 'tok',
      caFile: 'ca.pem',
      allowInsecureHttp: true,
      retries: 3,
      token: 'secret',
    });
  });

  it.each([
    ['DQM Playground', playground],
    ['DIALS', dials],
  ])('%s: a bad --retries quotes what was typed; a flag without its value is refused', async (_, declare) => {
    await expect(async () => parser(declare, ['--retries', 'many']).parseAsync()).rejects.toThrow(
      '--retries expects a number, got "many"',
    );
    await expect(async () => parser(declare, ['--ca-file']).parseAsync()).rejects.toThrow(
      /Not enough arguments following: ca-file/,
    );
  });

  it('only the DQM Playground commands take --concurrency; only DIALS takes --workspace', async () => {
    await expect(async () => parser(dials, ['--concurrency', '2']).parseAsync()).rejects.toThrow(
      /Unknown argument: concurrency/,
    );
    await expect(async () => parser(playground, ['--workspace', 'csc']).parseAsync()).rejects.toThrow(
      /Unknown argument: workspace/,
    );
  });
});
