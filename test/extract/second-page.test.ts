/**
 * Page 2 ahead (ExtractOptions.secondPageAhead): with fewer slices than connections, page 2 of as many
 * slices goes out with their page 1 and counts only if page 1 shows it exists. The records, reports
 * and failures are those of an extraction without it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/extract/client.js';
import { extractSlices } from '../../src/extract/execute.js';
import { spareSecondPages } from '../../src/extract/flow-limits.js';
import { planSlices } from '../../src/extract/plan.js';
import type { DqmClient, ExtractOptions, SliceReport } from '../../src/extract/types.js';
import { startFakeDqm, syntheticDataset, type Dataset, type FakeDqm, type FakeOptions } from './fake-dqm.js';

const H1 = 'lumisection_histograms_1d' as const;
const RUNS = [315705, 315713, 316457, 316458];
const slices = () => planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: RUNS });

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
  fake = await startFakeDqm(data, options);
  client = createClient({
    baseUrl: fake.url,
    token: 'tok-second-1234',
    concurrency,
    maxRetries: 2,
    retryBaseMs: 1,
    retryMaxMs: 5,
  });
  return { fake, client };
}

/** Every slice's ids (sorted) and report, without the timing. */
async function collect(c: DqmClient, options: ExtractOptions) {
  const ids = new Map<string, number[]>();
  const reports = new Map<string, Omit<SliceReport, 'elapsedMs'>>();
  for await (const event of extractSlices(c, slices(), options)) {
    if (event.type === 'batch') {
      const list = ids.get(event.slice.key) ?? [];
      for (const r of event.records as unknown as Array<{ id: number }>) list.push(r.id);
      ids.set(event.slice.key, list);
    } else {
      const { elapsedMs: _, ...report } = event.report;
      reports.set(event.slice.key, report);
    }
  }
  for (const list of ids.values()) list.sort((a, b) => a - b);
  return { ids, reports };
}

describe('spareSecondPages', () => {
  it('is the connections the slices leave idle', () => {
    expect(spareSecondPages(16, 10)).toBe(6);
    expect(spareSecondPages(8, 8)).toBe(0);
    expect(spareSecondPages(4, 100)).toBe(0);
  });
});

describe('page 2 ahead', () => {
  // 4 runs x 30 lumisections, 10 per page: 3 pages per slice.
  const data = syntheticDataset(RUNS, 30, ['t']);

  it('goes out with page 1 on idle connections; records, reports and requests as without it', async () => {
    // The server answers nothing until 8 requests are in flight: 4 slices' pages 1 and 2 together.
    const held = await setup(data, { perPage: 10, holdUntilInFlight: 8 });
    const ahead = await collect(held.client, { secondPageAhead: true });
    expect(held.fake.maxInFlight()).toBe(8);
    expect(held.fake.requests).toHaveLength(12);
    await client?.close();
    await fake?.close();
    const plain = await setup(data, { perPage: 10 });
    expect(await collect(plain.client, {})).toEqual(ahead);
    expect(plain.fake.requests).toHaveLength(12);
    for (const report of ahead.reports.values())
      expect(report).toMatchObject({ total: 30, received: 30, pages: 3, invalidPages: 0, duplicates: 0 });
  });

  it('a slice of one page: page 2 is a 404 that counts nowhere', async () => {
    const small = syntheticDataset(RUNS, 5, ['t']);
    const { fake, client } = await setup(small, { perPage: 10 });
    const got = await collect(client, { secondPageAhead: true });
    for (const report of got.reports.values())
      expect(report).toMatchObject({ total: 5, received: 5, pages: 1, invalidPages: 0, repairs: 0 });
    expect([...got.ids.values()].flat()).toHaveLength(20);
    // One request more per slice, all of them answered (nothing left in flight at the end).
    expect(fake.requests).toHaveLength(8);
  });

  it('fewer pages-ahead permits than pages asked for: page 1 goes first, no deadlock', async () => {
    const { client } = await setup(data, { perPage: 10 });
    const got = await collect(client, { secondPageAhead: true, maxPagesAhead: 1 });
    expect([...got.reports.values()].map((r) => r.received)).toEqual([30, 30, 30, 30]);
  });

  it('page 1 failing fails the extraction, whatever page 2 did', async () => {
    const { client } = await setup(data, {
      perPage: 10,
      fault: (req, res) => {
        if (new URL(req.url ?? '/', 'http://x').searchParams.get('page') !== null) return false;
        res.writeHead(403, { 'content-type': 'application/json' }).end('{"detail":"nope"}');
        return true;
      },
    });
    await expect(collect(client, { secondPageAhead: true })).rejects.toMatchObject({ code: 'E_AUTH_FORBIDDEN' });
  });
});
