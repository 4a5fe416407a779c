/**
 * Pages requested with page 1 (ExtractOptions.speculativePages, what `histograms list --all` uses):
 * pages 2 .. 1 + n go out before the page count is known and count only if page 1 shows the list has
 * them. The records, reports and failures are those of an extraction without it; a page dropped
 * before it was sent is never sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/extract/client.js';
import { extractSlices } from '../../src/extract/execute.js';
import { planSlices } from '../../src/extract/plan.js';
import type { DqmClient, ExtractOptions, SliceReport } from '../../src/extract/types.js';
import { startFakeDqm, syntheticDataset, type Dataset, type FakeDqm, type FakeOptions } from './fake-dqm.js';

const H1 = 'lumisection_histograms_1d' as const;
const RUNS = [315705, 315713, 316457];

let fake: FakeDqm | undefined;
let client: DqmClient | undefined;
afterEach(async () => {
  await client?.close();
  await fake?.close();
  client = fake = undefined;
});

async function setup(
  data: Dataset,
  options: FakeOptions,
  concurrency = 8,
): Promise<{ fake: FakeDqm; client: DqmClient }> {
  await client?.close();
  await fake?.close();
  fake = await startFakeDqm(data, options);
  client = createClient({
    baseUrl: fake.url,
    token: 'tok-speculative-1234',
    concurrency,
    maxRetries: 2,
    retryBaseMs: 1,
    retryMaxMs: 5,
  });
  return { fake, client };
}

/** Every slice's ids (in the order received) and report, without the timing. */
async function collect(c: DqmClient, options: ExtractOptions, sliceBy: 'run' | undefined = undefined) {
  const slices = planSlices({ endpoint: H1, sliceBy: sliceBy ? [sliceBy] : [] }, { runs: RUNS });
  const ids: number[] = [];
  const reports = new Map<string, Omit<SliceReport, 'elapsedMs'>>();
  for await (const event of extractSlices(c, slices, options)) {
    if (event.type === 'batch') {
      for (const r of event.records as unknown as Array<{ id: number }>) ids.push(r.id);
    } else {
      const { elapsedMs: _, ...report } = event.report;
      reports.set(event.slice.key, report);
    }
  }
  return { ids, reports };
}

const sorted = (ids: number[]): number[] => [...ids].sort((a, b) => a - b);

describe('pages requested with page 1', () => {
  // 3 runs x 40 lumisections, 10 per page: 12 pages.
  const data = syntheticDataset(RUNS, 40, ['t']);

  it('go out with page 1; records, report and requests as without them', async () => {
    // The server answers nothing until 8 requests are in flight: page 1 and pages 2-8 together.
    const held = await setup(data, { perPage: 10, holdUntilInFlight: 8 });
    const ahead = await collect(held.client, { speculativePages: 7 });
    expect(held.fake.maxInFlight()).toBe(8);
    expect(held.fake.requests).toHaveLength(12);
    const plain = await setup(data, { perPage: 10 });
    const without = await collect(plain.client, {});
    expect(plain.fake.requests).toHaveLength(12);
    expect(sorted(ahead.ids)).toEqual(sorted(without.ids));
    expect(ahead.ids).toHaveLength(120);
    expect(ahead.reports).toEqual(without.reports);
    expect(ahead.reports.get('all')).toMatchObject({ total: 120, received: 120, pages: 12, invalidPages: 0 });
  });

  it('a list shorter than the pages asked for: those past the end are 404s that count nowhere', async () => {
    const short = syntheticDataset(RUNS, 10, ['t']); // 30 records: 3 pages
    const { fake, client } = await setup(short, { perPage: 10, holdUntilInFlight: 8 });
    const got = await collect(client, { speculativePages: 7 });
    expect(sorted(got.ids)).toEqual(short.h1d.map((h) => h.id).sort((a, b) => a - b));
    expect(got.reports.get('all')).toMatchObject({ total: 30, received: 30, pages: 3, invalidPages: 0, repairs: 0 });
    // Five requests past the end, all answered (nothing left in flight at the end).
    expect(fake.requests).toHaveLength(8);
  });

  it('a page not yet sent when page 1 shows it is not needed is never sent', async () => {
    // One pages-ahead permit: pages 2-8 wait for it behind page 1, which says there is one page.
    const one = syntheticDataset([RUNS[0]!], 5, ['t']);
    const { fake, client } = await setup(one, { perPage: 10 });
    const got = await collect(client, { speculativePages: 7, maxPagesAhead: 1 });
    expect(got.ids).toHaveLength(5);
    expect(fake.requests).toHaveLength(1);
  });

  it('fewer pages-ahead permits than pages asked for: page 1 goes first, no deadlock', async () => {
    const { fake, client } = await setup(data, { perPage: 10 });
    const got = await collect(client, { speculativePages: 7, maxPagesAhead: 1 });
    expect(sorted(got.ids)).toHaveLength(120);
    expect(new Set(got.ids).size).toBe(120);
    expect(fake.requests).toHaveLength(12);
  });

  it('every id exactly once on a server that shuffles each page (repairs included)', async () => {
    const { client } = await setup(data, { perPage: 10, shuffle: true });
    const got = await collect(client, { speculativePages: 7 });
    expect(new Set(got.ids).size).toBe(got.ids.length);
    expect(sorted(got.ids)).toEqual(data.h1d.map((h) => h.id).sort((a, b) => a - b));
    expect(got.reports.get('all')).toMatchObject({ total: 120, received: 120 });
  });

  it('page 1 failing fails the extraction, whatever the pages ahead did', async () => {
    const { client } = await setup(data, {
      perPage: 10,
      fault: (req, res) => {
        if (new URL(req.url ?? '/', 'http://x').searchParams.get('page') !== null) return false;
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"detail":"nope"}');
        return true;
      },
    });
    await expect(collect(client, { speculativePages: 7 })).rejects.toMatchObject({ code: 'E_AUTH_FORBIDDEN' });
  });

  it('several slices share them: the slices opened at once split the budget evenly, in order', async () => {
    // 3 runs x 40 records, 10 per page: 4 pages per slice. 6 pages ahead over 3 slices: pages 2 and 3
    // of each go out with its page 1 (9 requests held until all are in flight), then page 4 of each.
    const held = await setup(data, { perPage: 10, holdUntilInFlight: 9 }, 12);
    const ahead = await collect(held.client, { speculativePages: 6 }, 'run');
    expect(held.fake.maxInFlight()).toBe(9);
    expect(held.fake.requests).toHaveLength(12);
    const plain = await setup(data, { perPage: 10 }, 12);
    const without = await collect(plain.client, {}, 'run');
    expect(sorted(ahead.ids)).toEqual(sorted(without.ids));
    expect(ahead.reports).toEqual(without.reports);
    expect(ahead.reports.get('run=315705')).toMatchObject({ total: 40, received: 40, pages: 4, invalidPages: 0 });
  });

  it('several single-page slices: the pages past their ends are 404s that count nowhere', async () => {
    const short = syntheticDataset(RUNS, 5, ['t']); // one page per slice
    // Nothing is answered until all 10 requests are in flight, so every page ahead is sent.
    const { fake, client } = await setup(short, { perPage: 10, holdUntilInFlight: 10 }, 12);
    const got = await collect(client, { speculativePages: 7 }, 'run');
    expect(sorted(got.ids)).toEqual(short.h1d.map((h) => h.id).sort((a, b) => a - b));
    for (const run of RUNS) {
      expect(got.reports.get(`run=${run}`)).toMatchObject({ total: 5, received: 5, pages: 1, invalidPages: 0 });
    }
    // Shares of ceil(7 / 3) = 3: three pages ahead for the first two slices, the one left for the last.
    expect(fake.maxInFlight()).toBe(10);
    expect(fake.requests).toHaveLength(3 + 7);
  });

  it('a budget smaller than the slices: the first slices take one page ahead each, the others none', async () => {
    const held = await setup(data, { perPage: 10 }, 8);
    const got = await collect(held.client, { speculativePages: 2 }, 'run');
    expect(new Set(got.ids).size).toBe(120);
    expect(held.fake.requests).toHaveLength(12);
    const pageTwos = held.fake.requests.filter((r) => new URL(r.url, 'http://x').searchParams.get('page') === '2');
    expect(pageTwos).toHaveLength(3);
  });

  it('listAll passes them on', async () => {
    const short = syntheticDataset(RUNS, 10, ['t']);
    const { fake, client } = await setup(short, { perPage: 10, holdUntilInFlight: 4 });
    const all = await client.listAll(H1, {}, { speculativePages: 3 });
    expect(all.map((h) => h.id).sort((a, b) => a - b)).toEqual(short.h1d.map((h) => h.id).sort((a, b) => a - b));
    expect(fake.maxInFlight()).toBe(4);
    expect(fake.requests).toHaveLength(4);
  });
});
