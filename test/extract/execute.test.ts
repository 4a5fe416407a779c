/**
 * The executor against a fake server with exact knobs: pagination over every envelope, completeness
 * under a fresh random order per request (pages overlap and skip), repair
 * and loud failures (scheduling: execute-scheduling.test.ts).
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { extractSlices } from '../../src/extract/execute.js';
import { planSlices } from '../../src/extract/plan.js';
import { syntheticDataset, type FakeOptions } from './fake-dqm.js';
import { closeAll, collect, H1, RUNS, setup, sorted, TITLES } from './execute-harness.js';

afterEach(closeAll);

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
