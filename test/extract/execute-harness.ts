/**
 * What the executor's tests share (execute.test.ts, execute-scheduling.test.ts): a fake server and a
 * client with exact knobs, event collection, and hooks that hold or count requests.
 */
import type { ServerResponse } from 'node:http';
import { expect } from 'vitest';
import { createClient } from '../../src/extract/client.js';
import { extractSlices } from '../../src/extract/execute.js';
import type { DqmClient, ExtractOptions, Slice, SliceReport } from '../../src/extract/types.js';
import type { Endpoint } from '../../src/domain.js';
import { startFakeDqm, type Dataset, type FakeDqm, type FakeOptions } from './fake-dqm.js';

export const H1 = 'lumisection_histograms_1d' as const;
export const RUNS = [315705, 315713, 316457, 316458];
export const TITLES = ['tA', 'tB', 'tC'];

let fake: FakeDqm | undefined;
let client: DqmClient | undefined;
/** Closes the client and the server of the last `setup` (each test file's afterEach). */
export async function closeAll(): Promise<void> {
  await client?.close();
  await fake?.close();
  client = fake = undefined;
}

export async function setup(
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

export interface Collected {
  keys: Map<string, Array<number | string>>;
  reports: Map<string, SliceReport>;
  order: string[];
}

export async function collect<E extends Endpoint>(
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
export function holdAll(): {
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
export function countCalls(inner: DqmClient): { client: DqmClient; total: () => number; afterAbort: () => number } {
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

export const sorted = (xs: Array<number | string> = []) => [...xs].sort((a, b) => (a < b ? -1 : 1));
