/**
 * The executor: runs planned slices with one global p-limit (pages of all slices interleave, so every
 * connection stays busy), yields records as batches with backpressure (a page holds a permit from
 * before its request until the consumer has taken its batch, so at most `maxPagesAhead` pages are in
 * flight or buffered), deduplicates per slice, and emits `slice-done` only once the slice's distinct
 * ids match the server's total, repairing (narrower scopes, or refetch rounds) when they do not.
 */
import { setMaxListeners } from 'node:events';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Endpoint, Filters } from '../domain.js';
import { InternalError, ServerError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { pageCount, pageSizeOf } from './envelope.js';
import { Narrower } from './narrow.js';
import type { RecordKey } from './records.js';
import { Semaphore } from './semaphore.js';
import type { DqmClient, ExtractEvent, ExtractOptions, Page, RecordOf, Slice } from './types.js';
import { LARGE_RECORD_BYTES, QUEUED_PER_CONNECTION } from './flow-limits.js';
import { PageFetcher, type Item, type PageAhead, type PageResult, type SliceState } from './page-fetch.js';

export { LARGE_RECORD_BYTES, QUEUED_PER_CONNECTION } from './flow-limits.js';

/** Keys seen in one scope and the total the server gave for it. */
interface ScopeResult {
  total: number | null;
  keys: Set<RecordKey>;
  /** True when pages of the scope disagreed on the total (the data moved under us). */
  totalMoved: boolean;
}

/**
 * Extracts `slices`, yielding each slice's records once, in batches, then its `slice-done` after the
 * slice is verified complete. Fails (throws from the iterator) on the first error that retries could
 * not fix; breaking out of the loop or aborting `signal` cancels in-flight requests.
 */
export async function* extractSlices<E extends Endpoint>(
  client: DqmClient,
  slices: readonly Slice<E>[],
  options: ExtractOptions = {},
): AsyncGenerator<ExtractEvent<E>, void, undefined> {
  const run = new Extraction<E>(client, slices, options);
  try {
    for (;;) {
      const item = await run.take();
      if (!item) return;
      yield item.event;
      item.release?.();
    }
  } finally {
    await run.stop();
  }
}

class Extraction<E extends Endpoint> {
  private readonly controller = new AbortController();
  private readonly signal = this.controller.signal;
  private readonly limit: LimitFunction;
  private readonly credits: Semaphore;
  private readonly sliceSlots: Semaphore;
  private readonly narrower: Narrower;
  private readonly pages: PageFetcher<E>;
  private readonly logger: Logger;
  private readonly maxRounds: number;
  /**
   * Pages requested with page 1 of a slice's first pass (ExtractOptions.speculativePages): the budget
   * still to hand out, and each slice's share of it (the slices that open at once split it evenly).
   */
  private readonly speculative: { left: number; share: number };
  /** Permits to add to `credits` and `sliceSlots` once records turn out small (defaults only). */
  private smallRecordGrowth: { pages: number; slices: number } | null;
  private readonly queue: Item<E>[] = [];
  private waiter: { resolve: (item: Item<E> | null) => void; reject: (err: unknown) => void } | undefined;
  private failure: { error: unknown } | undefined;
  private finished = false;
  private readonly main: Promise<void>;
  private readonly detach: () => void;

  constructor(
    private readonly client: DqmClient,
    private readonly slices: readonly Slice<E>[],
    options: ExtractOptions,
  ) {
    // Every queued page and in-flight request listens on the one internal signal; their number is
    // bounded by maxPagesAhead and the slice count, so the default cap of 10 is only noise.
    setMaxListeners(0, this.signal);
    const concurrency = Math.max(1, options.concurrency ?? client.concurrency);
    // Requests beyond the pool's connections wait inside the pool, which sends one on a socket the
    // moment undici frees it, instead of after this page's processing has released a slot (see
    // QUEUED_PER_CONNECTION). Only when the pool is no wider than `concurrency`, so at most
    // `concurrency` requests are ever on the wire.
    const queued = concurrency >= client.concurrency ? concurrency * (QUEUED_PER_CONNECTION - 1) : 0;
    this.limit = pLimit(concurrency + queued);
    // Defaults: `concurrency` pages ahead and slices open until the first page shows small records,
    // then twice that (see LARGE_RECORD_BYTES). Starting low matters: the first slices open at once.
    this.credits = new Semaphore(options.maxPagesAhead ?? concurrency);
    this.sliceSlots = new Semaphore(options.maxOpenSlices ?? concurrency);
    this.smallRecordGrowth = {
      pages: options.maxPagesAhead === undefined ? concurrency : 0,
      slices: options.maxOpenSlices === undefined ? concurrency : 0,
    };
    this.maxRounds = options.maxRepairRounds ?? 4;
    const budget = Math.max(0, Math.floor(options.speculativePages ?? 0));
    const openAtOnce = Math.max(1, Math.min(slices.length, options.maxOpenSlices ?? concurrency));
    this.speculative = { left: budget, share: Math.ceil(budget / openAtOnce) };
    this.logger = options.logger ?? silentLogger;
    this.narrower = new Narrower(client, this.signal);
    this.pages = new PageFetcher<E>({
      client,
      signal: this.signal,
      credits: this.credits,
      limit: this.limit,
      push: (item) => this.push(item),
      onRecords: (page) => this.sizeFlow(page),
    });
    const outer = options.signal;
    const onAbort = (): void => this.fail(outer?.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    this.detach = () => outer?.removeEventListener('abort', onAbort);
    if (outer?.aborted) onAbort();
    this.main = this.runAll().then(
      () => this.finish(),
      (err) => this.fail(err),
    );
  }

  /** The first page with records decides the flow: small records get the defaults' growth. */
  private sizeFlow(page: Page<RecordOf<E>>): void {
    const growth = this.smallRecordGrowth;
    if (!growth) return;
    this.smallRecordGrowth = null;
    if (page.bytes / page.records.length < LARGE_RECORD_BYTES) {
      for (let i = 0; i < growth.pages; i++) this.credits.release();
      for (let i = 0; i < growth.slices; i++) this.sliceSlots.release();
    }
  }

  /** Next event, null at the end; rejects with the extraction's failure. */
  take(): Promise<Item<E> | null> {
    if (this.failure) return Promise.reject(this.failure.error);
    const item = this.queue.shift();
    if (item) return Promise.resolve(item);
    if (this.finished) return Promise.resolve(null);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Cancels whatever still runs and waits for it to settle. */
  async stop(): Promise<void> {
    if (!this.finished && !this.failure)
      this.fail(new InternalError('E_ABORTED', 'extraction stopped by its consumer'));
    await this.main;
    this.detach();
  }

  private push(item: Item<E>): void {
    if (this.failure) {
      item.release?.();
      return;
    }
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve(item);
    } else {
      this.queue.push(item);
    }
  }

  private finish(): void {
    this.finished = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.resolve(this.queue.shift() ?? null);
  }

  private fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    this.controller.abort(error);
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(error);
  }

  private async runAll(): Promise<void> {
    const tasks: Promise<void>[] = [];
    for (const slice of this.slices) {
      await this.sliceSlots.acquire(this.signal);
      tasks.push(
        this.runSlice(slice)
          .catch((err) => this.fail(err))
          .finally(() => this.sliceSlots.release()),
      );
    }
    await Promise.all(tasks);
    if (this.failure) throw this.failure.error;
  }

  private async runSlice(slice: Slice<E>): Promise<void> {
    const started = Date.now();
    const state: SliceState<E> = {
      slice,
      seen: new Set(),
      report: {
        total: null,
        received: 0,
        duplicates: 0,
        repairs: 0,
        retries: 0,
        pages: 0,
        bytes: 0,
        invalidPages: 0,
        elapsedMs: 0,
      },
    };
    // The first pass only (repairs know their page counts), while the budget lasts.
    const speculative = Math.min(this.speculative.left, this.speculative.share);
    this.speculative.left -= speculative;
    const first = await this.pass(state, slice.filters, speculative);
    const total = first.total;
    if (total !== null && (state.seen.size !== total || first.totalMoved)) {
      if (state.seen.size > total) throw this.dataChanged(slice, total, state.seen.size, 'more than the total');
      this.logger.info({ slice: slice.key, total, distinct: state.seen.size }, 'slice short of its total; repairing');
      const repaired = await this.repair(state, slice.filters, { ...first, total });
      if (repaired.total !== total || repaired.totalMoved || state.seen.size > total) {
        throw this.dataChanged(
          slice,
          total,
          state.seen.size,
          `and the narrower scopes now add up to ${repaired.total}`,
        );
      }
      if (state.seen.size !== total) {
        throw new InternalError(
          'E_INCOMPLETE',
          `slice ${slice.key} of ${slice.endpoint} is incomplete: ${state.seen.size} distinct records of ${total} after ${state.report.repairs} repairs`,
          { slice: slice.key, total, received: state.seen.size },
        );
      }
    }
    state.report.total = total;
    state.report.received = state.seen.size;
    state.report.elapsedMs = Date.now() - started;
    this.push({ event: { type: 'slice-done', slice, report: state.report } });
  }

  private dataChanged(slice: Slice<E>, total: number, distinct: number, what: string): ServerError {
    return new ServerError(
      'E_DATA_CHANGED',
      `slice ${slice.key} of ${slice.endpoint} changed during the export: server total ${total}, got ${distinct} distinct records, ${what}; re-run the export with --resume once the data is stable (a file still being parsed?). If it happens again with the same numbers, the server's count disagrees with the records it serves: report it to the DQM Playground maintainers`,
      { slice: slice.key, total, received: distinct },
    );
  }

  /** Reconciles a scope: narrower scopes when it can be split, else refetch rounds. */
  private async repair(
    state: SliceState<E>,
    filters: Filters,
    known: ScopeResult & { total: number; perPage: number | null },
  ): Promise<ScopeResult & { total: number }> {
    const parts = await this.narrower.narrow(
      state.slice.endpoint,
      filters,
      known.total,
      known.perPage ?? known.keys.size,
    );
    if (parts.length > 1) {
      state.report.repairs += parts.length;
      const results = await Promise.all(parts.map((part) => this.scope(state, part)));
      const keys = new Set<RecordKey>();
      let total = 0;
      let totalMoved = false;
      for (const r of results) {
        for (const k of r.keys) keys.add(k);
        total += r.total;
        totalMoved ||= r.totalMoved;
      }
      return { total, keys, totalMoved };
    }
    return this.rounds(state, filters, known.total, known.keys);
  }

  /** A narrow scope: complete when it fits one page, else narrowed again or refetched. */
  private async scope(state: SliceState<E>, filters: Filters): Promise<ScopeResult & { total: number }> {
    const first = await this.pages.fetch(state, filters, 1);
    const total = first.page.total ?? first.keys.length;
    const keys = new Set(first.keys);
    if (keys.size >= total) return { total, keys, totalMoved: false };
    return this.repair(state, filters, { total, keys, totalMoved: false, perPage: pageSizeOf(first.page) });
  }

  /** Fetches every page of a scope again, up to maxRepairRounds times, until the union reaches the total. */
  private async rounds(
    state: SliceState<E>,
    filters: Filters,
    total: number,
    known: Set<RecordKey>,
  ): Promise<ScopeResult & { total: number }> {
    const keys = new Set(known);
    for (let round = 1; round <= this.maxRounds && keys.size < total; round++) {
      state.report.repairs++;
      // The data-file list is cached per URL for 60 s: a new query string forces a fresh answer.
      const scoped =
        state.slice.endpoint === 'histogram_data_files' ? { ...filters, _: `repair-${Date.now()}-${round}` } : filters;
      const pass = await this.pass(state, scoped);
      for (const k of pass.keys) keys.add(k);
      if (pass.total !== total || pass.totalMoved) return { total: pass.total ?? total, keys, totalMoved: true };
    }
    return { total, keys, totalMoved: false };
  }

  /**
   * Page 1, then every other page at once (page count from the total), or `next` links without one.
   * Pages 2 .. 1 + `speculative` are requested with page 1 and counted only if page 1 shows them.
   */
  private async pass(
    state: SliceState<E>,
    filters: Filters,
    speculative = 0,
  ): Promise<ScopeResult & { perPage: number | null }> {
    // Page 1 first in the permits' queue: a page ahead never holds the permit page 1 waits for.
    const firstFetched = this.pages.request(state.slice.endpoint, filters, 1);
    const ahead: PageAhead<E>[] = Array.from({ length: speculative }, (_, i) =>
      this.pages.ahead(state, filters, i + 2),
    );
    let first: PageResult<E>;
    try {
      first = this.pages.accept(state, 1, await firstFetched);
    } catch (err) {
      for (const a of ahead) a.drop();
      throw err;
    }
    const keys = new Set(first.keys);
    const { total } = first.page;
    const perPage = pageSizeOf(first.page);
    let totalMoved = false;
    if (total !== null && perPage !== null) {
      const pages = pageCount(total, perPage);
      for (const a of ahead.slice(Math.max(0, pages - 1))) a.drop();
      const rest = await Promise.all(
        Array.from({ length: pages - 1 }, (_, i) =>
          i < ahead.length ? ahead[i]!.adopt() : this.pages.fetch(state, filters, i + 2),
        ),
      );
      for (const r of rest) {
        for (const k of r.keys) keys.add(k);
        if (r.page.total !== null && r.page.total !== total && !r.invalid) totalMoved = true;
      }
    } else if (total === null || first.keys.length < total) {
      for (const a of ahead) a.drop();
      let next = first.page.next;
      while (next) {
        const r = await this.pages.fetch(state, filters, next);
        for (const k of r.keys) keys.add(k);
        next = r.page.next;
      }
    } else {
      for (const a of ahead) a.drop();
    }
    return { total, keys, totalMoved, perPage };
  }
}
