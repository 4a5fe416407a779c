/** `--synthetic`: deterministic generated histograms, arithmetic ids, totals and filters. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSyntheticSpec, syntheticHistogram, type RunningServer } from '../../src/server/index.js';
import { apiRequest, withServer } from '../helpers/server.js';

const SPEC = 'runs=4,ls=30,titles=3,dim=2,x=8,y=5,run0=1000';
type Page = {
  total: number;
  next: string | null;
  results: Array<{ id: number; run: number; lumisection: number; title: string; entries: number; data: number[][] }>;
};

let a: RunningServer;
let b: RunningServer;
beforeAll(async () => {
  [a, b] = await Promise.all([
    withServer({ synthetic: SPEC }),
    withServer({ synthetic: parseSyntheticSpec(SPEC), seed: 99 }),
  ]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

async function page(path: string): Promise<Page> {
  const res = await apiRequest(a, path);
  expect(res.status, res.text).toBe(200);
  return res.json as Page;
}

async function all(path: string): Promise<Page['results']> {
  const out: Page['results'] = [];
  let next: string | null = path;
  while (next) {
    const p: Page = await page(next);
    out.push(...p.results);
    next = p.next;
  }
  return out;
}

describe('synthetic data', () => {
  it('is the same bytes on every server and request, and equals syntheticHistogram()', async () => {
    const path = '/api/lumisection_histograms_2d/?page=3';
    const [x, y] = await Promise.all([apiRequest(a, path), apiRequest(b, path)]);
    expect(x.text).toBe(y.text);
    for (const id of [1, 2, 77, 360]) {
      const detail = await apiRequest(a, `/api/lumisection_histograms_2d/${id}/`);
      expect(detail.json).toEqual(syntheticHistogram(SPEC, id));
    }
    expect((await apiRequest(a, '/api/lumisection_histograms_2d/361/')).status).toBe(404);
  });

  it('has runs x LS x titles histograms in id order, entries = sum of the bins, shapes from the spec', async () => {
    const h = await all('/api/lumisection_histograms_2d/');
    expect(h).toHaveLength(360);
    expect(h.map((r) => r.id)).toEqual(Array.from({ length: 360 }, (_, i) => i + 1));
    expect(h[0]).toMatchObject({ run: 1000, lumisection: 1, title: 'synthetic_2d_1' });
    expect(h[4]).toMatchObject({ run: 1000, lumisection: 2, title: 'synthetic_2d_2' });
    for (const r of h.slice(0, 20)) {
      expect(r.data).toHaveLength(5);
      expect(r.data.every((row) => row.length === 8)).toBe(true);
      expect(r.entries).toBe(r.data.flat().reduce((s, v) => s + v, 0));
    }
    expect(new Set(h.map((r) => JSON.stringify(r.data))).size).toBeGreaterThan(300);
    expect((await page('/api/lumisection_histograms_1d/')).total).toBe(0);
  });

  it('renders bins as Python floats', async () => {
    const res = await apiRequest(a, '/api/lumisection_histograms_2d/1/');
    expect(res.text).toMatch(/"data":\[\[\d+\.0,/);
    expect(res.text).toContain(
      '"x_min":-26.7,"x_max":26.7,"x_bin":8,"y_max":3.14159,"y_min":-3.14159,"y_bin":5,"source_data_file":1}',
    );
  });

  const filterCases: Array<[string, (h: { run: number; lumisection: number; title: string }) => boolean]> = [
    ['lumisection__run__run_number=1002', (h) => h.run === 1002],
    [
      'lumisection__run__run_number__gte=1001&lumisection__run__run_number__lte=1002',
      (h) => h.run >= 1001 && h.run <= 1002,
    ],
    ['lumisection__run__run_number__in=1003,1000,999', (h) => h.run === 1000 || h.run === 1003],
    ['lumisection__ls_number=7', (h) => h.lumisection === 7],
    ['lumisection__ls_number__gte=29', (h) => h.lumisection >= 29],
    ['lumisection__ls_number__lte=2.5', (h) => h.lumisection <= 2],
    ['lumisection__ls_number__in=3,1', (h) => h.lumisection === 1 || h.lumisection === 3],
    ['title=synthetic_2d_3&title=synthetic_2d_1', (h) => h.title !== 'synthetic_2d_2'],
    [
      'lumisection__run__run_number=1001&lumisection__ls_number__lte=3&title=synthetic_2d_2',
      (h) => h.run === 1001 && h.lumisection <= 3 && h.title === 'synthetic_2d_2',
    ],
    ['lumisection__run__run_number=1001.5', () => false],
    ['source_data_file=1', () => true],
    ['source_data_file__filepath__contains=nope', () => false],
  ];

  it.each(filterCases)('filters arithmetically: %s', async (query, keep) => {
    const everything = Array.from({ length: 360 }, (_, i) => syntheticHistogram(SPEC, i + 1)!);
    const expected = everything.filter(keep).map((h) => h.id);
    const got = await all(`/api/lumisection_histograms_2d/?${query}`);
    expect(got.map((h) => h.id)).toEqual(expected);
  });

  it('filters on entries by scanning', async () => {
    const everything = Array.from({ length: 360 }, (_, i) => syntheticHistogram(SPEC, i + 1)!);
    const sorted = everything.map((h) => h.entries).sort((x, y) => x - y);
    const cut = sorted[180];
    const got = await all(`/api/lumisection_histograms_2d/?entries__gte=${cut}&lumisection__ls_number__lte=10`);
    expect(got.map((h) => h.id)).toEqual(
      everything.filter((h) => h.entries >= cut && h.lumisection <= 10).map((h) => h.id),
    );
  });

  it('rejects unknown titles and bad numbers like the real server', async () => {
    expect((await apiRequest(a, '/api/lumisection_histograms_2d/?title=x')).status).toBe(400);
    expect((await apiRequest(a, '/api/lumisection_histograms_2d/?lumisection__ls_number=x')).json).toEqual({
      lumisection__ls_number: ['Enter a number.'],
    });
    expect((await apiRequest(a, '/api/lumisection_histograms_2d/?lumisection__ls_number__in=1,x')).status).toBe(500);
  });

  it('has consistent runs, lumisections and data file', async () => {
    expect((await all('/api/runs/')).map((r) => (r as unknown as { run_number: number }).run_number)).toEqual([
      1000, 1001, 1002, 1003,
    ]);
    expect((await apiRequest(a, '/api/runs/1002/')).json).toMatchObject({ run_number: 1002 });
    expect((await apiRequest(a, '/api/runs/1004/')).status).toBe(404);
    const ls = (await all('/api/lumisections/')) as unknown as Array<{ run: number; ls_number: number; date: string }>;
    expect(ls).toHaveLength(120);
    expect(ls[31]).toMatchObject({ run: 1001, ls_number: 2 });
    expect((await apiRequest(a, '/api/lumisections/32/')).json).toEqual(ls[31]);
    expect((await page(`/api/lumisections/?run=1003&ls_number=30`)).total).toBe(1);
    expect((await page(`/api/lumisections/?date=${encodeURIComponent(ls[31].date)}`)).results).toEqual([ls[31]]);
    const runs = (await page('/api/runs/')).results as unknown as Array<{ date: string }>;
    expect((await page(`/api/runs/?date=${encodeURIComponent(runs[2].date)}`)).results).toEqual([runs[2]]);
    expect((await page('/api/runs/?year=2018')).total).toBe(0);
    const files = await page('/api/histogram_data_files/');
    expect(files.results).toHaveLength(1);
    expect(files.results[0]).toMatchObject({
      id: 1,
      entries_total: 360,
      entries_processed: 360,
      percentage_processed: 100,
      lumisection_histograms_2d: 360,
    });
  });

  it('is read-only', async () => {
    expect((await apiRequest(a, '/api/runs/', { method: 'POST', body: { run_number: 5 } })).status).toBe(405);
    expect((await apiRequest(a, '/api/lumisection_histograms_2d/3/', { method: 'DELETE' })).status).toBe(405);
    expect(
      (
        await apiRequest(a, '/api/histogram_data_files/1/start_parsing/', {
          method: 'POST',
          body: { granularity: 'lum', data_dimensionality: 2, file_format: 'csv' },
        })
      ).json,
    ).toBe('HistogramDataFile with pk 1 is already parsed');
  });

  it('assembles full-size 72 x 56 histograms from pre-joined row blocks, identically to syntheticHistogram()', async () => {
    const spec = 'runs=2,ls=3,titles=2';
    const s = await withServer({ synthetic: spec });
    try {
      const page = (await apiRequest(s, '/api/lumisection_histograms_2d/')).json as Page;
      expect(page.total).toBe(12);
      for (const h of page.results) {
        expect(h).toEqual(syntheticHistogram(spec, h.id));
        expect(h.data).toHaveLength(72);
        expect(h.data.every((row) => row.length === 56)).toBe(true);
      }
      expect(new Set(page.results.map((h) => JSON.stringify(h.data))).size).toBe(12);
    } finally {
      await s.close();
    }
  });

  it('scales without memory: a million histograms, any page', async () => {
    const big = await withServer({ synthetic: 'runs=1000,ls=500,titles=2,dim=1,x=100' });
    try {
      const last = (await apiRequest(big, '/api/lumisection_histograms_1d/?page=last')).json as Page;
      expect(last.total).toBe(1_000_000);
      expect(last.results.at(-1)).toMatchObject({
        id: 1_000_000,
        run: 300999,
        lumisection: 500,
        title: 'synthetic_1d_2',
      });
      expect(last.results.at(-1)).toEqual(syntheticHistogram('runs=1000,ls=500,titles=2,dim=1,x=100', 1_000_000));
    } finally {
      await big.close();
    }
  });
});

describe('parseSyntheticSpec', () => {
  it('fills defaults and checks values', () => {
    expect(parseSyntheticSpec('runs=2')).toMatchObject({ runs: 2, ls: 100, titles: 2, dim: 2, x: 56, y: 72 });
    expect(parseSyntheticSpec('dim=1')).toMatchObject({ dim: 1, x: 100 });
    for (const bad of ['runs=0', 'dim=3', 'foo=1', 'x=abc', 'runs'])
      expect(() => parseSyntheticSpec(bad)).toThrow(/--synthetic/);
  });
});
