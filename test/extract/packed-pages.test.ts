/**
 * `listPage` / `listNext` with `packedHistograms`: histogram pages from a real local server arrive
 * with typed `data` equal to the plain listing; other endpoints and calls without the option keep
 * JS arrays; a body the decoder cannot read is retried like any bad body.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/extract/client.js';
import type { DqmClient } from '../../src/extract/types.js';
import { PackedHistogramData } from '../../src/histogram-values.js';
import { sendJson, startTestServer, type TestServer } from './http-server.js';

const capture = (name: string): unknown =>
  (JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'captures', name), 'utf8')) as { body: unknown })
    .body;

let server: TestServer | undefined;
let client: DqmClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

async function serve(bodies: Record<string, () => string>): Promise<DqmClient> {
  server = await startTestServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const body = bodies[path];
    if (!body) return sendJson(res, 404, { detail: 'Not found.' });
    const text = body();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  client = createClient({ baseUrl: server.url, token: 'tok-5e1f', maxRetries: 2, retryBaseMs: 1, retryMaxMs: 2 });
  return client;
}

describe('packed histogram pages', () => {
  it('2D and 1D pages: typed data with the same JSON as the plain listing', async () => {
    const h2d = JSON.stringify(capture('90_h2d_list.json'));
    const h1d = JSON.stringify(capture('70_h1d_list.json'));
    const c = await serve({
      '/api/lumisection_histograms_2d/': () => h2d,
      '/api/lumisection_histograms_1d/': () => h1d,
    });
    for (const endpoint of ['lumisection_histograms_2d', 'lumisection_histograms_1d'] as const) {
      const plain = await c.listPage(endpoint, {}, 1);
      const packed = await c.listPage(endpoint, {}, 1, { packedHistograms: true });
      expect(plain.records[0]!.data).toBeInstanceOf(Array);
      expect(packed.records.every((r) => r.data instanceof PackedHistogramData)).toBe(true);
      expect(JSON.stringify(packed.records)).toBe(JSON.stringify(plain.records));
      expect(packed.total).toBe(plain.total);
      const next = await c.listNext(endpoint, `/api/${endpoint}/?page=2`, { packedHistograms: true });
      expect(next.records[0]!.data).toBeInstanceOf(PackedHistogramData);
    }
  });

  it('other endpoints ignore the option', async () => {
    const runs = JSON.stringify({ next: null, previous: null, total: 1, results: [{ run_number: 1, data: [1.0] }] });
    const c = await serve({ '/api/runs/': () => runs });
    const page = await c.listPage('runs', {}, 1, { packedHistograms: true });
    expect((page.records[0] as unknown as { data: unknown }).data).toEqual([1]);
  });

  it('a cut-short page is retried, then decoded', async () => {
    const text = JSON.stringify(capture('90_h2d_list.json'));
    let n = 0;
    const c = await serve({ '/api/lumisection_histograms_2d/': () => (n++ === 0 ? text.slice(0, 5000) : text) });
    const page = await c.listPage('lumisection_histograms_2d', {}, 1, { packedHistograms: true });
    expect(page.retries).toBe(1);
    expect(page.records[0]!.data).toBeInstanceOf(PackedHistogramData);
  });
});
