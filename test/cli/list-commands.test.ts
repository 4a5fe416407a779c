/**
 * `runs list`, `lumisections list`, `histograms list` in-process against the local server: every
 * output format read back and compared with the server's own records, and the error paths (bad
 * filters caught before any request, the server's 400 and 401 and a 500 HTML page).
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Histogram1D, Histogram2D, Lumisection, Run } from '../../src/domain.js';
import { Faults } from '../../src/server/faults.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { binSum } from '../../src/cli/output/views.js';
import { formatNumber } from '../../src/cli/output/text.js';
import { expectNoSecrets, NOWHERE, runCli, serverList, type CliResult } from './harness.js';

const ADMIN = 'admin-token-list-0123456789';
const USER = 'user-token-list-0123456789';
let server: RunningServer;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startServer({ port: 0, adminToken: ADMIN, userToken: USER });
  env = { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: USER };
});
afterAll(() => server?.close());

async function cli(
  args: string[],
  options: { env?: Record<string, string | undefined>; ttyColumns?: number } = {},
): Promise<CliResult> {
  const result = await runCli(args, { env: { ...env, ...options.env }, ttyColumns: options.ttyColumns });
  expectNoSecrets(result, [ADMIN, USER]);
  return result;
}
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const jsonl = <T>(text: string): T[] => lines(text).map((l) => JSON.parse(l) as T);

describe('runs list', () => {
  it('writes JSON lines when stdout is not a terminal, equal to the server records', async () => {
    const r = await cli(['runs', 'list']);
    expect(r.code).toBe(0);
    expect(jsonl<Run>(r.stdout)).toEqual(await serverList<Run>(server.url, '/api/runs/', ADMIN));
    expect(r.stderr).toBe('');
  });

  it('--format json and csv read back to the same records', async () => {
    const expected = await serverList<Run>(server.url, '/api/runs/', ADMIN);
    const json = await cli(['runs', 'list', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual(expected);
    const csv = await cli(['runs', 'list', '--format', 'csv']);
    const rows = parseCsv(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => ({ run_number: Number(r.run_number), date: r.date }))).toEqual(expected);
  });

  it('a table on a terminal, with a count on stderr', async () => {
    const r = await cli(['runs', 'list', '--filter', 'run_number=315705'], { ttyColumns: 80 });
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      expect.stringMatching(/^run_number {2}date$/),
      expect.stringMatching(/^ {4}315705 {2}\d{4}-/),
    ]);
    expect(r.stderr).toBe('1 run\n');
  });

  it('a date filter the server rejects: its 400 message, exit 1', async () => {
    const r = await cli(['runs', 'list', '--filter', 'run_date=yesterday']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error E_HTTP_400: .*run_date: Enter a valid date\/time\..*HTTP 400 from GET http:\/\/127\.0\.0\.1:\d+\/api\/runs\/\?run_date=yesterday/,
    );
    expect(lines(r.stderr)).toHaveLength(1);
  });
});

describe('lumisections list', () => {
  it('--limit crosses a page boundary and keeps the server order', async () => {
    const all = await serverList<Lumisection>(server.url, '/api/lumisections/', ADMIN);
    const r = await cli(['lumisections', 'list', '--limit', '60']);
    expect(jsonl<Lumisection>(r.stdout)).toEqual(all.slice(0, 60));
  });

  it('prints the first page by default and says how to get more on a terminal', async () => {
    const r = await cli(['lumisections', 'list'], { ttyColumns: 100 });
    expect(lines(r.stdout)).toHaveLength(51);
    expect(r.stderr).toBe('50 lumisections of 121; --limit N or --all for more\n');
  });

  it('--all and a filter', async () => {
    const all = await cli(['lumisections', 'list', '--all', '--concurrency', '3']);
    expect(jsonl(all.stdout)).toHaveLength(121);
    const run = await cli(['lumisections', 'list', '--all', '--filter', 'run=315705']);
    const records = jsonl<Lumisection>(run.stdout);
    expect(records).toHaveLength(40);
    expect(new Set(records.map((l) => l.run))).toEqual(new Set([315705]));
  });
});

describe('histograms list', () => {
  it('--dim 1 --all: every histogram once, equal to the server records', async () => {
    const expected = await serverList<Histogram1D>(server.url, '/api/lumisection_histograms_1d/', ADMIN);
    const r = await cli(['histograms', 'list', '--dim', '1', '--all']);
    const got = jsonl<Histogram1D>(r.stdout);
    expect(got).toHaveLength(expected.length);
    expect([...got].sort((a, b) => a.id - b.id)).toEqual([...expected].sort((a, b) => a.id - b.id));
  });

  it('--dim 2 json: complete bins; csv: bins as a JSON string column', async () => {
    const path = '/api/lumisection_histograms_2d/?lumisection__ls_number=1&lumisection__run__run_number=315705';
    const expected = await serverList<Histogram2D>(server.url, path, ADMIN);
    expect(expected).toHaveLength(2);
    const filters = ['--filter', 'lumisection__run__run_number=315705', '-f', 'lumisection__ls_number=1'];
    const json = await cli(['histograms', 'list', '--dim', '2', ...filters, '--format', 'json']);
    const got = JSON.parse(json.stdout) as Histogram2D[];
    expect(got).toEqual(expected);
    expect(got[0].data).toHaveLength(72);
    expect(got[0].data[0]).toHaveLength(56);

    const csv = await cli(['histograms', 'list', '--dim', '2', ...filters, '--format', 'csv']);
    const rows = parseCsv(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => JSON.parse(row.data))).toEqual(expected.map((h) => h.data));
    expect(rows.map((row) => row.title)).toEqual(expected.map((h) => h.title));
  });

  it('the 2D table summarises bins (shape, sum) and shortens titles to the terminal width', async () => {
    const expected = await serverList<Histogram2D>(
      server.url,
      '/api/lumisection_histograms_2d/?lumisection__run__run_number=316457&lumisection__ls_number=3',
      ADMIN,
    );
    const r = await cli(
      [
        'histograms',
        'list',
        '--dim',
        '2',
        '-f',
        'lumisection__run__run_number=316457',
        '-f',
        'lumisection__ls_number=3',
      ],
      { ttyColumns: 70 },
    );
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^ *id +run +ls +title +entries +shape +sum$/);
    for (const line of out) expect(line.length).toBeLessThanOrEqual(70);
    for (const h of expected) {
      const row = out.find((l) => l.trimStart().startsWith(`${h.id} `));
      expect(row).toMatch(/clusterpos.*….*PXLayer_\d/);
      expect(row).toContain('72x56');
      expect(row).toContain(formatNumber(binSum(h.data)));
    }
    expect(r.stdout.length).toBeLessThan(1000);
  });

  it('title may repeat', async () => {
    const titles = ['NormalizedHitResiduals_TEC__wheel__8', 'NormalizedHitResiduals_TEC__wheel__9'];
    const r = await cli(['histograms', 'list', '--dim', '1', '--all', ...titles.flatMap((t) => ['-f', `title=${t}`])]);
    const got = jsonl<Histogram1D>(r.stdout);
    expect(got.length).toBeGreaterThan(0);
    expect(new Set(got.map((h) => h.title))).toEqual(new Set(titles));
  });

  it('an unknown title: the server 400 in one line, exit 1', async () => {
    const r = await cli(['histograms', 'list', '--dim', '1', '-f', 'title=does_not_exist']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error E_HTTP_400: server rejected the request: title: Select a valid choice\. does_not_exist is not one of the available choices\./,
    );
  });
});

describe('checked before any request (the URL points nowhere)', () => {
  // (arguments, code, message pattern): each would otherwise be a connection error.
  const table: [string[], string, RegExp][] = [
    [
      ['histograms', 'list', '--dim', '2', '-f', 'run=315705'],
      'E_FILTER_UNKNOWN',
      /unknown filter run for lumisection_histograms_2d \(did you mean lumisection__run__run_number/,
    ],
    [
      ['histograms', 'list', '--dim', '1', '-f', 'lumisection__run__run_number__gte=notanumber'],
      'E_FILTER_VALUE',
      /expects an integer, got "notanumber"/,
    ],
    [
      ['histograms', 'list', '--dim', '1', '-f', 'lumisection__run__run_number__in=315488,abc'],
      'E_FILTER_VALUE',
      /comma-separated integers/,
    ],
    [['lumisections', 'list', '-f', 'run=abc'], 'E_FILTER_VALUE', /filter run of lumisections expects an integer/],
    [['runs', 'list', '-f', 'run_number'], 'E_FILTER_SYNTAX', /key=value/],
    [['runs', 'list', '--limit', '0'], 'E_USAGE_LIMIT', /--limit expects a positive integer, got 0/],
    [['runs', 'list', '--limit', '5', '--all'], 'E_USAGE', /mutually exclusive/],
    [
      ['runs', 'list', '--format', 'xml'],
      'E_USAGE_FORMAT',
      /E_USAGE_FORMAT: unknown --format value "xml"; valid values: table, json, jsonl, csv\n$/,
    ],
    [['histograms', 'list'], 'E_USAGE', /Missing required argument: dim/],
    [['histograms', 'list', '--dim', '3'], 'E_USAGE', /E_USAGE: unknown --dim value 3; valid values: 1, 2\n$/],
    [['runs', 'list', '--token', 'leaked-on-the-command-line'], 'E_USAGE_TOKEN_FLAG', /--token is not accepted/],
    [['runs', 'list', '--concurrency', '0'], 'E_USAGE_NUMBER', /--concurrency expects an integer from 1 to 64/],
    [['runs'], 'E_USAGE', /Give a runs command/],
    [['runs', 'list', '--bogus'], 'E_USAGE', /unknown option --bogus; usage: dqm-export runs list/],
  ];
  it.each(table)('%j -> %s', async (args, code, message) => {
    const r = await cli([...args, '--retries', '0'], { env: { DQM_PLAYGROUND_URL: NOWHERE } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(`error ${code}: `)).toBe(true);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('leaked-on-the-command-line');
  });
});

describe('connection errors', () => {
  it('a wrong token: 401, says which variable to set, never shows the token', async () => {
    const r = await cli(['runs', 'list'], { env: { DQM_PLAYGROUND_TOKEN: 'wrong-token-abcdef' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error E_AUTH_UNAUTHORIZED: authentication failed: Invalid token\.; set DQM_PLAYGROUND_TOKEN/,
    );
    expect(r.stderr).not.toContain('wrong-token-abcdef');
  });

  it('no token at all: a config error before any request', async () => {
    const r = await cli(['runs', 'list'], {
      env: { DQM_PLAYGROUND_TOKEN: undefined, DQM_PLAYGROUND_TOKEN_FILE: undefined },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error E_NO_TOKEN: .*DQM_PLAYGROUND_TOKEN.*--token-file/);
  });

  it('a 500 HTML page is one line naming the page, exit 1', async () => {
    // The server's faults are seeded: pick a seed whose first fault is a 500.
    const seed = Array.from({ length: 200 }, (_, i) => i + 1).find((s) => {
      const plan = new Faults({ failRate: 1, seed: s, latencyMs: 0, jitterMs: 0, resetRate: 0, truncateRate: 0 }).plan(
        100,
      );
      return plan.kind === 'fail' && plan.reply.status === 500;
    });
    const failing = await startServer({ port: 0, adminToken: ADMIN, userToken: USER, failRate: 1, seed });
    try {
      const r = await cli(['runs', 'list', '--retries', '0'], { env: { DQM_PLAYGROUND_URL: failing.url } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^error E_HTTP_500: server error: HTML page "Server Error \(500\)" \(HTTP 500 from GET http:\/\/127\.0\.0\.1:\d+\/api\/runs\/\)\n$/,
      );
    } finally {
      await failing.close();
    }
  });

  it('a URL that is not a DQM Playground: the 404 HTML page in one line', async () => {
    const r = await cli(['runs', 'list', '--url', `${server.url}/not-here`]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^error E_HTTP_404: .*HTML page/);
  });
});
