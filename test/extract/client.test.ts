/**
 * The typed operations: real paths, real filter encodings, the action endpoints' odd answers
 * (202 empty, 400 bare string, 403), the cache-busting data-file poll, and TLS with a site CA.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HistogramDataFile } from '../../src/domain.js';
import { createClient } from '../../src/extract/client.js';
import type { ClientOptions, DqmClient, ParseProgress } from '../../src/extract/types.js';
import { sendJson, startTestServer, type Handler, type TestServer } from './http-server.js';

const TOKEN = 'tok-0c7d2e9a51';
const capture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'captures', name), 'utf8'));

let server: TestServer | undefined;
let client: DqmClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

async function setup(
  handler: Handler,
  options: Partial<ClientOptions> = {},
): Promise<{ server: TestServer; client: DqmClient }> {
  server = await startTestServer(handler);
  client = createClient({
    baseUrl: server.url,
    token: TOKEN,
    maxRetries: 2,
    retryBaseMs: 1,
    retryMaxMs: 2,
    ...options,
  });
  return { server, client };
}

/** Answers with the capture whose request path equals the request's. */
function replay(...names: string[]): Handler {
  const byPath = new Map(names.map((n) => [capture(n).request.path as string, capture(n)]));
  return (req, res) => {
    const c = byPath.get(req.url ?? '');
    if (!c) return sendJson(res, 599, `no capture for ${req.url}`);
    if (c.body === null) return void res.writeHead(c.status).end();
    sendJson(res, c.status, c.body);
  };
}

describe('reads', () => {
  it('lists with real filter encodings: __in joined with commas, title repeated', async () => {
    const { server, client } = await setup((_q, res) =>
      sendJson(res, 200, { next: null, previous: null, total: 0, per_page: 50, total_pages: 0, results: [] }),
    );
    await client.listPage(
      'lumisection_histograms_1d',
      { title: ['a b', 'c'], lumisection__run__run_number__in: [315488, 315713], lumisection__ls_number__gte: 3 },
      2,
    );
    expect(server.requests[0].url).toBe(
      '/api/lumisection_histograms_1d/?lumisection__ls_number__gte=3&lumisection__run__run_number__in=315488%2C315713&title=a+b&title=c&page=2',
    );
  });

  it('reads runs, lumisections, histograms and data files by id (real captures)', async () => {
    const { client } = await setup(
      replay(
        '60_run_detail.json',
        '67_lumisection_detail.json',
        '85_h1d_detail.json',
        '96_h2d_detail.json',
        '126_histogram_data_file_detail.json',
      ),
    );
    expect(await client.getRun(315705)).toMatchObject({ run_number: 315705 });
    expect(await client.getLumisection(1)).toHaveProperty('ls_number');
    expect((await client.getHistogram(1, 1)).data).toHaveLength(capture('85_h1d_detail.json').body.x_bin);
    const h2 = await client.getHistogram(2, 1);
    expect(h2.data).toHaveLength(h2.y_bin);
    expect(await client.getDataFile(3)).toMatchObject({ id: 3, percentage_processed: 100 });
  });

  it('follows a base URL path prefix', async () => {
    server = await startTestServer((_q, res) => sendJson(res, 200, capture('60_run_detail.json').body));
    client = createClient({ baseUrl: `${server.url}/dqm/`, token: TOKEN });
    await client.getRun(315705);
    expect(server.requests[0].url).toBe('/dqm/api/runs/315705/');
  });

  it('lists all data files with a cache buster when asked', async () => {
    const { server, client } = await setup((_q, res) =>
      sendJson(res, 200, capture('120_histogram_data_files.json').body),
    );
    const files = await client.listDataFiles({ filepath__contains: 'csv' }, { bustCache: true });
    expect(files.map((f) => f.id)).toEqual([1, 2, 3, 4]);
    expect(server.requests[0].url).toMatch(/^\/api\/histogram_data_files\/\?_=\d+-1&filepath__contains=csv$/);
  });

  it('listAll with a limit stops reading early', async () => {
    const { server, client } = await setup((req, res) => {
      const page = Number(new URL(req.url!, 'http://x').searchParams.get('page') ?? 1);
      sendJson(res, 200, {
        total: 500,
        per_page: 50,
        next: null,
        previous: null,
        results: Array.from({ length: 50 }, (_, i) => ({ run_number: page * 1000 + i })),
      });
    });
    const runs = await client.listAll('runs', {}, { limit: 70 });
    expect(runs).toHaveLength(70);
    expect(server.requests).toHaveLength(2);
  });
});

describe('actions', () => {
  it('start_parsing posts the server parameter names and accepts 202 with no body', async () => {
    const { server, client } = await setup((_q, res) => void res.writeHead(202).end());
    await client.startParsing(3, { granularity: 'lum', dataDimensionality: 2, fileFormat: 'csv' });
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/api/histogram_data_files/3/start_parsing/' });
    expect(JSON.parse(server.requests[0].body)).toEqual({
      granularity: 'lum',
      data_dimensionality: 2,
      file_format: 'csv',
    });
    expect(server.requests[0].headers['content-type']).toBe('application/json');
  });

  it('start_parsing reports a 400 bare-string body as the message', async () => {
    const { client } = await setup((_q, res) =>
      sendJson(res, 400, capture('35_start_parsing_already_parsed.json').body),
    );
    await expect(
      client.startParsing(1, { granularity: 'lum', dataDimensionality: 1, fileFormat: 'csv' }),
    ).rejects.toThrow(/HistogramDataFile with pk 1 is already parsed \(HTTP 400 from POST .*\/start_parsing\/\)/);
  });

  it('discover: 202 for an admin, AuthError for others', async () => {
    const { client } = await setup((req, res) =>
      req.headers.authorization === `Token ${TOKEN}`
        ? void res.writeHead(202).end()
        : sendJson(res, 403, capture('08_discover_as_nonadmin.json').body),
    );
    await client.discover();
    const other = createClient({ baseUrl: server!.url, token: 'someone-else' });
    try {
      await expect(other.discover()).rejects.toMatchObject({ code: 'E_AUTH_FORBIDDEN', kind: 'auth' });
    } finally {
      await other.close();
    }
  });

  it('delete: 204 done; 404 on the first attempt is an error; 404 after a lost response is done', async () => {
    let deleted = false;
    const { client, server } = await setup((req, res, _b, n) => {
      if (req.url?.endsWith('/5/')) {
        if (deleted) return sendJson(res, 404, { detail: 'Not found.' });
        deleted = true;
        if (n === 0) return void req.socket.destroy();
        return void res.writeHead(204).end();
      }
      if (req.url?.endsWith('/6/')) return void res.writeHead(204).end();
      sendJson(res, 404, { detail: 'Not found.' });
    });
    await client.deleteHistogram(1, 5);
    await client.deleteHistogram(2, 6);
    await expect(client.deleteHistogram(1, 7)).rejects.toMatchObject({ code: 'E_HTTP_404' });
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'DELETE /api/lumisection_histograms_1d/5/',
      'DELETE /api/lumisection_histograms_1d/5/',
      'DELETE /api/lumisection_histograms_2d/6/',
      'DELETE /api/lumisection_histograms_1d/7/',
    ]);
  });
});

describe('waitForDataFile', () => {
  const file = (processed: number, total = 240): HistogramDataFile => ({
    ...capture('126_histogram_data_file_detail.json').body,
    entries_processed: processed,
    entries_total: total,
    percentage_processed: Math.round((processed / total) * 1000) / 10,
  });

  it('polls with a fresh cache buster each time until 100 %, reporting progress', async () => {
    const sequence = [0, 60, 120, 240];
    const { client, server } = await setup((_q, res, _b, n) => sendJson(res, 200, file(sequence[Math.min(n, 3)])));
    const seen: ParseProgress[] = [];
    const done = await client.waitForDataFile(3, { pollMs: 5, onProgress: (p) => seen.push(p) });
    expect(done.percentage_processed).toBe(100);
    expect(seen.map((p) => p.percentage)).toEqual([0, 25, 50, 100]);
    const busters = server.requests.map((r) => new URL(r.url, 'http://x').searchParams.get('_'));
    expect(new Set(busters).size).toBe(4);
    expect(server.requests[0].url).toMatch(/^\/api\/histogram_data_files\/3\/\?_=/);
  });

  it('reports a stalled parse instead of waiting for ever', async () => {
    const { client } = await setup((_q, res) => sendJson(res, 200, file(0)));
    await expect(client.waitForDataFile(4, { pollMs: 5, stallMs: 60, timeoutMs: 10_000 })).rejects.toMatchObject({
      code: 'E_PARSE_STALLED',
      message: expect.stringMatching(/no progress for \d+ s, stuck at 0 % \(0 of 240 entries\)/),
    });
  });

  it('times out a slow parse that still moves', async () => {
    const { client } = await setup((_q, res, _b, n) => sendJson(res, 200, file(Math.min(n + 1, 239))));
    await expect(client.waitForDataFile(3, { pollMs: 5, stallMs: 10_000, timeoutMs: 80 })).rejects.toMatchObject({
      code: 'E_PARSE_TIMEOUT',
    });
  });
});

describe('TLS', () => {
  it('verifies certificates by default and trusts a site CA given as caFile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dqm-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    const https = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_q, res) =>
      sendJson(res, 200, capture('60_run_detail.json').body),
    );
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(https.address() as { port: number }).port}`;
    const untrusting = createClient({ baseUrl: url, token: TOKEN, maxRetries: 0 });
    const trusting = createClient({ baseUrl: url, token: TOKEN, caFile: cert });
    try {
      await expect(untrusting.getRun(315705)).rejects.toMatchObject({
        code: 'E_TLS',
        message: expect.stringContaining('caFile'),
      });
      expect(await trusting.getRun(315705)).toMatchObject({ run_number: 315705 });
    } finally {
      await untrusting.close();
      await trusting.close();
      https.closeAllConnections();
      await new Promise((r) => https.close(r));
    }
  });
});
