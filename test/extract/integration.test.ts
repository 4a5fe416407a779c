/**
 * End to end against the project's local DQM Playground server: every endpoint, every filter and
 * every slicing, once on a fault-free server and once on a hostile one (random order per request,
 * 10 % failures incl. 429 with Retry-After, resets, truncated bodies, the stock `count` envelope, small
 * pages, latency). Both runs must yield exactly the same ids, each exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Endpoint, Filters } from '../../src/domain.js';
import {
  createClient,
  extractSlices,
  loadPlanContext,
  planSlices,
  type DqmClient,
  type SliceDimension,
  type StreamSpec,
} from '../../src/extract/index.js';
import { startServer, type ServerOptions } from '../../src/server/index.js';

type Running = Awaited<ReturnType<typeof startServer>>;

const HOSTILE: ServerOptions = {
  shuffle: true,
  failRate: 0.1,
  resetRate: 0.05,
  truncateRate: 0.05,
  envelope: 'count',
  pageSize: 20,
  latencyMs: 1,
  jitterMs: 4,
  seed: 7,
};

interface Pair {
  clean: Running;
  hostile: Running;
  cleanClient: DqmClient;
  hostileClient: DqmClient;
}

async function startPair(data: ServerOptions): Promise<Pair> {
  const clean = await startServer({ port: 0, ...data });
  const hostile = await startServer({ port: 0, ...data, ...HOSTILE });
  const options = { concurrency: 8, maxRetries: 12, retryBaseMs: 2, retryMaxMs: 20 };
  return {
    clean,
    hostile,
    cleanClient: createClient({ baseUrl: clean.url, token: clean.adminToken, ...options }),
    hostileClient: createClient({ baseUrl: hostile.url, token: hostile.adminToken, ...options }),
  };
}

async function closePair(p: Pair | undefined): Promise<void> {
  if (!p) return;
  await Promise.all([p.cleanClient.close(), p.hostileClient.close()]);
  await Promise.all([p.clean.close(), p.hostile.close()]);
}

const idOf = (endpoint: Endpoint, r: Record<string, number>): string =>
  endpoint === 'runs' ? String(r.run_number) : endpoint === 'lumisections' ? `${r.run}:${r.ls_number}` : String(r.id);

/** Runs a stream and returns its ids, checking that no id repeats and that every slice matched its total. */
const repairs = new Map<string, number>();

async function exportIds(client: DqmClient, stream: StreamSpec): Promise<string[]> {
  const slices = planSlices(stream, await loadPlanContext(client, stream));
  const ids: string[] = [];
  let totals = 0;
  for await (const event of extractSlices(client, slices)) {
    if (event.type === 'batch')
      for (const r of event.records) ids.push(idOf(stream.endpoint, r as unknown as Record<string, number>));
    else {
      totals += event.report.total ?? NaN;
      repairs.set(client.baseUrl, (repairs.get(client.baseUrl) ?? 0) + event.report.repairs);
    }
  }
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBe(totals);
  return ids.sort();
}

type Case = [name: string, endpoint: Endpoint, filters: Filters, sliceBy: SliceDimension[], minimum: number];

const H1 = 'lumisection_histograms_1d';
const H2 = 'lumisection_histograms_2d';
const SAMPLE_CASES: Case[] = [
  ['runs', 'runs', {}, [], 4],
  ['runs by run_number', 'runs', { run_number: 315705 }, [], 1],
  ['lumisections per run', 'lumisections', {}, ['run'], 121],
  ['lumisections of one run', 'lumisections', { run: 315713 }, [], 40],
  ['lumisections by ls_number', 'lumisections', { ls_number: 7 }, [], 3],
  ['1D all, one slice', H1, {}, [], 249],
  ['1D per run', H1, {}, ['run'], 249],
  ['1D run ranges', H1, {}, ['run-range'], 249],
  ['1D run exact', H1, { lumisection__run__run_number: 315705 }, [], 80],
  [
    '1D run gte + ls lte per run',
    H1,
    { lumisection__run__run_number__gte: 315705, lumisection__ls_number__lte: 30 },
    ['run'],
    180,
  ],
  ['1D run lte', H1, { lumisection__run__run_number__lte: 315705 }, [], 89],
  [
    '1D run in + ls in',
    H1,
    { lumisection__run__run_number__in: [315488, 315713], lumisection__ls_number__in: [229, 1, 2, 3] },
    [],
    15,
  ],
  ['1D ls exact', H1, { lumisection__ls_number: 7 }, [], 6],
  ['1D ls gte', H1, { lumisection__ls_number__gte: 35 }, ['run'], 30],
  ['1D entries range', H1, { entries__gte: 1, entries__lte: 100000000 }, [], 1],
  [
    '1D titles repeated, per title',
    H1,
    { title: ['NormalizedHitResiduals_TEC__wheel__1', 'Summary_ClusterStoNCorr__OnTrack__TEC__PLUS__wheel__1'] },
    ['title'],
    120,
  ],
  [
    '1D titles per run x title',
    H1,
    { title: ['NormalizedHitResiduals_TEC__wheel__1', 'NormalizedHitResiduals_TEC__wheel__8'] },
    ['run', 'title'],
    121,
  ],
  ['1D source_data_file', H1, { source_data_file: 1 }, [], 9],
  ['1D source_data_file path', H1, { source_data_file__filepath__contains: '1D_synthetic' }, ['run'], 240],
  ['2D per run', H2, {}, ['run'], 240],
  ['2D one slice, title', H2, { title: ['clusterposition_zphi_ontrack_PXLayer_2'] }, [], 120],
  [
    '2D run + ls range',
    H2,
    { lumisection__run__run_number: 316457, lumisection__ls_number__gte: 5, lumisection__ls_number__lte: 25 },
    [],
    42,
  ],
  ['data files', 'histogram_data_files', {}, [], 3],
  [
    'data files by path and dimensionality',
    'histogram_data_files',
    { filepath__contains: 'synthetic', data_dimensionality: '1' },
    [],
    1,
  ],
];

describe('against the local server (sample CSV data)', () => {
  let pair: Pair | undefined;
  beforeAll(async () => {
    pair = await startPair({});
  });
  afterAll(() => closePair(pair));

  it.each(SAMPLE_CASES)(
    '%s: same ids, each once, with and without faults',
    async (_name, endpoint, filters, sliceBy, minimum) => {
      const stream: StreamSpec = { endpoint, filters, sliceBy, runsPerSlice: 2 };
      const expected = await exportIds(pair!.cleanClient, stream);
      expect(expected.length).toBeGreaterThanOrEqual(minimum);
      const got = await exportIds(pair!.hostileClient, stream);
      expect(got).toEqual(expected);
    },
  );

  it('the hostile server did inject faults, and the client counted them', () => {
    const s = pair!.hostileClient.stats;
    const retried = Object.values(s.retries).reduce((a, b) => a + b, 0);
    expect(retried).toBeGreaterThan(20);
    expect(s.retries['status-5xx'] + s.retries['status-429']).toBeGreaterThan(0);
    expect(s.retries.reset + s.retries.truncated + s.retries['bad-body']).toBeGreaterThan(0);
    expect(s.failures).toBe(0);
    // Shuffled pages overlap and skip: the repair path ran; the ordered clean server never needed it.
    expect(repairs.get(pair!.hostileClient.baseUrl)).toBeGreaterThan(0);
    expect(repairs.get(pair!.cleanClient.baseUrl)).toBe(0);
  });
});

describe('against the local server (synthetic data, many titles)', () => {
  let pair: Pair | undefined;
  beforeAll(async () => {
    pair = await startPair({ synthetic: 'runs=6,ls=60,titles=3,dim=1,x=10' });
  });
  afterAll(() => closePair(pair));

  it.each([
    ['per run', {}, ['run'] as SliceDimension[]],
    ['unsliced', {}, [] as SliceDimension[]],
    ['run range', {}, ['run-range'] as SliceDimension[]],
  ])('1D %s: 1080 histograms, each once', async (_name, filters, sliceBy) => {
    const stream: StreamSpec = { endpoint: H1, filters, sliceBy, runsPerSlice: 4 };
    const expected = await exportIds(pair!.cleanClient, stream);
    expect(expected).toHaveLength(1080);
    expect(await exportIds(pair!.hostileClient, stream)).toEqual(expected);
  });
});

describe('actions against the local server', () => {
  let server: Running | undefined;
  let admin: DqmClient | undefined;
  let user: DqmClient | undefined;
  beforeAll(async () => {
    server = await startServer({ port: 0, manual: true, parseDelayMs: 1 });
    admin = createClient({ baseUrl: server.url, token: server.adminToken, retryBaseMs: 2 });
    user = createClient({ baseUrl: server.url, token: server.userToken, retryBaseMs: 2 });
  });
  afterAll(async () => {
    await Promise.all([admin?.close(), user?.close()]);
    await server?.close();
  });

  it('discover is admin-only; start_parsing then waitForDataFile reports progress to 100 %', async () => {
    await expect(user!.discover()).rejects.toMatchObject({ code: 'E_AUTH_FORBIDDEN' });
    await admin!.discover();
    const files = await admin!.listDataFiles({}, { bustCache: true });
    const file = files.find((f) => f.filepath.endsWith('1D_synthetic.csv'))!;
    expect(file.percentage_processed).toBe(0);
    await user!.startParsing(file.id, { granularity: 'lum', dataDimensionality: 1, fileFormat: 'csv' });
    const seen: number[] = [];
    const done = await admin!.waitForDataFile(file.id, {
      pollMs: 20,
      stallMs: 10_000,
      timeoutMs: 30_000,
      onProgress: (p) => seen.push(p.percentage),
    });
    expect(done).toMatchObject({ percentage_processed: 100, entries_processed: 240, lumisection_histograms_1d: 240 });
    expect(seen.at(-1)).toBe(100);
    expect(seen.length).toBeGreaterThan(1);
    await expect(
      admin!.startParsing(file.id, { granularity: 'lum', dataDimensionality: 1, fileFormat: 'csv' }),
    ).rejects.toMatchObject({
      code: 'E_HTTP_400',
      message: expect.stringContaining('is already parsed'),
    });
  });

  it('a 1D file parsed as 2D is accepted, then reported as stalled', async () => {
    const files = await admin!.listDataFiles({ filepath__contains: '1D_2' }, { bustCache: true });
    await admin!.startParsing(files[0].id, { granularity: 'lum', dataDimensionality: 2, fileFormat: 'csv' });
    await expect(
      admin!.waitForDataFile(files[0].id, { pollMs: 20, stallMs: 300, timeoutMs: 30_000 }),
    ).rejects.toMatchObject({ code: 'E_PARSE_STALLED' });
  });

  it('deletes a histogram: 204, then 404', async () => {
    const [h] = await admin!.listAll(H1, { source_data_file__filepath__contains: '1D_synthetic' }, { limit: 1 });
    await user!.deleteHistogram(1, h.id);
    await expect(admin!.getHistogram(1, h.id)).rejects.toMatchObject({ code: 'E_HTTP_404' });
    await expect(admin!.deleteHistogram(1, h.id)).rejects.toMatchObject({ code: 'E_HTTP_404' });
  });

  it('a bad filter value fails at once with the server message; a bad __in value is a retried HTML 500', async () => {
    await expect(admin!.listPage(H1, { lumisection__run__run_number__gte: 'notanumber' }, 1)).rejects.toMatchObject({
      code: 'E_HTTP_400',
      message: expect.stringContaining('lumisection__run__run_number__gte: Enter a number.'),
    });
    const quick = createClient({ baseUrl: server!.url, token: server!.adminToken, maxRetries: 1, retryBaseMs: 1 });
    try {
      await expect(quick.listPage(H1, { lumisection__run__run_number__in: '315488,abc' }, 1)).rejects.toMatchObject({
        code: 'E_HTTP_500',
        message: expect.stringMatching(
          /Server Error \(500\).*lumisection__run__run_number__in=315488%2Cabc.*after 2 attempts/,
        ),
      });
    } finally {
      await quick.close();
    }
  });

  it('a wrong token is an AuthError naming DQM_PLAYGROUND_TOKEN', async () => {
    const wrong = createClient({ baseUrl: server!.url, token: 'not-the-token' });
    try {
      await expect(wrong.listPage('runs', {}, 1)).rejects.toMatchObject({
        code: 'E_AUTH_UNAUTHORIZED',
        message: expect.stringContaining('DQM_PLAYGROUND_TOKEN'),
      });
    } finally {
      await wrong.close();
    }
  });
});
