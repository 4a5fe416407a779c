/**
 * The executor against a fake server with exact knobs: pagination over every envelope, completeness
 * under a fresh random order per request (pages overlap and skip), repair, loud failures, the
 * backpressure bound, the global concurrency limit and cancellation.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/extract/client.js';
import { LARGE_RECORD_BYTES, extractSlices } from '../../src/extract/execute.js';
import { planSlices } from '../../src/extract/plan.js';
import type { DqmClient, ExtractEvent, ExtractOptions, Slice, SliceReport } from '../../src/extract/types.js';
import type { Endpoint } from '../../src/domain.js';
import { startFakeDqm, syntheticDataset, type Dataset, type FakeDqm, type FakeOptions } from './fake-dqm.js';

const H1 = 'lumisection_histograms_1d' as const;
const RUNS = [315705, 315713, 316457, 316458];
const TITLES = ['tA', 'tB', 'tC'];

let fake: FakeDqm | undefined;
let client: DqmClient | undefined;
afterEach(async () => {
  await client?.close();
  await fake?.close();
  client = fake = undefined;
});

async function setup(
  data: Dataset,
  options: FakeOptions = {},
  concurrency = 4,
): Promise<{ fake: FakeDqm; client: DqmClient }> {
  fake = await startFakeDqm(data, options);
  client = createClient({
    baseUrl: fake.url,
    token: 'tok-exec-1234',
    concurrency,
    maxRetries: 8,
    retryBaseMs: 1,
    retryMaxMs: 5,
  });
  return { fake, client };
}

interface Collected {
  keys: Map<string, Array<number | string>>;
  reports: Map<string, SliceReport>;
  order: string[];
}

async function collect<E extends Endpoint>(
  c: DqmClient,
  slices: Slice<E>[],
  options: ExtractOptions = {},
): Promise<Collected> {
  const out: Collected = { keys: new Map(), reports: new Map(), order: [] };
  for await (const event of extractSlices(c, slices, options)) {
    out.order.push(`${event.type}:${event.slice.key}`);
    if (event.type === 'batch') {
      expect(out.reports.has(event.slice.key)).toBe(false);
      const ids = out.keys.get(event.slice.key) ?? [];
      for (const r of event.records as unknown as Array<Record<string, number>>)
        ids.push(r.id ?? r.run_number ?? `${r.run}:${r.ls_number}`);
      out.keys.set(event.slice.key, ids);
    } else {
      out.reports.set(event.slice.key, event.report);
    }
  }
  return out;
}

/** A fault hook that never answers: `first` resolves at the first request, `allClosed` once every held one closed. */
function holdAll(): {
  fault: NonNullable<FakeOptions['fault']>;
  first: Promise<void>;
  allClosed: () => Promise<void>;
  answered: () => number;
} {
  const closed: Promise<void>[] = [];
  const held: ServerResponse[] = [];
  let seen!: () => void;
  const first = new Promise<void>((r) => (seen = r));
  return {
    fault: (_req, res) => {
      held.push(res);
      closed.push(new Promise((r) => res.once('close', () => r())));
      seen();
      return true;
    },
    first,
    allClosed: async () => {
      await Promise.all(closed);
    },
    answered: () => held.filter((r) => r.headersSent).length,
  };
}

/** Wraps a client's list calls to count them on the client side, and those started with their signal already aborted. */
function countCalls(inner: DqmClient): { client: DqmClient; total: () => number; afterAbort: () => number } {
  let total = 0;
  let afterAbort = 0;
  const note = (signal: AbortSignal | undefined): void => {
    total++;
    if (signal?.aborted) afterAbort++;
  };
  const client: DqmClient = {
    ...inner,
    listPage: (endpoint, filters, page, options) => (
      note(options?.signal),
      inner.listPage(endpoint, filters, page, options)
    ),
    listNext: (endpoint, next, options) => (note(options?.signal), inner.listNext(endpoint, next, options)),
  };
  return { client, total: () => total, afterAbort: () => afterAbort };
}

const sorted = (xs: Array<number | string> = []) => [...xs].sort((a, b) => (a < b ? -1 : 1));

describe('pagination', () => {
  const data = syntheticDataset(
    Array.from({ length: 120 }, (_, i) => 300000 + i),
    1,
    ['t'],
  );

  it.each([
    ['total envelope', { envelope: 'total' }],
    ['count envelope, no per_page', { envelope: 'count' }],
    ['count envelope, absolute next', { envelope: 'count', absoluteNext: true }],
    ['no total: follows next (absolute, re-rooted at our origin)', { envelope: 'none', absoluteNext: true }],
  ] as const)('%s: every run once', async (_name, options) => {
    const { client, fake } = await setup(data, options);
    const got = await collect(client, planSlices({ endpoint: 'runs' }));
    expect(sorted(got.keys.get('all'))).toEqual(data.runs.map((r) => r.run_number));
    const report = got.reports.get('all')!;
    expect(report).toMatchObject({ received: 120, duplicates: 0, repairs: 0, pages: 3 });
    expect(report.total).toBe(options.envelope === 'none' ? null : 120);
    expect(fake.requests.map((r) => r.url)).toEqual(
      expect.arrayContaining(['/api/runs/', '/api/runs/?page=2', '/api/runs/?page=3']),
    );
  });

  it('an empty list is one page and a complete slice', async () => {
    const { client } = await setup(data);
    const got = await collect(client, planSlices({ endpoint: 'runs', filters: { run_number: 1 } }));
    expect(got.reports.get('all')).toMatchObject({ total: 0, received: 0, pages: 1 });
    expect(got.order).toEqual(['slice-done:all']);
  });
});

describe('completeness on unordered lists', () => {
  const data = syntheticDataset(RUNS, 40, TITLES); // 480 histograms, 120 per run

  it('per-run slices: every id exactly once despite a new random order on every page', async () => {
    const { client } = await setup(data, { shuffle: true });
    const slices = planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: RUNS });
    const got = await collect(client, slices);
    for (const run of RUNS) {
      const expected = data.h1d.filter((h) => h.run === run).map((h) => h.id);
      expect(sorted(got.keys.get(`run=${run}`))).toEqual(expected);
      expect(got.reports.get(`run=${run}`)).toMatchObject({ total: 120, received: 120 });
    }
    const repairs = [...got.reports.values()].reduce((n, r) => n + r.repairs, 0);
    expect(repairs).toBeGreaterThan(0);
  });

  it('one unsliced stream: repaired by narrowing to runs, then lumisection ranges', async () => {
    const { client } = await setup(data, { shuffle: true });
    const got = await collect(client, planSlices({ endpoint: H1, filters: { title: ['tA', 'tB'] } }));
    const expected = data.h1d.filter((h) => h.title !== 'tC').map((h) => h.id);
    expect(sorted(got.keys.get('all'))).toEqual(expected);
    expect(got.reports.get('all')).toMatchObject({ total: 320, received: 320 });
    expect(got.reports.get('all')!.repairs).toBeGreaterThan(0);
  });

  it('a stable order needs no repair and no extra request', async () => {
    const { client, fake } = await setup(data);
    const got = await collect(client, planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: RUNS }));
    expect([...got.reports.values()].every((r) => r.repairs === 0 && r.duplicates === 0 && r.pages === 3)).toBe(true);
    expect(fake.requests).toHaveLength(12);
  });

  it('survives resets, 500s, truncated bodies and shuffling together', async () => {
    let faults = 0;
    const fault: FakeOptions['fault'] = (req, res: ServerResponse, n) => {
      const roll = (n * 7919) % 10; // deterministic, ~30 % of requests
      if (roll === 0) {
        faults++;
        req.socket.destroy();
        return true;
      }
      if (roll === 3) {
        faults++;
        res.writeHead(500, { 'content-type': 'text/html' }).end('<html><title>Server Error (500)</title></html>');
        return true;
      }
      if (roll === 6) {
        faults++;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' }).write('{"results": [');
        setTimeout(() => res.socket?.destroy(), 5);
        return true;
      }
      return false;
    };
    const { client } = await setup(data, { shuffle: true, fault });
    const got = await collect(client, planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: RUNS }));
    expect(faults).toBeGreaterThan(5);
    expect(sorted([...got.keys.values()].flat())).toEqual(data.h1d.map((h) => h.id));
    const retries = [...got.reports.values()].reduce((n, r) => n + r.retries, 0);
    expect(retries).toBeGreaterThan(0);
    expect(client.stats.retries.reset + client.stats.retries['status-5xx'] + client.stats.retries.truncated).toBe(
      faults,
    );
  });

  it('fails loudly with the numbers when ids never show up (E_INCOMPLETE)', async () => {
    const { client } = await setup(data, { hiddenIds: [5] });
    const slices = planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: [RUNS[0]] });
    await expect(collect(client, slices, { maxRepairRounds: 2 })).rejects.toMatchObject({
      code: 'E_INCOMPLETE',
      kind: 'internal',
      message: expect.stringMatching(
        /slice run=315705 of lumisection_histograms_1d is incomplete: 119 distinct records of 120/,
      ),
    });
  });

  it('no slice-done for an incomplete slice; complete slices before it still finish', async () => {
    const { client } = await setup(data, { hiddenIds: [data.h1d.find((h) => h.run === RUNS[3])!.id] });
    const done: string[] = [];
    const slices = planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: RUNS });
    await expect(
      (async () => {
        for await (const e of extractSlices(client!, slices, { maxRepairRounds: 1, concurrency: 1, maxOpenSlices: 1 }))
          if (e.type === 'slice-done') done.push(e.slice.key);
      })(),
    ).rejects.toMatchObject({ code: 'E_INCOMPLETE' });
    expect(done).toEqual(['run=315705', 'run=315713', 'run=316457']);
  });

  it('fails loudly when the server serves more distinct records than its total (E_DATA_CHANGED)', async () => {
    const { client } = await setup(data, { extraIds: [1, 2] });
    const slices = planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: [RUNS[0]] });
    await expect(collect(client, slices)).rejects.toMatchObject({
      code: 'E_DATA_CHANGED',
      message: expect.stringMatching(/server total 118, got 120 distinct records, more than the total/),
    });
  });

  it('fails loudly when a record disappears during the export (totals disagree; E_DATA_CHANGED)', async () => {
    const shrinking = syntheticDataset(RUNS, 40, TITLES);
    // Once page 1 is served, its first record is deleted: later pages shift by one and skip a record.
    const fault: FakeOptions['fault'] = (_q, _r, n) => {
      if (n === 1) shrinking.h1d.shift();
      return false;
    };
    const { client } = await setup(shrinking, { fault });
    const slices = planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: [RUNS[0]] });
    await expect(collect(client, slices, { concurrency: 1 })).rejects.toMatchObject({
      code: 'E_DATA_CHANGED',
      message: expect.stringMatching(
        /server total 120, got 120 distinct records, and the narrower scopes now add up to 119/,
      ),
    });
  });

  it('counts Invalid page. answers when the list is shorter than its total says', async () => {
    const hidden = data.h1d.filter((h) => h.run === RUNS[0] && h.lumisection > 30).map((h) => h.id); // 30 hidden: 90 served, total 120
    const { client } = await setup(data, { hiddenIds: hidden });
    const slices = planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: [RUNS[0]] });
    const err = await collect(client, slices, { maxRepairRounds: 1 }).catch((e) => e);
    expect(err.code).toBe('E_INCOMPLETE');
    expect(err.message).toMatch(/90 distinct records of 120/);
  });

  it('lumisections are keyed by (run, ls_number)', async () => {
    const { client } = await setup(data, { perPage: 7 });
    const got = await collect(client, planSlices({ endpoint: 'lumisections', sliceBy: ['run'] }, { runs: RUNS }));
    expect(got.keys.get('run=316457')).toHaveLength(40);
    expect(got.reports.get('run=316457')).toMatchObject({ total: 40, received: 40, pages: 6 });
  });

  it('listAll is complete on an unordered list', async () => {
    const { client } = await setup(data, { shuffle: true });
    const all = await client.listAll(H1, { lumisection__run__run_number__gte: RUNS[1] });
    expect(sorted(all.map((h) => h.id))).toEqual(data.h1d.filter((h) => h.run >= RUNS[1]).map((h) => h.id));
  });

  it('listAll with onBatch hands over each batch and keeps none', async () => {
    const { client } = await setup(data, { shuffle: true });
    const batches: number[][] = [];
    const kept = await client.listAll(H1, {}, { onBatch: (records) => batches.push(records.map((h) => h.id)) });
    expect(kept).toEqual([]);
    expect(batches.length).toBeGreaterThan(1);
    expect(sorted(batches.flat())).toEqual(data.h1d.map((h) => h.id));
    const first: number[] = [];
    expect(
      await client.listAll(H1, {}, { limit: 3, onBatch: (records) => first.push(...records.map((h) => h.id)) }),
    ).toEqual([]);
    expect(first).toHaveLength(3);
  });
});

describe('scheduling', () => {
  const data = syntheticDataset(
    Array.from({ length: 12 }, (_, i) => 1000 + i),
    25,
    ['a', 'b', 'c', 'd'],
  ); // 100 per run: 2 pages each

  it('never exceeds the concurrency, and fills it across slices', async () => {
    // The server answers nothing until 4 requests are in flight: whether the client fills its
    // concurrency is then independent of how fast it sends (a fixed latency made this flaky under load).
    const { client, fake } = await setup(data, { latencyMs: 2, holdUntilInFlight: 4 }, 4);
    const slices = planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: data.runs.map((r) => r.run_number) });
    await collect(client, slices);
    expect(fake.maxInFlight()).toBe(4);
  });

  it('hands the pool twice the concurrency, but never has more than the concurrency on the wire', async () => {
    // Requests past the connections wait in undici's pool, which sends one the moment a socket is
    // free (execute.ts, QUEUED_PER_CONNECTION). The server holds every request: what the client
    // handed over and what reached the server are then counts, not timings.
    const held = holdAll();
    const { client, fake } = await setup(data, { fault: held.fault }, 2);
    const calls = countCalls(client);
    const controller = new AbortController();
    const slices = planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: data.runs.map((r) => r.run_number) });
    const settled = collect(calls.client, slices, {
      signal: controller.signal,
      maxPagesAhead: 8,
      maxOpenSlices: 8,
    }).catch((err: unknown) => err);
    await vi.waitFor(() => expect([calls.total(), fake.requests.length]).toEqual([4, 2]), {
      timeout: 30_000,
      interval: 20,
    });
    controller.abort(new Error('enough'));
    expect(await settled).toMatchObject({ message: 'enough' });
    await held.allClosed();
    expect(fake.maxInFlight()).toBe(2);
    expect(held.answered()).toBe(0);
  });

  it("emits each slice-done after all of that slice's batches", async () => {
    const { client } = await setup(data, { latencyMs: 2 }, 4);
    const got = await collect(
      client,
      planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: data.runs.map((r) => r.run_number) }),
    );
    for (const key of got.reports.keys()) {
      const done = got.order.indexOf(`slice-done:${key}`);
      expect(got.order.lastIndexOf(`batch:${key}`)).toBeLessThan(done);
    }
  });

  it('backpressure: a paused consumer holds the fetcher to maxPagesAhead pages', async () => {
    const runs = syntheticDataset([1], 1, ['t']);
    runs.runs = Array.from({ length: 1000 }, (_, i) => ({ run_number: i + 1, date: 'd' })); // 20 pages
    const { client, fake } = await setup(runs, {}, 4);
    const it = extractSlices(client, planSlices({ endpoint: 'runs' }), { maxPagesAhead: 3 })[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value?.type).toBe('batch');
    await new Promise((r) => setTimeout(r, 150));
    expect(fake.requests.length).toBeLessThanOrEqual(3);
    let records = (first.value as Extract<ExtractEvent<'runs'>, { type: 'batch' }>).records.length;
    for (let r = await it.next(); !r.done; r = await it.next())
      if (r.value.type === 'batch') records += r.value.records.length;
    expect(records).toBe(1000);
    expect(fake.requests).toHaveLength(20);
  });

  it('by default, pages ahead are the concurrency for large records and twice that for small ones', async () => {
    const paused = async (date: string): Promise<{ requests: () => number; drain: () => Promise<number> }> => {
      const runs = syntheticDataset([1], 1, ['t']);
      runs.runs = Array.from({ length: 1000 }, (_, i) => ({ run_number: i + 1, date })); // 20 pages
      const { client, fake } = await setup(runs, {}, 4);
      const it = extractSlices(client, planSlices({ endpoint: 'runs' }))[Symbol.asyncIterator]();
      const first = await it.next();
      expect(first.value?.type).toBe('batch');
      return {
        requests: () => fake.requests.length,
        drain: async () => {
          let records = (first.value as Extract<ExtractEvent<'runs'>, { type: 'batch' }>).records.length;
          for (let r = await it.next(); !r.done; r = await it.next())
            if (r.value.type === 'batch') records += r.value.records.length;
          return records;
        },
      };
    };
    // Small records (~40 bytes of JSON): 2 x 4 pages ahead once page 1 is in.
    const small = await paused('d');
    await vi.waitFor(() => expect(small.requests()).toBe(8), { timeout: 30_000, interval: 20 });
    expect(await small.drain()).toBe(1000);
    await client?.close();
    await fake?.close();
    // Large records (>= LARGE_RECORD_BYTES each): never more than the concurrency.
    const large = await paused('x'.repeat(LARGE_RECORD_BYTES));
    await new Promise((r) => setTimeout(r, 150));
    expect(large.requests()).toBeLessThanOrEqual(4);
    expect(await large.drain()).toBe(1000);
  });

  it('an AbortSignal cancels in-flight requests and the iterator throws its reason', async () => {
    // The server holds every request unanswered, so what is in flight at the abort does not depend
    // on timing; the client-side count sees requests the server may not have received yet.
    const held = holdAll();
    const { client, fake } = await setup(data, { fault: held.fault }, 4);
    const calls = countCalls(client);
    const controller = new AbortController();
    void held.first.then(() => controller.abort(new Error('cancelled by user')));
    const slices = planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: data.runs.map((r) => r.run_number) });
    await expect(collect(calls.client, slices, { signal: controller.signal })).rejects.toThrow('cancelled by user');
    // The iterator settles only after its tasks did: nothing starts after that, and every request
    // the server saw is closed by the client without an answer.
    expect(calls.afterAbort()).toBe(0);
    expect(calls.total()).toBeGreaterThanOrEqual(1);
    expect(calls.total()).toBeLessThanOrEqual(8);
    await held.allClosed();
    expect(held.answered()).toBe(0);
    expect(fake.requests.length).toBeLessThanOrEqual(calls.total());
  });

  it('breaking out of the loop stops fetching', async () => {
    const { client, fake } = await setup(data, {}, 2);
    const calls = countCalls(client);
    const slices = planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs: data.runs.map((r) => r.run_number) });
    for await (const e of extractSlices(calls.client, slices)) if (e.type === 'batch') break;
    // The loop's exit awaited the extraction's end: the count is final, and bounded by the window.
    const count = calls.total();
    expect(count).toBeLessThan(24);
    expect(calls.afterAbort()).toBe(0);
    expect(fake.requests.length).toBeLessThanOrEqual(count);
  });

  it('a 400 fails the whole extraction with the server message', async () => {
    const { client } = await setup(data, {
      fault: (_req, res) => {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"lumisection__run__run_number__gte": ["Enter a number."]}');
        return true;
      },
    });
    await expect(collect(client, planSlices({ endpoint: H1 }))).rejects.toThrow(
      /lumisection__run__run_number__gte: Enter a number\./,
    );
  });
});
