/**
 * Shared shapes of the extract stage: client options and operations, pages, slices and the events an
 * extraction yields. Plain data only, so planning and tests work with object literals.
 */
import type { Endpoint, Filters, Histogram1D, Histogram2D, HistogramDataFile, Lumisection, Run } from '../domain.js';
import type { Logger } from '../log.js';

/** Record type served by each list endpoint. */
export interface RecordByEndpoint {
  runs: Run;
  lumisections: Lumisection;
  lumisection_histograms_1d: Histogram1D;
  lumisection_histograms_2d: Histogram2D;
  histogram_data_files: HistogramDataFile;
}
export type RecordOf<E extends Endpoint> = RecordByEndpoint[E];

/** Options of `createClient`. Every duration is in milliseconds. */
export interface ClientOptions {
  /** Server root, e.g. `https://ml4dqm-playground.web.cern.ch` (a path prefix is kept; `/api/` is appended). */
  baseUrl: string;
  /** API token, sent as `Authorization: Token <token>`; registered with the secret redactor. */
  token: string;
  /** Connections kept open to the server; also the default page concurrency of extractions. Default 8. */
  concurrency?: number;
  /** Retries after the first attempt for 429, 5xx, resets, timeouts and broken bodies. Default 6. */
  maxRetries?: number;
  /** Full-jitter backoff base: retry n waits random(0, min(retryMaxMs, retryBaseMs * 2^n)). Default 200. */
  retryBaseMs?: number;
  /** Upper bound of one backoff wait (without Retry-After). Default 20 000. */
  retryMaxMs?: number;
  /** Longest `Retry-After` honoured; a longer one fails the request at once instead of stalling. Default 120 000. */
  retryAfterMaxMs?: number;
  /** TCP + TLS connect timeout. Default 10 000. */
  connectTimeoutMs?: number;
  /** Time to the response headers (a 2D page takes ~0.5 s on a busy server). Default 60 000. */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks. Default 60 000. */
  bodyTimeoutMs?: number;
  /** PEM file with a site CA (e.g. the CERN Grid CA), trusted in addition to Node's bundled roots. */
  caFile?: string;
  /** Allow plain `http://` to a host that is not loopback (the token would travel in clear). */
  allowInsecureHttp?: boolean;
  /** Where retries and slow requests are logged (token-free). Default: silent. */
  logger?: Logger;
  /** `User-Agent` header. Default `dqm-export/<VERSION> (node <version>)`. */
  userAgent?: string;
}

/** Why a request was retried. */
export type RetryReason = 'status-429' | 'status-5xx' | 'reset' | 'timeout' | 'truncated' | 'bad-body';

/** Live counters of one client (all requests, all extractions). */
export interface ClientStats {
  /** Logical requests issued (a retried request counts once). */
  requests: number;
  /** HTTP attempts, including retries. */
  attempts: number;
  /** Retries by reason. */
  retries: Record<RetryReason, number>;
  /** Response body bytes received (all attempts). */
  bytes: number;
  /** Requests that failed after their last attempt. */
  failures: number;
}

/** Per-call options of the client's operations. */
export interface CallOptions {
  /** Cancels the request (and any backoff wait). */
  signal?: AbortSignal;
}

/** Per-call options of `listPage` and `listNext`. */
export interface ListPageOptions extends CallOptions {
  /**
   * Pages of 1D and 2D histograms only: each record's `data` arrives as a PackedHistogramData
   * (src/histogram-values.ts, typed values; `JSON.stringify` gives the same JSON) rather than JS
   * arrays, decoded straight from the body (src/extract/decode-page.ts). For consumers that hand
   * records to the transform; other endpoints ignore it. Default false.
   */
  packedHistograms?: boolean;
}

/** One page of a list endpoint, normalised across envelopes. */
export interface Page<T> {
  records: T[];
  /** `total` (real server) or `count` (stock DRF); null when the envelope has neither. */
  total: number | null;
  /** `per_page` from the envelope, else null (then len(results) of page 1 is the page size). */
  perPage: number | null;
  /** `next` as sent (relative or absolute), null on the last page. */
  next: string | null;
  /** Body bytes of the successful attempt. */
  bytes: number;
  /** Retries this page needed. */
  retries: number;
  /** Token-free URL of the page. */
  url: string;
}

/** Parameters of `start_parsing`. */
export interface ParseRequest {
  /** Only `lum` is implemented by the server (`run` answers 500). */
  granularity: 'lum' | 'run';
  dataDimensionality: 1 | 2;
  /** Only `csv` is accepted (lower case). */
  fileFormat: 'csv';
}

/** Progress of a data file being parsed, as reported to `onProgress`. */
export interface ParseProgress {
  id: number;
  percentage: number;
  entriesProcessed: number;
  entriesTotal: number;
  elapsedMs: number;
}

/** Options of `waitForDataFile`. */
export interface WaitOptions extends CallOptions {
  /** Give up after this long (E_PARSE_TIMEOUT). Default 30 min. */
  timeoutMs?: number;
  /** Give up when `entries_processed` has not moved for this long (E_PARSE_STALLED). Default 2 min. */
  stallMs?: number;
  /** Poll interval. Default 2 000. */
  pollMs?: number;
  /** Called after every poll. */
  onProgress?: (progress: ParseProgress) => void;
}

/** The typed DQM Playground operations. */
export interface DqmClient {
  /** Normalised base URL (no trailing slash). */
  readonly baseUrl: string;
  /** Connection count, and the default page concurrency of extractions. */
  readonly concurrency: number;
  /** Live counters. */
  readonly stats: ClientStats;
  /** One page (1-based) of a list endpoint; a page past the end throws E_INVALID_PAGE. */
  listPage<E extends Endpoint>(
    endpoint: E,
    filters: Filters,
    page: number,
    options?: ListPageOptions,
  ): Promise<Page<RecordOf<E>>>;
  /** The page a `next` link points to (relative or absolute; always sent to this client's origin). */
  listNext<E extends Endpoint>(endpoint: E, next: string, options?: ListPageOptions): Promise<Page<RecordOf<E>>>;
  /**
   * Every record of a list, deduplicated and checked against `total`; `limit` stops early. With
   * `onBatch`, each batch goes there as it arrives (none is kept) and the result is empty.
   */
  listAll<E extends Endpoint>(
    endpoint: E,
    filters?: Filters,
    options?: CallOptions & {
      limit?: number;
      onBatch?: (records: readonly RecordOf<E>[]) => void;
      /** Without `limit`: pages after page 1 requested with it (ExtractOptions.speculativePages). */
      speculativePages?: number;
    },
  ): Promise<RecordOf<E>[]>;
  getRun(runNumber: number, options?: CallOptions): Promise<Run>;
  getLumisection(id: number, options?: CallOptions): Promise<Lumisection>;
  getHistogram(dim: 1, id: number, options?: CallOptions): Promise<Histogram1D>;
  getHistogram(dim: 2, id: number, options?: CallOptions): Promise<Histogram2D>;
  getHistogram(dim: 1 | 2, id: number, options?: CallOptions): Promise<Histogram1D | Histogram2D>;
  /** Deletes a histogram; a 404 on a retried attempt counts as done (the first attempt deleted it). */
  deleteHistogram(dim: 1 | 2, id: number, options?: CallOptions): Promise<void>;
  /** Every data file matching `filters`; `bustCache` defeats the server's 60 s per-URL cache. */
  listDataFiles(filters?: Filters, options?: CallOptions & { bustCache?: boolean }): Promise<HistogramDataFile[]>;
  getDataFile(id: number, options?: CallOptions & { bustCache?: boolean }): Promise<HistogramDataFile>;
  /** Starts parsing a data file (202); progress then shows in `getDataFile`. Not retried on 5xx. */
  startParsing(id: number, request: ParseRequest, options?: CallOptions): Promise<void>;
  /** Registers new files from the server's storage (admin only; 403 otherwise). */
  discover(options?: CallOptions): Promise<void>;
  /** Polls (cache-busting) until the file is 100 % parsed; reports progress; fails on stall or timeout. */
  waitForDataFile(id: number, options?: WaitOptions): Promise<HistogramDataFile>;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

/** Values a slice stands for, for partition columns and resume keys, e.g. `{run: 315705}`. */
export type PartitionValues = Record<string, string | number>;

/** One independently verifiable unit of an extraction. */
export interface Slice<E extends Endpoint = Endpoint> {
  /** Stable and unique within a stream, e.g. `run=315705`. */
  key: string;
  endpoint: E;
  filters: Filters;
  partition: PartitionValues;
}

/** What happened while extracting one slice. */
export interface SliceReport {
  /** Total the server announced; null when the envelope has none (then `next` was followed). */
  total: number | null;
  /** Distinct records emitted. */
  received: number;
  /** Records dropped because their id was already emitted for this slice. */
  duplicates: number;
  /** Extra scopes fetched to reconcile the count (narrower sub-slices or refetch rounds). */
  repairs: number;
  /** Retries of this slice's requests. */
  retries: number;
  /** Pages fetched, repairs included. */
  pages: number;
  /** Body bytes of this slice's pages. */
  bytes: number;
  /** Pages that answered `Invalid page.` (the list shrank while being read). */
  invalidPages: number;
  elapsedMs: number;
}

/** Yielded by `extractSlices`: records of a slice (each once), then its verified end. */
export type ExtractEvent<E extends Endpoint = Endpoint> =
  | { type: 'batch'; slice: Slice<E>; records: RecordOf<E>[]; bytes: number }
  | { type: 'slice-done'; slice: Slice<E>; report: SliceReport };

/** Options of `extractSlices`. */
export interface ExtractOptions {
  /**
   * Requests on the wire at once, across all slices. Default: the client's concurrency. When the
   * client's pool is no wider, the executor hands it up to QUEUED_PER_CONNECTION times this, the
   * rest waiting in the pool for a free socket (execute.ts).
   */
  concurrency?: number;
  /** Pages fetched but not yet consumed, in flight included. Default: concurrency, twice that once records turn out small (execute.ts). */
  maxPagesAhead?: number;
  /** Slices open at once (each holds a set of seen ids). Default: as `maxPagesAhead`. */
  maxOpenSlices?: number;
  /** Refetch rounds for a scope that cannot be narrowed before E_INCOMPLETE. Default 4. */
  maxRepairRounds?: number;
  /**
   * Pages requested with page 1 of a slice, before the page count is known, in all: the slices that
   * open at once share them evenly, in order (`ceil(this / slices open at once)` each, pages 2, 3, ...
   * of each, until none are left). Each counts only if its page 1 shows the list has it (one past the
   * end answers 404, dropped uncounted; one not yet sent when page 1 answers is not sent). Saves the
   * first pages' round trip before the connections fill, at the cost of up to this many requests past
   * the end of short lists. `histograms list --all` asks for `concurrency - 1` for its one slice, the
   * dqm-playground source page 2 of as many slices as connections would idle. Default 0
   * (docs/decisions.md, "`histograms list --all`: the first round's pages requested with page 1",
   * "`run`: the first pages' round fills every connection").
   */
  speculativePages?: number;
  /** Cancels in-flight requests; the iterator then throws the abort reason. */
  signal?: AbortSignal;
  /** Logs repairs (token-free). */
  logger?: Logger;
}
