/**
 * Extraction from DIALS: every planned slice is one cursor walk (pages strictly one after another),
 * walks run side by side up to the concurrency, and pages reach the consumer through a bounded channel
 * (flat memory). Records are deduplicated on the natural key and, in the default order, checked to
 * increase strictly; each slice then gets its completeness proof (src/sources/dials/proof.ts), walked
 * again up to twice if it falls short. A page the gateway times out (502/504) is asked again at the
 * same cursor with a smaller `page_size`, and the size grows back while pages are fast.
 */
import { setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { encodeFilters } from '../../domain.js';
import { DqmExportError, InternalError, ServerError } from '../../errors.js';
import { fullJitterDelay, sleep } from '../../extract/http/backoff.js';
import { silentLogger, type Logger } from '../../log.js';
import { cursorPagination } from '../pagination.js';
import type { SourceEvent, SourceSlice, SourceSliceReport } from '../source.js';
import type { DialsClient } from './client.js';
import { NATURAL_KEY, type DialsEndpoint } from '../../dials.js';
import { Channel } from './channel.js';
import { proveSlice } from './proof.js';

/** Smallest page asked for after gateway timeouts. */
export const MIN_PAGE_SIZE = 10;
/** A page faster than this lets the page size grow back. */
export const FAST_PAGE_MS = 2_000;

/** The adaptive page size of one walk: halved on a gateway timeout, doubled back after a fast page. */
export class PageSizer {
  current: number;
  reductions = 0;
  constructor(private readonly max: number) {
    this.current = max;
  }
  /** Halves the size; false when it is already the minimum. */
  shrink(): boolean {
    if (this.current <= MIN_PAGE_SIZE) return false;
    this.current = Math.max(MIN_PAGE_SIZE, Math.floor(this.current / 2));
    this.reductions++;
    return true;
  }
  /** Grows towards the configured size after a fast page. */
  observe(elapsedMs: number): void {
    if (elapsedMs < FAST_PAGE_MS && this.current < this.max) this.current = Math.min(this.max, this.current * 2);
  }
}

/** Options of `extractDials`. */
export interface DialsExtractOptions {
  /** Slices walked at once. */
  concurrency: number;
  /** Records per page for each endpoint. */
  pageSize: (endpoint: DialsEndpoint) => number;
  /** Gateway timeouts tolerated at the minimum page size before giving up. */
  maxGatewayRetries?: number;
  /** Walks of a slice that falls short of its proof before E_INCOMPLETE. Default 3. */
  maxWalks?: number;
  signal?: AbortSignal;
  logger?: Logger;
  /** `fields=` sent with every page (a listing that shows no bins drops `data`); absent: whole records. */
  fields?: string;
}

/** What one slice's walks have seen. */
interface WalkState {
  seen: Set<string>;
  report: SourceSliceReport & { pageSizeReductions: number; outOfOrder: number };
}

/** Compares two natural keys (arrays of numbers). */
function compareKeys(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** The natural key of a record as numbers; ServerError when a key field is missing. */
export function naturalKey(endpoint: DialsEndpoint, record: unknown, url: string): number[] {
  const r = record as Record<string, unknown>;
  return NATURAL_KEY[endpoint].map((f) => {
    const v = r?.[f];
    if (typeof v !== 'number')
      throw new ServerError('E_BAD_RESPONSE', `${endpoint} record without ${f} in the page from ${url}`, { url });
    return v;
  });
}

/** Extracts `slices`, yielding each slice's records once, in batches, then its proven end. */
export async function* extractDials(
  client: DialsClient,
  slices: readonly SourceSlice[],
  options: DialsExtractOptions,
): AsyncGenerator<SourceEvent> {
  const channel = new Channel<SourceEvent>(Math.max(2, options.concurrency));
  const controller = new AbortController();
  // Every request in flight (walks and their proofs) listens on this signal: more than Node's
  // default of 10 is normal at concurrency 8 and would print a MaxListenersExceededWarning.
  setMaxListeners(0, controller.signal);
  const outer = options.signal;
  const onAbort = (): void => controller.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });
  if (outer?.aborted) onAbort();
  const limit = pLimit(Math.max(1, options.concurrency));
  const logger = options.logger ?? silentLogger;
  const all = Promise.all(
    slices.map((slice) =>
      limit(() => runSlice(client, slice, channel, { ...options, logger, signal: controller.signal })),
    ),
  );
  all.then(
    () => channel.close(),
    (err) => {
      channel.fail(err);
      controller.abort(err);
    },
  );
  try {
    for (;;) {
      const event = await channel.take();
      if (!event) return;
      yield event;
    }
  } finally {
    if (!controller.signal.aborted)
      controller.abort(new InternalError('E_ABORTED', 'extraction stopped by its consumer'));
    channel.fail(new InternalError('E_ABORTED', 'extraction stopped by its consumer'));
    limit.clearQueue();
    await all.catch(() => {});
    outer?.removeEventListener('abort', onAbort);
  }
}

async function runSlice(
  client: DialsClient,
  slice: SourceSlice,
  channel: Channel<SourceEvent>,
  o: DialsExtractOptions & { logger: Logger; signal: AbortSignal },
): Promise<void> {
  const started = Date.now();
  const endpoint = slice.endpoint as DialsEndpoint;
  const state: WalkState = {
    seen: new Set(),
    report: {
      total: null,
      received: 0,
      duplicates: 0,
      repairs: 0,
      retries: 0,
      pages: 0,
      bytes: 0,
      elapsedMs: 0,
      pageSizeReductions: 0,
      outOfOrder: 0,
    },
  };
  const maxWalks = o.maxWalks ?? 3;
  for (let walk = 1; ; walk++) {
    await walkSlice(client, slice, endpoint, state, channel, o);
    const proof = await proveSlice(client, slice, endpoint, o.signal);
    state.report.proof = proof.proof;
    state.report.total = proof.expected;
    const got = state.seen.size;
    if (proof.expected === null || proof.expected === got) break;
    if (got > proof.expected) {
      throw new ServerError(
        'E_DATA_CHANGED',
        `slice ${slice.key} of ${endpoint} changed during the export: ${proof.proof} says ${proof.expected}, got ${got} distinct records; re-run with --resume once the data is stable`,
        { slice: slice.key, total: proof.expected, received: got },
      );
    }
    if (walk >= maxWalks) {
      throw new InternalError(
        'E_INCOMPLETE',
        `slice ${slice.key} of ${endpoint} is incomplete: ${got} distinct records of ${proof.expected} (${proof.proof}) after ${walk} walks`,
        {
          slice: slice.key,
          total: proof.expected,
          received: got,
        },
      );
    }
    state.report.repairs++;
    o.logger.info(
      { slice: slice.key, expected: proof.expected, distinct: got },
      'DIALS slice short of its count; walking it again',
    );
  }
  state.report.received = state.seen.size;
  state.report.elapsedMs = Date.now() - started;
  await channel.push({ type: 'slice-done', slice, report: state.report });
}

/** One cursor walk over a slice; fresh records go to the channel as batches. */
async function walkSlice(
  client: DialsClient,
  slice: SourceSlice,
  endpoint: DialsEndpoint,
  state: WalkState,
  channel: Channel<SourceEvent>,
  o: DialsExtractOptions & { signal: AbortSignal },
): Promise<void> {
  const ordered = slice.filters.order_by === undefined;
  const sizer = new PageSizer(o.pageSize(endpoint));
  const histogram = endpoint === 'th1' || endpoint === 'th2';
  let token: string | null = null;
  let last: number[] | null = null;
  let gatewayRetries = 0;
  for (;;) {
    const params = encodeFilters(slice.filters);
    if (o.fields) params.set('fields', o.fields);
    if (endpoint !== 'mes') params.set('page_size', String(sizer.current));
    for (const [k, v] of Object.entries(cursorPagination.params(token))) params.set(k, v);
    let page;
    try {
      page =
        endpoint === 'mes'
          ? await client.plainList(endpoint, params, { signal: o.signal })
          : await client.list(endpoint, params, { signal: o.signal, gatewayFailFast: histogram });
    } catch (err) {
      if (err instanceof DqmExportError && err.code === 'E_DIALS_GATEWAY') {
        if (sizer.shrink()) {
          state.report.pageSizeReductions++;
          continue;
        }
        if (++gatewayRetries > (o.maxGatewayRetries ?? 5)) throw err;
        await sleep(fullJitterDelay(gatewayRetries, 500, 20_000, Math.random), o.signal);
        continue;
      }
      throw err;
    }
    sizer.observe(page.elapsedMs);
    state.report.pages++;
    state.report.bytes += page.bytes;
    state.report.retries += page.retries;
    const fresh: unknown[] = [];
    for (const record of page.records) {
      const key = naturalKey(endpoint, record, page.url);
      const id = key.join(':');
      if (state.seen.has(id)) {
        state.report.duplicates++;
        continue;
      }
      if (ordered && last && compareKeys(key, last) <= 0) {
        state.report.outOfOrder++;
        throw new ServerError(
          'E_DIALS_ORDER',
          `${endpoint} page from ${page.url} is out of order: key (${id}) after (${last.join(':')}); the cursor walk cannot be trusted`,
          { url: page.url },
        );
      }
      last = key;
      state.seen.add(id);
      fresh.push(record);
    }
    if (fresh.length) await channel.push({ type: 'batch', slice, records: fresh, bytes: page.bytes });
    token = endpoint === 'mes' ? null : cursorPagination.after(page, token);
    if (token === null) return;
  }
}
