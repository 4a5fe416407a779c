/**
 * `histograms get` and `histograms delete` in-process against the local server (its own instance:
 * deletes change the data), including the confirmation asked on a terminal.
 */
import { PassThrough } from 'node:stream';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteHistograms } from '../../src/cli/commands/histograms.js';
import type { Histogram1D, Histogram2D } from '../../src/domain.js';
import { AuthError, ServerError } from '../../src/errors.js';
import type { DqmClient } from '../../src/extract/types.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { expectNoSecrets, runCli, serverGet, type CliResult } from './harness.js';

const ADMIN = 'admin-token-hist-0123456789';
const USER = 'user-token-hist-0123456789';
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ port: 0, adminToken: ADMIN, userToken: USER });
});
afterAll(() => server?.close());

async function cli(args: string[]): Promise<CliResult> {
  const result = await runCli(args, { env: { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: USER } });
  expectNoSecrets(result, [ADMIN, USER]);
  return result;
}

async function exists(dim: 1 | 2, id: number): Promise<boolean> {
  const r = await fetch(`${server.url}/api/lumisection_histograms_${dim}d/${id}/`, {
    headers: { Authorization: `Token ${ADMIN}` },
  });
  return r.status === 200;
}

/**
 * Runs the CLI as if stdin and stderr were a terminal on which a person types `answer`.
 * Only for the confirmation test: the streams are swapped back afterwards.
 */
async function cliOnTerminal(args: string[], answer: string): Promise<CliResult> {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const realStdin = Object.getOwnPropertyDescriptor(process, 'stdin')!;
  const stderrTTY = process.stderr.isTTY;
  Object.defineProperty(process, 'stdin', { value: stdin, configurable: true });
  process.stderr.isTTY = true;
  stdin.write(answer + '\n');
  try {
    return await cli(args);
  } finally {
    Object.defineProperty(process, 'stdin', realStdin);
    process.stderr.isTTY = stderrTTY;
  }
}

describe('histograms get', () => {
  it('json is the server record, every bin included', async () => {
    const expected = await serverGet<Histogram2D>(server.url, '/api/lumisection_histograms_2d/1/', ADMIN);
    const r = await cli(['histograms', 'get', '--dim', '2', '1', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expected);
  });

  it('jsonl by default off a terminal; csv with the bins as JSON', async () => {
    const expected = await serverGet<Histogram1D>(server.url, '/api/lumisection_histograms_1d/5/', ADMIN);
    const jsonl = await cli(['histograms', 'get', '--dim', '1', '5']);
    expect(JSON.parse(jsonl.stdout)).toEqual(expected);
    const csv = await cli(['histograms', 'get', '--dim', '1', '5', '--format', 'csv']);
    const [row] = parseCsv(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(JSON.parse(row.data)).toEqual(expected.data);
    expect(Number(row.entries)).toBe(expected.entries);
  });

  it('a missing id: exit 1 with a clear message', async () => {
    const r = await cli(['histograms', 'get', '--dim', '1', '99999']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error E_NOT_FOUND: no 1D histogram with id 99999 \(HTTP 404 from GET http:\/\/127\.0\.0\.1:\d+\/api\/lumisection_histograms_1d\/99999\/\)\n$/,
    );
  });

  it('a bad id is a usage error', async () => {
    const r = await cli(['histograms', 'get', '--dim', '1', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_USAGE_ID: histogram ids are positive integers, got "0"/);
  });
});

describe('histograms delete', () => {
  it('refuses without --yes when there is no terminal, and deletes nothing', async () => {
    const r = await cli(['histograms', 'delete', '--dim', '1', '240']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error E_USAGE_CONFIRM: refusing to delete 1 1D histogram (id 240) without --yes: there is no terminal to ask for confirmation\n',
    );
    expect(await exists(1, 240)).toBe(true);
  });

  it('--yes: reports each outcome and exits 1 when one failed', async () => {
    const r = await cli(['histograms', 'delete', '--dim', '1', '--yes', '248', '249', '99999', '248']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('deleted: 1D histogram 248\ndeleted: 1D histogram 249\nnot found: 1D histogram 99999\n');
    expect(r.stderr).toBe('2 deleted, 1 failed\n');
    expect(await exists(1, 248)).toBe(false);
    expect(await exists(1, 249)).toBe(false);

    const again = await cli(['histograms', 'delete', '--dim', '1', '-y', '248']);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('not found: 1D histogram 248\n');
  });

  it('all deleted: exit 0', async () => {
    const r = await cli(['histograms', 'delete', '--dim', '2', '--yes', '240']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('deleted: 2D histogram 240\n');
    expect(await exists(2, 240)).toBe(false);
  });

  it('asks on a terminal: "n" deletes nothing, "y" deletes', async () => {
    const no = await cliOnTerminal(['histograms', 'delete', '--dim', '1', '247'], 'n');
    expect(no.code).toBe(1);
    expect(no.stderr).toBe('Delete 1 1D histogram (id 247)? [y/N] nothing deleted\n');
    expect(await exists(1, 247)).toBe(true);

    const yes = await cliOnTerminal(['histograms', 'delete', '--dim', '1', '246', '247'], 'y');
    expect(yes.code).toBe(0);
    expect(yes.stderr).toBe('Delete 2 1D histograms (ids 246, 247)? [y/N] 2 deleted, 0 failed\n');
    expect(await exists(1, 246)).toBe(false);
  });

  it('a wrong token stops at the first 401', async () => {
    const r = await runCli(['histograms', 'delete', '--dim', '1', '--yes', '1', '2'], {
      env: { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: 'not-a-token-1234' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error E_AUTH_UNAUTHORIZED: .*set DQM_PLAYGROUND_TOKEN/);
    expect(await exists(1, 1)).toBe(true);
  });
});

describe('deleteHistograms outcomes', () => {
  // The local server, like the real one, lets any user delete; a 403 needs a stub.
  const stub = (fail: Record<number, Error>): DqmClient =>
    ({
      deleteHistogram: async (_dim: 1 | 2, id: number) => {
        if (fail[id]) throw fail[id];
      },
    }) as unknown as DqmClient;

  it('maps 403 to forbidden and other errors to failed, in id order', async () => {
    const outcomes = await deleteHistograms(
      stub({
        2: new AuthError('E_AUTH_FORBIDDEN', 'permission denied: You do not have permission to perform this action.', {
          status: 403,
        }),
        3: new ServerError('E_HTTP_500', 'server error', { status: 500 }),
      }),
      1,
      [1, 2, 3],
      2,
    );
    expect(outcomes).toEqual([
      { id: 1, outcome: 'deleted' },
      { id: 2, outcome: 'forbidden', message: 'permission denied: You do not have permission to perform this action.' },
      { id: 3, outcome: 'failed', message: 'server error' },
    ]);
  });
});
