/**
 * The built `dqm-export` binary as a user runs it: a child process whose environment carries the
 * URL and token, stdin and stdout pipes (so no terminal: JSON lines, no prompt). Needs `npm run
 * build` first (`npm test` does it).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Histogram1D, Run } from '../../src/domain.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { BIN, binBuilt, expectNoSecrets, runBin, serverList, type CliResult } from './harness.js';

const ADMIN = 'admin-token-bin-0123456789';
const USER = 'user-token-bin-0123456789';
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ port: 0, adminToken: ADMIN, userToken: USER });
});
afterAll(() => server?.close());

async function bin(args: string[], token: string = USER, input?: string): Promise<CliResult> {
  const result = await runBin(args, { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: token }, input);
  expectNoSecrets(result, [ADMIN, USER]);
  return result;
}

describe.skipIf(!binBuilt)('dqm-export binary', () => {
  it('--help shows the options and examples, exit 0', async () => {
    const r = await bin(['files', 'parse', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dqm-export files parse [id]');
    expect(r.stdout).toMatch(/Examples:\n {2}dqm-export files parse 3 --dim 2 --wait/);
    expect(r.stdout).toContain('Checked before sending: granularity run is refused');
  });

  it('runs list: JSON lines on a pipe, equal to the server records', async () => {
    const r = await bin(['runs', 'list']);
    expect(r.code).toBe(0);
    const got = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Run);
    expect(got).toEqual(await serverList<Run>(server.url, '/api/runs/', ADMIN));
  });

  it('the ES-module entry (`node dist/src/cli/bin.js`, older deploy files) runs the same CLI as bin.cjs', async () => {
    const esm = BIN.replace(/bin\.cjs$/, 'bin.js');
    const env = { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: USER };
    for (const args of [['--version'], ['runs', 'list']]) {
      const got = await runBin(args, env, undefined, undefined, [esm]);
      expect(got.code).toBe(0);
      expect(got.stdout).toBe((await bin(args)).stdout);
    }
  });

  it('histograms list --all --format csv reads back to every histogram', async () => {
    const r = await bin([
      'histograms',
      'list',
      '--dim',
      '1',
      '--all',
      '--format',
      'csv',
      '-f',
      'lumisection__run__run_number=315488',
    ]);
    expect(r.code).toBe(0);
    const expected = await serverList<Histogram1D>(
      server.url,
      '/api/lumisection_histograms_1d/?lumisection__run__run_number=315488',
      ADMIN,
    );
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('id,run,lumisection,title,entries,x_min,x_max,x_bin,source_data_file,data');
    expect(lines).toHaveLength(expected.length + 1);
  });

  it('delete without --yes: stdin is a pipe, so it refuses (exit 2) even when "y" is piped in', async () => {
    const r = await bin(['histograms', 'delete', '--dim', '1', '3'], USER, 'y\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error E_USAGE_CONFIRM: refusing to delete 1 1D histogram \(id 3\) without --yes/);
  });

  it('a wrong token: exit 1, names the variable, never prints a token', async () => {
    const r = await bin(['runs', 'list'], 'wrong-token-0123456789');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error E_AUTH_UNAUTHORIZED: authentication failed: Invalid token\.; set DQM_PLAYGROUND_TOKEN/,
    );
    expect(r.stderr).not.toContain('wrong-token-0123456789');
  });

  it('--token on the command line is refused without echoing it', async () => {
    const r = await bin(['runs', 'list', '--token', ADMIN]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error E_USAGE_TOKEN_FLAG: --token is not accepted/);
  });

  it('discover as a non-admin: exit 1 with the explanation', async () => {
    const r = await bin(['files', 'discover']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('discover needs an admin token');
  });

  it('Ctrl-C during files wait: exit 1, says parsing goes on and how to follow it again', async () => {
    const manual = await startServer({ port: 0, adminToken: ADMIN, userToken: USER, manual: true });
    try {
      const env = { DQM_PLAYGROUND_URL: manual.url, DQM_PLAYGROUND_TOKEN: USER };
      const r = await runBin(['files', 'wait', '1', '--interval', '0.1'], env, undefined, 'data file 1: 0 %');
      expectNoSecrets(r, [ADMIN, USER]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /error E_INTERRUPTED: interrupted; data file 1 keeps parsing on the server \(follow it again: dqm-export files wait 1\)\n$/,
      );
    } finally {
      await manual.close();
    }
  });

  it('stops quietly (exit 0, no stack trace) when the reader closes the pipe, like `| head`', async () => {
    const child = spawn(process.execPath, [BIN, 'histograms', 'list', '--dim', '2', '--all'], {
      env: { PATH: process.env.PATH ?? '', DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: USER },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('--verbose shows detail but still no token', async () => {
    const r = await bin(['histograms', 'get', '--dim', '2', '99999', '--verbose']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error E_NOT_FOUND: no 2D histogram with id 99999/);
    expect(r.stderr.split('\n').length).toBeGreaterThan(2);
  });

  it('--verbose stack traces name the error class, though the bundles are minified', async () => {
    // scripts/bundle.mjs renames identifiers; src/errors.ts gives the classes their names back.
    const dir = mkdtempSync(join(tmpdir(), 'dqm-bin-'));
    try {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, 'version: 1\n');
      for (const command of ['validate', 'run']) {
        const r = await bin([command, file, '--verbose']);
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/^error E_CONFIG_INVALID: /);
        expect(r.stderr).toMatch(/\nConfigError: /);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
