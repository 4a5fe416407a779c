/**
 * A `DqmClient` over in-memory tables, with no HTTP: each call is answered by the embedded server's
 * own router and handlers (src/server/router.ts), called in process. Filter validation, ordering,
 * pagination and the record bytes are therefore the server's by construction, and the extractor
 * (dedup, totals check, slices) runs unchanged on top. Error replies become the same errors the
 * HTTP client raises (interpretResponse), so `Invalid page.` and a bad filter value behave alike.
 *
 * Only reads are offered: the data-file operations and deletes of a server make no sense for files
 * read locally, and throw ConfigError E_SOURCE_OPERATION.
 */
import {
  encodeFilters,
  type Endpoint,
  type Filters,
  type Histogram1D,
  type Histogram2D,
  type Lumisection,
  type Run,
} from '../../domain.js';
import { ConfigError, DqmExportError, InternalError } from '../../errors.js';
import {
  extractSlices,
  type CallOptions,
  type ClientStats,
  type DqmClient,
  type Page,
  type RecordOf,
} from '../../extract/index.js';
import { parsePage } from '../../extract/envelope.js';
import { interpretResponse, serverMessage } from '../../extract/http/response.js';
import { silentLogger } from '../../log.js';
import type { HandlerEnv, RequestContext, ServerData } from '../../server/handlers/context.js';
import type { Reply } from '../../server/http.js';
import { resolveServerOptions } from '../../server/options.js';
import { Prng } from '../../tables/prng.js';
import { dispatch, matchRoute } from '../../server/router.js';

/** Options of `createCsvClient`. */
export interface CsvClientOptions {
  /** What `baseUrl` reports; provenance records `${baseUrl}/api/<endpoint>/`. A token-free file:// URL. */
  baseUrl: string;
  /** Default page concurrency of extractions (pages rendered ahead of the consumer). Default 4. */
  concurrency?: number;
  /** Records per page. Default 50, the server's page size, so batches are the same as over HTTP. */
  pageSize?: number;
  /** Names the source in the error of an unsupported operation, e.g. `pipelines/x.yaml: source (ml4dqm-csv)`. */
  description: string;
}

const NO_BODY = Buffer.alloc(0);

function emptyStats(): ClientStats {
  return {
    requests: 0,
    attempts: 0,
    retries: { 'status-429': 0, 'status-5xx': 0, reset: 0, timeout: 0, truncated: 0, 'bad-body': 0 },
    bytes: 0,
    failures: 0,
  };
}

function checkedInt(value: number, what: string): number {
  if (!Number.isSafeInteger(value))
    throw new ConfigError('E_BAD_OPTION', `${what} must be an integer, got ${String(value)}`);
  return value;
}

function headerRecord(reply: Reply): Record<string, string> {
  return Object.fromEntries(reply.headers.map(([k, v]) => [k.toLowerCase(), v]));
}

/** A client answering from `data` through the server's handlers, in process. */
export function createCsvClient(data: ServerData, options: CsvClientOptions): DqmClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError('E_BAD_OPTION', `concurrency must be an integer >= 1, got ${String(concurrency)}`, {
      field: 'concurrency',
    });
  }
  const env: HandlerEnv = {
    data,
    options: resolveServerOptions({ pageSize: options.pageSize ?? 50, logger: silentLogger }),
    shuffle: new Prng(1),
  };
  const stats = emptyStats();
  let closed = false;

  const unsupported = (operation: string): ConfigError =>
    new ConfigError(
      'E_SOURCE_OPERATION',
      `${operation} needs a dqm-playground source; ${options.description} reads CSV files in process and has no data files to register, parse or delete`,
      { operation },
    );

  const readable = (endpoint: Endpoint, operation: string): void => {
    if (endpoint === 'histogram_data_files') throw unsupported(`${operation} of histogram_data_files`);
  };

  /** GET `path` (raw, percent-encoded) with `query` through the router; the parsed JSON body. */
  async function get(
    path: string,
    query: string,
    signal: AbortSignal | undefined,
  ): Promise<{ json: unknown; bytes: number; url: string }> {
    signal?.throwIfAborted();
    if (closed) throw new InternalError('E_SOURCE_CLOSED', `${options.description} was used after close()`);
    const url = `${baseUrl}${path}${query ? `?${query}` : ''}`;
    let decoded = path;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      // As in the server: an undecodable path matches no route.
    }
    const route = matchRoute(decoded);
    if (!route || (route.kind !== 'list' && route.kind !== 'detail'))
      throw new InternalError('E_INTERNAL', `no local route for ${url}`);
    const ctx: RequestContext = {
      method: 'GET',
      path,
      pairs: [...new URLSearchParams(query)],
      user: 'user',
      host: 'localhost',
      headers: {},
      body: NO_BODY,
    };
    stats.requests++;
    stats.attempts++;
    const reply = await dispatch(env, ctx, route);
    stats.bytes += reply.body.length;
    if (reply.status < 200 || reply.status >= 300) {
      stats.failures++;
      const headers = headerRecord(reply);
      const body = reply.body.toString('utf8');
      const resolution = interpretResponse({ method: 'GET', url, status: reply.status, headers, body });
      // Same code and kind as over HTTP (so `Invalid page.` and a bad filter are handled alike),
      // worded without the HTTP that never happened.
      if (resolution.action !== 'ok') {
        const { error } = resolution;
        throw new DqmExportError(
          error.code,
          'server',
          `${options.description} rejected GET ${url}: ${serverMessage(body, headers['content-type'])}`,
          error.context,
        );
      }
    }
    return { json: JSON.parse(reply.body.toString('utf8')), bytes: reply.body.length, url };
  }

  async function page<E extends Endpoint>(
    path: string,
    query: string,
    signal: AbortSignal | undefined,
  ): Promise<Page<RecordOf<E>>> {
    const r = await get(path, query, signal);
    return parsePage<RecordOf<E>>(r.json, r.url, r.bytes, 0);
  }

  async function detail<T>(endpoint: Endpoint, id: number, what: string, signal: AbortSignal | undefined): Promise<T> {
    return (await get(`/api/${endpoint}/${checkedInt(id, what)}/`, '', signal)).json as T;
  }

  /** The first `limit` records of a list, in list order (pages are consistent: the tables never change). */
  async function listFirst<E extends Endpoint>(
    endpoint: E,
    filters: Filters,
    limit: number,
    signal?: AbortSignal,
  ): Promise<RecordOf<E>[]> {
    const out: RecordOf<E>[] = [];
    for (let n = 1; out.length < limit; n++) {
      const current = await client.listPage(endpoint, filters, n, { signal });
      out.push(...current.records.slice(0, limit - out.length));
      if (current.next === null || current.records.length === 0) break;
    }
    return out;
  }

  const client: DqmClient = {
    baseUrl,
    concurrency,
    stats,

    async listPage(endpoint, filters, pageNumber, opts = {}) {
      readable(endpoint, 'listing');
      const query = encodeFilters(filters);
      if (pageNumber !== 1) query.set('page', String(pageNumber));
      return page(`/api/${endpoint}/`, query.toString(), opts.signal);
    },

    async listNext(endpoint, next, opts = {}) {
      readable(endpoint, 'listing');
      const url = new URL(next, 'http://localhost');
      return page(url.pathname, url.search.slice(1), opts.signal);
    },

    async listAll<E extends Endpoint>(endpoint: E, filters: Filters = {}, opts: CallOptions & { limit?: number } = {}) {
      readable(endpoint, 'listing');
      if (opts.limit !== undefined) return listFirst(endpoint, filters, opts.limit, opts.signal);
      const records: RecordOf<E>[] = [];
      for await (const event of extractSlices(client, [{ key: 'all', endpoint, filters, partition: {} }], {
        signal: opts.signal,
      })) {
        if (event.type === 'batch') records.push(...event.records);
      }
      return records;
    },

    getRun: (runNumber, opts = {}) => detail<Run>('runs', runNumber, 'run number', opts.signal),
    getLumisection: (id, opts = {}) => detail<Lumisection>('lumisections', id, 'lumisection id', opts.signal),
    getHistogram: ((dim: 1 | 2, id: number, opts: CallOptions = {}) => {
      if (dim !== 1 && dim !== 2)
        throw new ConfigError('E_BAD_OPTION', `histogram dimensionality must be 1 or 2, got ${String(dim)}`, {
          field: 'dim',
        });
      return detail<Histogram1D | Histogram2D>(`lumisection_histograms_${dim}d`, id, 'histogram id', opts.signal);
    }) as DqmClient['getHistogram'],

    deleteHistogram: async () => {
      throw unsupported('deleting a histogram');
    },
    listDataFiles: async () => {
      throw unsupported('listing histogram data files');
    },
    getDataFile: async () => {
      throw unsupported('reading a histogram data file');
    },
    startParsing: async () => {
      throw unsupported('start_parsing');
    },
    discover: async () => {
      throw unsupported('discover');
    },
    waitForDataFile: async () => {
      throw unsupported('waiting for a data file to be parsed');
    },

    close: async () => {
      closed = true;
    },
  };
  return client;
}
