/**
 * The dqm-playground source's extraction: page 2 of as many slices as there are idle connections goes
 * out with their page 1 (docs/decisions.md, "`run`: the first pages' round fills every connection"),
 * one page ahead per slice at most, none for a single slice, none when switched off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planSlices } from '../../../src/extract/plan.js';
import { pageNumberSource } from '../../../src/sources/playground/source.js';
import { closeAll, H1, setup } from '../../extract/execute-harness.js';
import { syntheticDataset } from '../../extract/fake-dqm.js';

afterEach(async () => {
  await closeAll();
  delete process.env.DQM_EXPORT_SPECULATIVE_PAGES;
});

/** Extracts `runs` sliced by run (one page each: 5 records, 10 per page); returns the ids and the requests. */
async function extract(runs: number[], concurrency: number, holdUntilInFlight?: number) {
  const data = syntheticDataset(runs, 5, ['t']);
  const { fake, client } = await setup(data, { perPage: 10, holdUntilInFlight }, concurrency);
  const slices = planSlices({ endpoint: H1, sliceBy: ['run'] }, { runs });
  const ids: number[] = [];
  for await (const event of pageNumberSource(client).extract(slices)) {
    if (event.type === 'batch') for (const r of event.records as Array<{ id: number }>) ids.push(r.id);
  }
  const pageTwos = fake.requests.filter((r) => new URL(r.url, 'http://x').searchParams.get('page') === '2');
  return {
    ids: ids.sort((a, b) => a - b),
    expected: data.h1d.map((h) => h.id).sort((a, b) => a - b),
    pageTwos,
    all: fake.requests,
  };
}

describe('dqm-playground source: pages ahead', () => {
  it('page 2 of as many slices as connections left idle, each past its end here, counted nowhere', async () => {
    // 2 idle connections; nothing is answered until 5 requests are in flight: all of them are sent.
    const got = await extract([1, 2, 3], 5, 5);
    expect(got.ids).toEqual(got.expected);
    expect(got.pageTwos).toHaveLength(2);
    expect(got.all).toHaveLength(3 + 2);
  });

  it('at most one page ahead per slice, however many connections idle', async () => {
    const got = await extract([1, 2], 16, 4);
    expect(got.ids).toEqual(got.expected);
    expect(got.all).toHaveLength(2 + 2);
  });

  it('none for a single slice, and none when DQM_EXPORT_SPECULATIVE_PAGES=0', async () => {
    const one = await extract([1], 16);
    expect(one.ids).toEqual(one.expected);
    expect(one.all).toHaveLength(1);
    await closeAll();
    process.env.DQM_EXPORT_SPECULATIVE_PAGES = '0';
    const off = await extract([1, 2, 3], 16);
    expect(off.ids).toEqual(off.expected);
    expect(off.all).toHaveLength(3);
  });
});
