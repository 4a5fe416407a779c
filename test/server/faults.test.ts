/** Fault options: each one on its own, at rate 1 (every faultable request) and reproducible by seed. */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer, ServerOptions } from '../../src/server/index.js';
import { apiRequest, withServer } from '../helpers/server.js';

const servers: RunningServer[] = [];
async function serve(options: ServerOptions): Promise<RunningServer> {
  const s = await withServer(options);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Fetches `path` and reports how it ended: a status and whether the body parsed, or the error. */
async function outcome(s: RunningServer, path: string): Promise<{ status?: number; parsed?: boolean; error?: string }> {
  try {
    const res = await request(s.url + path, { headers: { Authorization: `Token ${s.adminToken}` } });
    const text = await res.body.text();
    try {
      JSON.parse(text);
      return { status: res.statusCode, parsed: true };
    } catch {
      return { status: res.statusCode, parsed: false };
    }
  } catch (err) {
    return { error: (err as Error & { code?: string }).code ?? (err as Error).message };
  }
}

describe('--fail-rate', () => {
  it('at 1, fails every list/detail GET with 500, 502, 503 or 429 (Retry-After 0 or 1), reproducibly by seed', async () => {
    const statuses = async (seed: number): Promise<number[]> => {
      const s = await serve({ failRate: 1, seed });
      const out: number[] = [];
      for (let i = 0; i < 24; i++) {
        const res = await apiRequest(s, i % 2 ? '/api/runs/' : '/api/lumisection_histograms_1d/1/');
        out.push(res.status);
        if (res.status === 429) {
          expect(['0', '1']).toContain(res.headers['retry-after']);
          expect(res.json).toMatchObject({
            detail: expect.stringMatching(/^Request was throttled\. Expected available in [01] seconds?\.$/),
          });
        } else {
          expect(res.headers['content-type']).toBe('text/html');
        }
      }
      return out;
    };
    const a = await statuses(7);
    expect(new Set(a)).toEqual(new Set([500, 502, 503, 429]));
    expect(await statuses(7)).toEqual(a);
    expect(await statuses(8)).not.toEqual(a);
  });

  it('leaves actions and writes alone', async () => {
    const s = await serve({ failRate: 1 });
    expect((await apiRequest(s, '/api/runs/', { method: 'POST', body: { run_number: 1 } })).status).toBe(201);
    expect((await apiRequest(s, '/api/histogram_data_files/discover/')).status).toBe(202);
    expect((await apiRequest(s, '/api/lumisection_histograms_1d/5/', { method: 'DELETE' })).status).toBe(204);
    expect((await apiRequest(s, '/api/')).status).toBe(200);
  });
});

describe('--reset-rate and --truncate-rate', () => {
  it('reset at 1: every response is cut by a connection reset', async () => {
    const s = await serve({ resetRate: 1 });
    for (let i = 0; i < 5; i++) {
      const o = await outcome(s, '/api/lumisection_histograms_2d/?page=2');
      expect(o.parsed, JSON.stringify(o)).not.toBe(true);
      expect(o.error).toBeDefined();
    }
  });

  it('truncate at 1: the client sees a premature close or a body that is not JSON', async () => {
    const s = await serve({ truncateRate: 1, seed: 3 });
    const kinds = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const o = await outcome(s, '/api/lumisection_histograms_1d/');
      expect(o.parsed, JSON.stringify(o)).not.toBe(true);
      kinds.add(o.error ? 'closed' : 'cut');
    }
    expect(kinds).toEqual(new Set(['closed', 'cut']));
  });

  it('HEAD requests are never cut', async () => {
    const s = await serve({ truncateRate: 1 });
    const res = await request(`${s.url}/api/runs/`, {
      method: 'HEAD',
      headers: { Authorization: `Token ${s.adminToken}` },
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('');
  });
});

describe('--latency-ms', () => {
  it('delays faultable responses by at least the latency', async () => {
    const s = await serve({ latencyMs: 80 });
    const t0 = performance.now();
    expect((await apiRequest(s, '/api/runs/')).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
  });
});

describe('--shuffle', () => {
  it('gives every request its own order, so sequential pages overlap and skip rows', async () => {
    const s = await serve({ shuffle: true, seed: 5 });
    const ids = async (page: number): Promise<number[]> =>
      (
        (await apiRequest(s, `/api/lumisection_histograms_2d/?page=${page}`)).json as { results: Array<{ id: number }> }
      ).results.map((h) => h.id);
    const first = await ids(1);
    expect(await ids(1)).not.toEqual(first);
    const seen: number[] = [];
    for (let page = 1; page <= 5; page++) seen.push(...(await ids(page)));
    expect(seen).toHaveLength(240);
    expect(new Set(seen).size).toBeLessThan(240);
    // Totals and details are unaffected.
    expect((await apiRequest(s, '/api/lumisection_histograms_2d/')).json).toMatchObject({ total: 240 });
    expect((await apiRequest(s, '/api/lumisection_histograms_2d/7/')).json).toMatchObject({ id: 7 });
  });

  it('leaves ordered endpoints ordered', async () => {
    const s = await serve({ shuffle: true });
    const runs = ((await apiRequest(s, '/api/runs/')).json as { results: Array<{ run_number: number }> }).results.map(
      (r) => r.run_number,
    );
    expect(runs).toEqual([315488, 315705, 315713, 316457]);
  });
});

describe('--envelope and --page-size', () => {
  it('count envelope is stock DRF', async () => {
    const s = await serve({ envelope: 'count' });
    const res = await apiRequest(s, '/api/lumisection_histograms_1d/');
    expect(Object.keys(res.json as object)).toEqual(['count', 'next', 'previous', 'results']);
    expect(res.json).toMatchObject({ count: 249, next: '/api/lumisection_histograms_1d/?page=2', previous: null });
  });

  it('page size changes per_page, total_pages and the links', async () => {
    const s = await serve({ pageSize: 100 });
    const res = await apiRequest(s, '/api/lumisection_histograms_1d/?page=3');
    expect(res.text).toContain('"per_page":100,"total_pages":2.5,');
    expect(res.json).toMatchObject({ total: 249, next: null, previous: '/api/lumisection_histograms_1d/?page=2' });
    expect((res.json as { results: unknown[] }).results).toHaveLength(49);
  });
});
