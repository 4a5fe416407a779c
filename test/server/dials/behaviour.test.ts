/**
 * DIALS server behaviour beyond the captures: completeness counts agree with the rows, the
 * gateway-timeout simulation, faults on data routes only, synthetic data (2D `data` y-outer),
 * and the derived mapping of the bundled ML4DQM sample files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src/server/index.js';
import { CAPTURE_TOKEN, startDialsFixtureServer } from '../../helpers/dials.js';

type Page<T> = { next: string | null; previous: string | null; results: T[] };

async function get<T>(url: string, token: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  const text = await res.text();
  return {
    status: res.status,
    body: (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as T) : (text as T),
  };
}

async function walk<T>(first: string, token: string): Promise<T[]> {
  const out: T[] = [];
  for (let url: string | null = first; url;) {
    const { body }: { body: Page<T> } = await get<Page<T>>(url, token);
    out.push(...body.results);
    url = body.next;
  }
  return out;
}

describe('fixture data', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startDialsFixtureServer({ gatewayTimeoutBytes: 1_000_000 });
  }, 120_000);
  afterAll(async () => server?.close());

  it('run ls_count and lumisection th1_count/th2_count agree with a full cursor walk of th1 and th2', async () => {
    const fields = 'fields=dataset_id,run_number,ls_number,me_id';
    const th1 = await walk<Record<string, number>>(`${server.url}/api/v1/th1/?page_size=500&${fields}`, CAPTURE_TOKEN);
    const th2 = await walk<Record<string, number>>(`${server.url}/api/v1/th2/?page_size=7&${fields}`, CAPTURE_TOKEN);
    expect([th1.length, th2.length]).toEqual([600, 600]);
    const keys = th2.map((r) => `${r.dataset_id}:${r.run_number}:${r.ls_number}:${r.me_id}`);
    expect(new Set(keys).size).toBe(600);
    const ls = await walk<Record<string, number>>(`${server.url}/api/v1/lumisection/?page_size=500`, CAPTURE_TOKEN);
    const count = (rows: Array<Record<string, number>>, l: Record<string, number>): number =>
      rows.filter((r) => r.dataset_id === l.dataset_id && r.run_number === l.run_number && r.ls_number === l.ls_number)
        .length;
    for (const l of ls) expect([l.th1_count, l.th2_count]).toEqual([count(th1, l), count(th2, l)]);
    const runs = await walk<Record<string, number>>(`${server.url}/api/v1/run/`, CAPTURE_TOKEN);
    for (const r of runs)
      expect(r.ls_count).toBe(ls.filter((l) => l.dataset_id === r.dataset_id && l.run_number === r.run_number).length);
    expect((await get<{ count: number }>(`${server.url}/api/v1/lumisection/count/`, CAPTURE_TOKEN)).body.count).toBe(
      ls.length,
    );
  });

  it('answers 504 then 502 for data pages over --gateway-timeout-bytes, and the same position with a smaller page_size', async () => {
    const big = await get<string>(`${server.url}/api/v1/th2/?page_size=100&me_id=3`, CAPTURE_TOKEN);
    expect(big.status).toBe(504);
    const again = await get<string>(`${server.url}/api/v1/th2/?page_size=100&me_id=3`, CAPTURE_TOKEN);
    expect(again.status).toBe(502);
    expect(String(again.body)).toContain('502 Bad Gateway');
    const small = await get<Page<{ data: number[][]; y_bin: number; x_bin: number }>>(
      `${server.url}/api/v1/th2/?page_size=20&me_id=3`,
      CAPTURE_TOKEN,
    );
    expect(small.status).toBe(200);
    expect(small.body.results).toHaveLength(20);
    // y-outer: data[iy][ix], y_bin rows of x_bin values.
    for (const r of small.body.results) expect([r.data.length, r.data[0].length]).toEqual([r.y_bin, r.x_bin]);
  });

  it('an unknown or wrong-case Workspace is a 404; other workspaces are empty', async () => {
    for (const ws of ['x', 'Tracker']) {
      const res = await fetch(`${server.url}/api/v1/th1/`, {
        headers: { Authorization: `Bearer ${CAPTURE_TOKEN}`, Workspace: ws },
      });
      expect([res.status, await res.json()]).toEqual([404, { detail: `Workspace '${ws}' not found` }]);
    }
    const ecal = await fetch(`${server.url}/api/v1/th1/`, {
      headers: { Authorization: `Bearer ${CAPTURE_TOKEN}`, Workspace: 'ecal' },
    });
    expect(await ecal.json()).toEqual({ next: null, previous: null, results: [] });
  });
});

describe('faults', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({
      api: 'dials',
      port: 0,
      failRate: 1,
      seed: 3,
      synthetic: 'runs=2,ls=3,titles=2,dim=1,x=5',
    });
  }, 60_000);
  afterAll(async () => server?.close());

  it('hit data routes only: the root, auth and device routes stay reliable', async () => {
    const token = server.dialsToken!;
    const data = await Promise.all(
      ['th1/', 'run/', 'run/count/', 'mes/'].map(async (p) => (await get(`${server.url}/api/v1/${p}`, token)).status),
    );
    for (const s of data) expect([500, 502, 503, 429]).toContain(s);
    expect((await get(`${server.url}/api/v1/`, token)).status).toBe(200);
    expect((await get(`${server.url}/api/v1/auth/workspaces/`, token)).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/auth/new-device/`)).status).toBe(200);
  });
});

describe('synthetic and sample data', () => {
  it('serves --synthetic as one dataset with MEs in title order and y-outer 2D data', async () => {
    const server = await startServer({
      api: 'dials',
      port: 0,
      synthetic: 'runs=2,ls=3,titles=2,dim=2,x=4,y=3,run0=100',
    });
    try {
      const token = server.dialsToken!;
      const rows = await walk<Record<string, unknown>>(`${server.url}/api/v1/th2/?page_size=4`, token);
      expect(rows).toHaveLength(12);
      expect(Object.keys(rows[0])).toEqual([
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
        'data',
      ]);
      expect(rows[0]).toMatchObject({
        dataset_id: 1,
        dataset: '/Synthetic/Local-v1/DQMIO',
        me: 'synthetic_2d_1',
        me_id: 1,
        run_number: 100,
        ls_number: 1,
        x_bin: 4,
        y_bin: 3,
      });
      const data = rows[0].data as number[][];
      expect([data.length, data[0].length]).toEqual([3, 4]);
      expect((await get<unknown[]>(`${server.url}/api/v1/th1/`, token)).body).toEqual({
        next: null,
        previous: null,
        results: [],
      });
      expect((await get<unknown[]>(`${server.url}/api/v1/mes/`, token)).body).toEqual([
        { me_id: 1, me: 'synthetic_2d_1', count: 6, dim: 2 },
        { me_id: 2, me: 'synthetic_2d_2', count: 6, dim: 2 },
      ]);
    } finally {
      await server.close();
    }
  });

  it('derives datasets and files from the sample CSV file names', async () => {
    const server = await startServer({ api: 'dials', port: 0 });
    try {
      const token = server.dialsToken!;
      const datasets = (await get<Page<Record<string, unknown>>>(`${server.url}/api/v1/dataset-index/`, token)).body
        .results;
      expect(datasets.map((d) => [d.dataset_id, d.dataset, d.era])).toEqual([
        [1, '/ZeroBias/Run2018A-v1/DQMIO', 'Run2018A'],
      ]);
      const files = (await get<Page<Record<string, unknown>>>(`${server.url}/api/v1/file-index/`, token)).body.results;
      expect(files.map((f) => [f.file_id, f.status, f.logical_file_name])).toEqual([
        [1, 'FINISHED', '/store/local/ZeroBias_2018A_DataFrame_1D_2.csv'],
        [2, 'FINISHED', '/store/local/ZeroBias_2018A_DataFrame_1D_synthetic.csv'],
        [3, 'FINISHED', '/store/local/ZeroBias_2018A_DataFrame_2D_synthetic.csv'],
      ]);
    } finally {
      await server.close();
    }
  });
});
