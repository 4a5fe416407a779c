/**
 * Pages under the executor's flow control (execute.ts): each page takes a backpressure permit before
 * its request and goes through the global limit; its records are deduplicated within the slice and
 * queued as one batch that carries the permit to the consumer. Pages can be requested ahead, before
 * the page count is known, and counted only once it shows the list has them (ExtractOptions.
 * speculativePages).
 */
import type { LimitFunction } from 'p-limit';
import type { Endpoint, Filters } from '../domain.js';
import { InternalError } from '../errors.js';
import { emptyPage } from './flow-limits.js';
import { isInvalidPage } from './http/response.js';
import { recordKey, type RecordKey } from './records.js';
import type { Semaphore } from './semaphore.js';
import type { DqmClient, ExtractEvent, Page, RecordOf, Slice, SliceReport } from './types.js';

/** One slice being extracted: the ids seen so far and its report. */
export interface SliceState<E extends Endpoint> {
  slice: Slice<E>;
  seen: Set<RecordKey>;
  report: SliceReport;
}

/** An event for the consumer, with the permit it returns once done with it. */
export interface Item<E extends Endpoint> {
  event: ExtractEvent<E>;
  /** Returns the page permit once the consumer is done with the event. */
  release?: () => void;
}

/** What a fetched page gave its scope. */
export interface PageResult<E extends Endpoint> {
  page: Page<RecordOf<E>>;
  keys: RecordKey[];
  invalid: boolean;
}

/** A page requested before it is known to exist: counted by `adopt()`, or let go by `drop()`. */
export interface PageAhead<E extends Endpoint> {
  /** Counts the page in its slice once it settles, as `fetch` does. */
  adopt(): Promise<PageResult<E>>;
  /** The page is not needed: not sent if it has not been yet; else its answer is left unused. */
  drop(): void;
}

/** A page's request settled, its permit held: the page, or why there is none. */
export type Fetched<E extends Endpoint> = { page: Page<RecordOf<E>> } | { error: unknown };

/** What the fetcher shares with its extraction. */
export interface PageFetchContext<E extends Endpoint> {
  client: DqmClient;
  /** The extraction's signal: aborts waiting permits, queued and in-flight requests. */
  signal: AbortSignal;
  /** Backpressure: one permit per page fetched and not yet consumed. */
  credits: Semaphore;
  /** Requests handed to the client at once. */
  limit: LimitFunction;
  /** Queues an event for the consumer. */
  push: (item: Item<E>) => void;
  /** Called with each page that has records (the extraction sizes its flow from the first). */
  onRecords: (page: Page<RecordOf<E>>) => void;
}

/** Fetches pages for an extraction. */
export class PageFetcher<E extends Endpoint> {
  constructor(private readonly ctx: PageFetchContext<E>) {}

  /** Fetches one page and counts it in its slice (see the module comment). */
  async fetch(state: SliceState<E>, filters: Filters, page: number | string): Promise<PageResult<E>> {
    return this.accept(state, page, await this.request(state.slice.endpoint, filters, page));
  }

  /**
   * Requests `page` now; nothing of it counts until `adopt()`. Its permit is taken after those of
   * the pages asked for before it (the permits' queue is in order), so it never holds one that
   * page 1 waits for.
   */
  ahead(state: SliceState<E>, filters: Filters, page: number): PageAhead<E> {
    let dropped = false;
    const fetched = this.request(state.slice.endpoint, filters, page, () => !dropped);
    fetched.catch(() => {}); // no permit (aborted): adopt() or page 1 reports it
    return {
      adopt: async () => this.accept(state, page, await fetched),
      drop: () => {
        dropped = true;
        // Its permit back once it settles; its answer (a 404 past the end, or records) unused.
        void fetched.then(
          () => this.ctx.credits.release(),
          () => {},
        );
      },
    };
  }

  /**
   * Requests one page under a permit (held on return) and the limit; never rejects once permitted.
   * `wanted`, checked just before the request would be sent: false settles without sending it.
   */
  async request(
    endpoint: E,
    filters: Filters,
    page: number | string,
    wanted: () => boolean = () => true,
  ): Promise<Fetched<E>> {
    const { client, signal } = this.ctx;
    await this.ctx.credits.acquire(signal);
    try {
      // A page queued behind the limit when the extraction fails must not start a request.
      return {
        page: await this.ctx.limit(() => {
          signal.throwIfAborted();
          if (!wanted()) throw new InternalError('E_ABORTED', `page ${page} requested ahead and not needed`);
          return typeof page === 'number'
            ? client.listPage(endpoint, filters, page, { signal })
            : client.listNext(endpoint, page, { signal });
        }),
      };
    } catch (error) {
      return { error };
    }
  }

  /**
   * A requested page counted in its slice: records not seen before queued as a batch with the
   * permit, or the permit back. Throws the request's error, except a page past the end (not page
   * 1): the list shrank since page 1, counted, and the totals check decides what it means.
   */
  accept(state: SliceState<E>, page: number | string, fetched: Fetched<E>): PageResult<E> {
    const { endpoint } = state.slice;
    let handedOver = false;
    try {
      if ('error' in fetched) {
        if (isInvalidPage(fetched.error) && page !== 1) {
          state.report.invalidPages++;
          return { page: emptyPage(), keys: [], invalid: true };
        }
        throw fetched.error;
      }
      const result = fetched.page;
      if (result.records.length > 0) this.ctx.onRecords(result);
      const { report } = state;
      report.pages++;
      report.bytes += result.bytes;
      report.retries += result.retries;
      const keys: RecordKey[] = [];
      const fresh: RecordOf<E>[] = [];
      for (const record of result.records) {
        const key = recordKey(endpoint, record, result.url);
        keys.push(key);
        if (state.seen.has(key)) {
          report.duplicates++;
        } else {
          state.seen.add(key);
          fresh.push(record);
        }
      }
      if (fresh.length > 0) {
        handedOver = true;
        this.ctx.push({
          event: { type: 'batch', slice: state.slice, records: fresh, bytes: result.bytes },
          release: () => this.ctx.credits.release(),
        });
      }
      return { page: result, keys, invalid: false };
    } finally {
      if (!handedOver) this.ctx.credits.release();
    }
  }
}
