/**
 * `dqm-export dials <records> list` as a user runs it: the built CLI in a child process against
 * `serve --api dials` (port 0) over the captures' data. Every record group in every output format
 * read back and compared with the server's own records, filters, `--all` over many pages equal to the
 * server's data (also with faults), `--limit` across pages, `fields=`, every way of authenticating,
 * and the error paths: one line, the right exit code, nothing sent when the arguments are wrong, and
 * no token anywhere in stdout or stderr.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import { tokenFilePath, writeTokens } from '../../src/sources/dials/token-store.js';
import { startDialsFixtureServer } from '../helpers/dials.js';
import { binBuilt, expectNoSecrets, runBin, type CliResult } from './harness.js';

const TOKEN = 'dials-cli-test-token-8c1f0e5d2b';
const SECRET = 'dials-cli-test-secret-4a9b7c3e61';
const WRONG = 'dials-cli-wrong-token-77d0aa1c';
const SECRETS = [TOKEN, SECRET, WRONG];

let server: RunningServer;
let faulty: RunningServer;
let broken: Server;
let brokenUrl: string;
let work: string;
/** Request URLs the fixture server saw (path and query, as sent). */
const seen: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'dials-cli-'));
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'request' && entry.url) seen.push(entry.url);
      },
    },
  );
  server = await startDialsFixtureServer({ dialsToken: TOKEN, clientSecret: SECRET, logger });
  faulty = await startDialsFixtureServer({ dialsToken: TOKEN, clientSecret: SECRET, failRate: 0.3, seed: 11 });
  // DIALS answers an unexpected failure with Django's HTML 500 page.
  broken = createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'text/html' });
    res.end(
      '<!doctype html><html><head><title>Server Error (500)</title></head><body><h1>Server Error (500)</h1></body></html>',
    );
  });
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;
}, 240_000);

afterAll(async () => {
  await server?.close();
  await faulty?.close();
  await new Promise((resolve) => broken?.close(resolve));
  rmSync(work, { recursive: true, force: true });
});

/** An environment with no credentials and no login file, unless `extra` adds them. */
function envWith(extra: Record<string, string> = {}): Record<string, string> {
  return { XDG_CONFIG_HOME: join(work, 'no-login'), HOME: work, ...extra };
}

/** Runs the built CLI against `url` with the token in DIALS_TOKEN, and greps its output for secrets. */
async function dials(args: string[], options: { env?: Record<string, string>; url?: string } = {}): Promise<CliResult> {
  const env = options.env ?? envWith({ DIALS_TOKEN: TOKEN });
  const result = await runBin(['dials', ...args, '--url', options.url ?? server.url], env);
  expectNoSecrets(result, SECRETS);
  return result;
}

/** Every record of a DIALS list read straight from the server, page after page. */
async function serverAll(base: string, endpoint: string, query = ''): Promise<Record<string, unknown>[]> {
  const headers = { authorization: `Bearer ${TOKEN}`, workspace: 'tracker' };
  const first = `${base}/api/v1/${endpoint}/?${query}`;
  if (endpoint === 'mes') return (await (await fetch(first, { headers })).json()) as Record<string, unknown>[];
  const out: Record<string, unknown>[] = [];
  let next: string | null = `${first}${query ? '&' : ''}page_size=500`;
  while (next) {
    const page = (await (await fetch(next, { headers })).json()) as {
      next: string | null;
      results: Record<string, unknown>[];
    };
    out.push(...page.results);
    next = page.next;
  }
  return out;
}

/** The first page as the server sends it without page_size. */
async function serverFirstPage(endpoint: string, query = ''): Promise<Record<string, unknown>[]> {
  const r = await fetch(`${server.url}/api/v1/${endpoint}/?${query}`, {
    headers: { authorization: `Bearer ${TOKEN}`, workspace: 'tracker' },
  });
  const body = (await r.json()) as { results?: Record<string, unknown>[] } | Record<string, unknown>[];
  return Array.isArray(body) ? body : body.results!;
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const jsonl = (text: string): Record<string, unknown>[] =>
  lines(text).map((l) => JSON.parse(l) as Record<string, unknown>);

/** CSV rows typed like `like` (numbers, nested `data` as JSON text). */
function csvRecords(text: string, like: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const rows = parseCsv(text, { columns: true }) as Record<string, string>[];
  return rows.map((row, i) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => {
        const model = like[i]?.[k];
        if (typeof model === 'number') return [k, Number(v)];
        if (model !== null && typeof model === 'object') return [k, JSON.parse(v) as unknown];
        return [k, v];
      }),
    ),
  );
}

/** Each record group, the DIALS endpoint it reads, and a filter narrowing it to a few pages. */
const GROUPS = [
  { group: 'runs', endpoint: 'run', query: '' },
  { group: 'lumisections', endpoint: 'lumisection', query: 'run_number=380001' },
  { group: 'th1', endpoint: 'th1', query: 'run_number=380002' },
  { group: 'th2', endpoint: 'th2', query: 'run_number=380002&me_id=4' },
  { group: 'mes', endpoint: 'mes', query: '' },
  { group: 'datasets', endpoint: 'dataset-index', query: '' },
  { group: 'files', endpoint: 'file-index', query: '' },
] as const;

const filterArgs = (query: string): string[] => (query ? query.split('&').flatMap((q) => ['-f', q]) : []);

// Each CLI run is a fresh process: under a loaded machine a test of several runs takes minutes.
vi.setConfig({ testTimeout: 300_000 });

describe.skipIf(!binBuilt)('dqm-export dials <records> list (built CLI)', () => {
  describe('every record group in every output format equals the server', () => {
    for (const { group, endpoint, query } of GROUPS) {
      it(`${group}: jsonl (default when piped), json and csv with --all; table of the first page`, async () => {
        const expected = await serverAll(server.url, endpoint, query);
        expect(expected.length).toBeGreaterThan(0);
        const piped = await dials([group, 'list', '--all', ...filterArgs(query)]);
        expect(piped.code, piped.stderr).toBe(0);
        expect(jsonl(piped.stdout)).toEqual(expected);
        expect(piped.stderr).toBe('');
        const json = await dials([group, 'list', '--all', '--format', 'json', ...filterArgs(query)]);
        expect(JSON.parse(json.stdout)).toEqual(expected);
        const csv = await dials([group, 'list', '--all', '--format', 'csv', ...filterArgs(query)]);
        expect(csvRecords(csv.stdout, expected)).toEqual(expected);
        const table = await dials([group, 'list', '--format', 'table', ...filterArgs(query)]);
        expect(table.code, table.stderr).toBe(0);
        const first = await serverFirstPage(endpoint, query);
        expect(lines(table.stdout)).toHaveLength(1 + first.length);
        const more = endpoint !== 'mes' && expected.length > first.length;
        expect(table.stderr).toMatch(new RegExp(`^${first.length} \\w[\\w ]*${more ? '; more on the server' : '\n$'}`));
      });
    }
  });

  it('a histogram table asks DIALS for every field but data, and shows shapes, not bins', async () => {
    seen.length = 0;
    const r = await dials(['th2', 'list', '--format', 'table', '-f', 'run_number=380002', '-f', 'ls_number=10']);
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = lines(r.stdout);
    expect(header).toMatch(/^dataset_id +run +ls +me_id +me +entries +x range +y range +shape$/);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatch(/ \d+x\d+$/);
    await vi.waitFor(() => expect(seen.filter((u) => u.startsWith('/api/v1/th2/'))).toHaveLength(1));
    const fields = new URL(
      seen.find((u) => u.startsWith('/api/v1/th2/'))!,
      'http://x',
    ).searchParams.get('fields');
    expect(fields?.split(',')).toEqual([
      'dataset_id',
      'dataset',
      'me',
      'file_id',
      'run_number',
      'ls_number',
      'me_id',
      'x_min',
      'x_max',
      'x_bin',
      'y_min',
      'y_max',
      'y_bin',
      'entries',
    ]);
  });

  it('--all walks the cursor over many pages (page_size 7) and equals the server, with a table of all', async () => {
    const expected = await serverAll(server.url, 'th1');
    expect(expected).toHaveLength(600);
    seen.length = 0;
    const r = await dials(['th1', 'list', '--all', '--page-size', '7']);
    expect(r.code, r.stderr).toBe(0);
    expect(jsonl(r.stdout)).toEqual(expected);
    await vi.waitFor(() =>
      expect(seen.filter((u) => u.startsWith('/api/v1/th1/')).length).toBeGreaterThanOrEqual(Math.ceil(600 / 7)),
    );
    const pages = seen.filter((u) => u.startsWith('/api/v1/th1/'));
    expect(pages.every((u) => u.includes('page_size=7'))).toBe(true);
    expect(pages.filter((u) => u.includes('next_token=')).length).toBe(Math.ceil(600 / 7) - 1);
    // The table of --all: every record, no bins fetched (fields=), a count on stderr.
    const table = await dials(['th1', 'list', '--all', '--format', 'table']);
    expect(lines(table.stdout)).toHaveLength(601);
    expect(table.stderr).toBe('600 1D histograms\n');
  });

  it('--all that fails on a later page prints no partial list: the error, exit 1, empty stdout', async () => {
    // In front of the fixture server: every cursor page (next_token=) is refused with a 400, so the
    // walk fails after its first page has been formatted.
    const gate = createServer((req, res) => {
      if (req.url?.includes('next_token=')) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: 'cursor refused by the test gate' }));
        return;
      }
      const upstream = new URL(req.url ?? '/', server.url);
      void fetch(upstream, { headers: req.headers as Record<string, string> }).then(async (r) => {
        res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await r.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(gate.address() as AddressInfo).port}`;
      for (const format of ['jsonl', 'json', 'csv', 'table']) {
        const r = await dials(['th1', 'list', '--all', '--page-size', '7', '--format', format], { url });
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(/^error E_HTTP_400: .*cursor refused by the test gate/);
        expect(r.stdout).toBe('');
      }
    } finally {
      await new Promise<void>((resolve) => gate.close(() => resolve()));
    }
  });

  it('--all through a server failing 30 % of requests equals the clean data', async () => {
    const expected = await serverAll(server.url, 'lumisection');
    const r = await dials(['lumisections', 'list', '--all', '--page-size', '40', '--retries', '20'], {
      url: faulty.url,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(jsonl(r.stdout)).toEqual(expected);
  });

  it('--limit across pages stops at N; --fields is what DIALS returns, the key added for the walk is dropped', async () => {
    const expected = await serverAll(server.url, 'lumisection', 'dataset_id=14677081');
    const r = await dials(['lumisections', 'list', '-f', 'dataset_id=14677081', '--limit', '25', '--page-size', '10']);
    expect(jsonl(r.stdout)).toEqual(expected.slice(0, 25));
    const fields = await dials(['th1', 'list', '--all', '--fields', 'run_number,entries', '-f', 'dataset_id=14677081']);
    const all = await serverAll(server.url, 'th1', 'dataset_id=14677081');
    expect(jsonl(fields.stdout)).toEqual(all.map((h) => ({ run_number: h.run_number, entries: h.entries })));
  });

  it('filters reach DIALS with their meaning: ranges, regexes, order_by', async () => {
    const r = await dials([
      'th1',
      'list',
      '--all',
      '-f',
      'run_number__gte=380001',
      '-f',
      'run_number__lte=380002',
      '-f',
      'me__regex=charge_PXLayer_.*',
      '-f',
      'order_by=-ls_number',
      '-f',
      'order_by=run_number',
    ]);
    const records = jsonl(r.stdout);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((h) => Number(h.run_number) >= 380001 && Number(h.run_number) <= 380002)).toBe(true);
    expect(records.every((h) => String(h.me).endsWith('charge_PXLayer_1'))).toBe(true);
    const ls = records.map((h) => Number(h.ls_number));
    expect(ls).toEqual([...ls].sort((a, b) => b - a));
  });

  describe('credentials, as the DIALS source takes them', () => {
    it('--token-file, DIALS_TOKEN_FILE, DIALS_CLIENT_SECRET, --client-secret-file', async () => {
      const tokenFile = join(work, 'token');
      const secretFile = join(work, 'secret');
      writeFileSync(tokenFile, `${TOKEN}\n`);
      writeFileSync(secretFile, SECRET);
      const expected = await serverFirstPage('run');
      for (const [args, env] of [
        [['--token-file', tokenFile], envWith()],
        [[], envWith({ DIALS_TOKEN_FILE: tokenFile })],
        [[], envWith({ DIALS_CLIENT_SECRET: SECRET })],
        [['--client-secret-file', secretFile], envWith()],
      ] as const) {
        const r = await dials(['runs', 'list', ...args], { env });
        expect(r.code, r.stderr).toBe(0);
        expect(jsonl(r.stdout)).toEqual(expected);
      }
    });

    it('the tokens `login dials` stored, for this server', async () => {
      const xdg = join(work, 'logged-in');
      const now = Date.now();
      await writeTokens(tokenFilePath({ XDG_CONFIG_HOME: xdg }), server.url, {
        access_token: TOKEN,
        refresh_token: 'dials-cli-refresh-unused',
        issued_at: now,
        expires_at: now + 3_600_000,
        refresh_expires_at: now + 36_000_000,
      });
      const r = await dials(['datasets', 'list'], { env: envWith({ XDG_CONFIG_HOME: xdg }) });
      expect(r.code, r.stderr).toBe(0);
      expect(jsonl(r.stdout)).toEqual(await serverFirstPage('dataset-index'));
    });

    it('no credentials anywhere: says how to log in (exit 2, nothing sent)', async () => {
      const r = await dials(['runs', 'list'], { env: envWith() });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^error E_DIALS_NOT_LOGGED_IN: no DIALS credentials for http:\/\/127\.0\.0\.1:\d+: run `dqm-export login dials/,
      );
    });
  });

  describe('errors: one line, the exit code, no token', () => {
    const oneLine = (r: CliResult, code: number, pattern: RegExp): void => {
      expect(r.code).toBe(code);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(pattern);
    };

    it('a refused token is a 403 with what to do (DIALS never sends 401)', async () => {
      const r = await dials(['runs', 'list'], { env: envWith({ DIALS_TOKEN: WRONG }) });
      oneLine(r, 1, /^error E_DIALS_TOKEN_INVALID: .*run `dqm-export login dials` again.*\(HTTP 403 from GET http:/);
      // --verbose adds the context and the stack: still no token (expectNoSecrets in dials()).
      const verbose = await dials(['runs', 'list', '--verbose'], { env: envWith({ DIALS_TOKEN: WRONG }) });
      expect(verbose.code).toBe(1);
      expect(verbose.stderr).toMatch(/^error E_DIALS_TOKEN_INVALID: [^\n]*\n\{"url":/);
      const secret = await dials(['runs', 'list'], { env: envWith({ DIALS_CLIENT_SECRET: WRONG }) });
      oneLine(secret, 1, /^error E_DIALS_TOKEN_INVALID: .*HTTP 403/);
    });

    it('--token and --client-secret are refused without echoing the value', async () => {
      oneLine(await dials(['runs', 'list', '--token', WRONG]), 2, /^error E_USAGE_TOKEN_FLAG: --token is not accepted/);
      oneLine(
        await dials(['runs', 'list', '--client-secret', WRONG]),
        2,
        /^error E_USAGE_TOKEN_FLAG: --client-secret is not accepted/,
      );
    });

    it('an unknown workspace names the valid ones', async () => {
      oneLine(
        await dials(['runs', 'list', '--workspace', 'trackr']),
        2,
        /^error E_DIALS_WORKSPACE: unknown DIALS workspace trackr on http:\S+; valid workspaces: csc, .*tracker.* \(--workspace\)$/,
      );
      oneLine(
        await dials(['runs', 'list', '--workspace', 'Tracker']),
        2,
        /^error E_USAGE: --workspace: expected a lower-case/,
      );
    });

    it('bad filter names get a did-you-mean, bad regexes and order_by fields are refused, before any request (every argument error: dials-args.test.ts)', async () => {
      seen.length = 0;
      oneLine(
        await dials(['th1', 'list', '-f', 'run_number__gt=380000']),
        2,
        /^error E_FILTER_UNKNOWN: --filter of dials th1 list: unknown filter "run_number__gt" for th1 \(did you mean "run_number__gte"\?\); valid filters: /,
      );
      oneLine(
        await dials(['runs', 'list', '-f', 'dataset__regex=Zero(Bias']),
        2,
        /^error E_FILTER_VALUE: filter dataset__regex of dials runs list: not a valid PostgreSQL regular expression.*\(the server would answer 500\)$/,
      );
      expect(seen).toEqual([]);
    });

    it("a server's 500 page is one line and exit 1", async () => {
      const r = await dials(['runs', 'list', '--retries', '0'], { url: brokenUrl });
      oneLine(
        r,
        1,
        /^error E_HTTP_500: server error: HTML page "Server Error \(500\)" \(HTTP 500 from GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/auth\/workspaces\/\)$/,
      );
    });
  });
});
