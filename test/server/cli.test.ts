/** `dqm-export serve` as a child process (the built CLI): start-up line, tokens, signals, error paths. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { apiRequest, runServeCli, spawnServeCli, withServer } from '../helpers/server.js';

const tmp = mkdtempSync(join(tmpdir(), 'dqm-serve-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expectOneLineError(stderr: string, code: string): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^error ${code}: `));
}

describe('dqm-export serve', () => {
  it('prints a JSON line with url and tokens, serves, and stops on SIGTERM with exit 0', async () => {
    const served = await spawnServeCli(['--page-size', '20'], { env: { DQM_SERVE_ADMIN_TOKEN: 'admin-from-env' } });
    try {
      expect(served.adminToken).toBe('admin-from-env');
      expect(served.userToken).toMatch(/^[0-9a-f]{40}$/);
      const res = await apiRequest(served, '/api/lumisection_histograms_2d/');
      expect(res.json).toMatchObject({ total: 240, per_page: 20 });
      expect((await apiRequest(served, '/api/runs/', { as: 'user' })).status).toBe(200);
      expect((await apiRequest(served, '/api/runs/', { as: { header: 'Token nope' } })).status).toBe(401);
    } finally {
      expect(await served.close('SIGTERM')).toBe(0);
    }
    const { stdout, stderr } = served.output();
    expect(stdout.join('\n')).toContain(`DQM Playground API at ${served.url}/api/`);
    expect(stdout.join('\n')).toMatch(/file 3: .*2D_synthetic\.csv \(240\/240 rows/);
    expect(stderr).toContain('stopped (SIGTERM)');
  });

  it('--api dials prints the DIALS listening line and serves /api/v1/ with its Bearer token', async () => {
    const served = await spawnServeCli([
      '--api',
      'dials',
      '--dials-token',
      'dials-from-cli',
      '--synthetic',
      'runs=2,ls=2,titles=1,dim=1,x=5',
    ]);
    try {
      const res = await apiRequest(served, '/api/v1/th1/?fields=run_number,ls_number', {
        as: { header: 'Bearer dials-from-cli' },
      });
      expect(res.json).toMatchObject({
        next: null,
        previous: null,
        results: [{ run_number: 300000, ls_number: 1 }, {}, {}, {}],
      });
      expect((await apiRequest(served, '/api/v1/th1/', { as: { header: 'Bearer nope' } })).json).toEqual({
        detail: 'Token is invalid or expired',
        code: 'token_not_valid',
      });
    } finally {
      expect(await served.close('SIGTERM')).toBe(0);
    }
    expect(served.output().stdout.join('\n')).toContain(`DIALS API at ${served.url}/api/v1/`);
  });

  it('--api dials refuses a bad map file with one line and exit 2', async () => {
    writeFileSync(join(tmp, 'map.json'), JSON.stringify({ datasets: [{ dataset_id: 1, dataset: 'x' }] }));
    const { code, stderr } = await runServeCli(['--api', 'dials', '--dials-map', join(tmp, 'map.json')]);
    expect(code).toBe(2);
    expectOneLineError(stderr, 'E_SERVE_DIALS_MAP');
    expect(stderr).toContain('datasets.0.dataset');
  });

  it('stops on SIGINT too', async () => {
    const served = await spawnServeCli(['--synthetic', 'runs=2,ls=2,titles=1,dim=1,x=5']);
    expect((await apiRequest(served, '/api/lumisection_histograms_1d/')).json).toMatchObject({ total: 4 });
    expect(await served.close('SIGINT')).toBe(0);
  });

  it('refuses a port in use with one line and exit 2', async () => {
    const busy = await withServer();
    try {
      const { code, stdout, stderr } = await runServeCli(['--port', String(busy.port)]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expectOneLineError(stderr, 'E_SERVE_PORT_IN_USE');
      expect(stderr).toContain(`port ${busy.port}`);
    } finally {
      await busy.close();
    }
  });

  it('rejects bad input with one line, a code and exit 1 or 2, never a stack trace', async () => {
    writeFileSync(join(tmp, 'file.csv'), '');
    const cases: Array<[string[], string, number]> = [
      [['--data', join(tmp, 'missing')], 'E_SERVE_DATA_DIR', 1],
      [['--data', join(tmp, 'file.csv')], 'E_SERVE_DATA_DIR', 1],
      [['--synthetic', 'runs=0'], 'E_SERVE_SYNTHETIC', 2],
      [['--fail-rate', '2'], 'E_SERVE_OPTION', 2],
      [['--admin-token', 'same', '--user-token', 'same'], 'E_SERVE_OPTION', 2],
      [['--envelope', 'pages'], 'E_SERVE_OPTION', 2],
    ];
    const results = await Promise.all(cases.map(([args]) => runServeCli(['--port', '0', ...args])));
    results.forEach((res, i) => {
      const [args, code, exit] = cases[i];
      expect(res.code, args.join(' ')).toBe(exit);
      expectOneLineError(res.stderr, code);
    });
  });
});
