/**
 * The executor's scheduling against a fake server: the global concurrency limit across slices, the
 * requests handed to the pool, slice-done ordering, backpressure, pages ahead by record size, and
 * cancellation.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LARGE_RECORD_BYTES, extractSlices } from '../../src/extract/execute.js';
import { planSlices } from '../../src/extract/plan.js';
import type { ExtractEvent } from '../../src/extract/types.js';
import { syntheticDataset } from './fake-dqm.js';
import { closeAll, collect, countCalls, holdAll, H1, setup } from './execute-harness.js';

afterEach(closeAll);

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
    await closeAll();
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
