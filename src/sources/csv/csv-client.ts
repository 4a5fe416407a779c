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

function checkedConcurrency(concurrency: number): number {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError('E_BAD_OPTION', `concurrency must be an integer >= 1, got ${String(concurrency)}`, {
      field: 'concurrency',
    });
  }
  return concurrency;
}

function headerRecord(reply: Reply): Record<string, string> {
  return Object.fromEntries(reply.headers.map(([k, v]) => [k.toLowerCase(), v]));
}

/** A parsed GET reply: its JSON body, its size and the URL it answers. */
interface LocalReply {
  json: unknown;
  bytes: number;
  url: string;
}

/** GET `path` (raw, percent-encoded) with `query`, answered in process. */
type LocalGet = (path: string, query: string, signal: AbortSignal | undefined) => Promise<LocalReply>;

/** The list or detail route of `path` (percent-encoded), or E_INTERNAL naming `url`. */
function readRoute(path: string, url: string): NonNullable<ReturnType<typeof matchRoute>> {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // As in the server: an undecodable path matches no route.
  }
  const route = matchRoute(decoded);
  if (!route || (route.kind !== 'list' && route.kind !== 'detail'))
    throw new InternalError('E_INTERNAL', `no local route for ${url}`);
  return route;
}

/** A GET of `path` and `query` as the router sees it, from the default user. */
function getContext(path: string, query: string): RequestContext {
  return {
    method: 'GET',
    path,
    pairs: [...new URLSearchParams(query)],
    user: 'user',
    host: 'localhost',
    headers: {},
    body: NO_BODY,
  };
}

/**
 * Throws what the HTTP client would throw for an error reply: the same code and kind (so `Invalid
 * page.` and a bad filter are handled alike), worded without the HTTP that never happened.
 */
function throwReplyError(reply: Reply, url: string, description: string): void {
  const headers = headerRecord(reply);
  const body = reply.body.toString('utf8');
  const resolution = interpretResponse({ method: 'GET', url, status: reply.status, headers, body });
  if (resolution.action === 'ok') return;
  const { error } = resolution;
  throw new DqmExportError(
    error.code,
    'server',
    `${description} rejected GET ${url}: ${serverMessage(body, headers['content-type'])}`,
    error.context,
  );
}

/** GETs answered by the server's router and handlers over `env`, counted in `stats`. */
function localGet(
  env: HandlerEnv,
  baseUrl: string,
  description: string,
  stats: ClientStats,
  isClosed: () => boolean,
): LocalGet {
  return async (path, query, signal) => {
    signal?.throwIfAborted();
    if (isClosed()) throw new InternalError('E_SOURCE_CLOSED', `${description} was used after close()`);
    const url = `${baseUrl}${path}${query ? `?${query}` : ''}`;
    const route = readRoute(path, url);
    stats.requests++;
    stats.attempts++;
    const reply = await dispatch(env, getContext(path, query), route);
    stats.bytes += reply.body.length;
    if (reply.status < 200 || reply.status >= 300) {
      stats.failures++;
      throwReplyError(reply, url, description);
    }
    return { json: JSON.parse(reply.body.toString('utf8')), bytes: reply.body.length, url };
  };
}

/** The server-side operations, each refused with E_SOURCE_OPERATION: local CSV files have no server. */
function unsupportedOperations(
  description: string,
): Pick<
  DqmClient,
  'deleteHistogram' | 'listDataFiles' | 'getDataFile' | 'startParsing' | 'discover' | 'waitForDataFile'
> {
  const refuse = (operation: string) => async (): Promise<never> => {
    throw unsupported(operation, description);
  };
  return {
    deleteHistogram: refuse('deleting a histogram'),
    listDataFiles: refuse('listing histogram data files'),
    getDataFile: refuse('reading a histogram data file'),
    startParsing: refuse('start_parsing'),
    discover: refuse('discover'),
    waitForDataFile: refuse('waiting for a data file to be parsed'),
  };
}

function unsupported(operation: string, description: string): ConfigError {
  return new ConfigError(
    'E_SOURCE_OPERATION',
    `${operation} needs a dqm-playground source; ${description} reads CSV files in process and has no data files to register, parse or delete`,
    { operation },
  );
}

/** Lists are read-only views of the tables; `histogram_data_files` is a server's concern. */
function checkReadable(endpoint: Endpoint, operation: string, description: string): void {
  if (endpoint === 'histogram_data_files') throw unsupported(`${operation} of histogram_data_files`, description);
}

/** The list operations of a client over `get`; `self` is the whole client (the extractor runs on it). */
function listOperations(
  get: LocalGet,
  description: string,
  self: () => DqmClient,
): Pick<DqmClient, 'listPage' | 'listNext' | 'listAll'> {
  async function page<E extends Endpoint>(
    path: string,
    query: string,
    signal?: AbortSignal,
  ): Promise<Page<RecordOf<E>>> {
    const r = await get(path, query, signal);
    return parsePage<RecordOf<E>>(r.json, r.url, r.bytes, 0);
  }
  const ops: Pick<DqmClient, 'listPage' | 'listNext' | 'listAll'> = {
    async listPage(endpoint, filters, pageNumber, opts = {}) {
      checkReadable(endpoint, 'listing', description);
      const query = encodeFilters(filters);
      if (pageNumber !== 1) query.set('page', String(pageNumber));
      return page(`/api/${endpoint}/`, query.toString(), opts.signal);
    },
    async listNext(endpoint, next, opts = {}) {
      checkReadable(endpoint, 'listing', description);
      const url = new URL(next, 'http://localhost');
      return page(url.pathname, url.search.slice(1), opts.signal);
    },
    async listAll<E extends Endpoint>(endpoint: E, filters: Filters = {}, opts: CallOptions & { limit?: number } = {}) {
      checkReadable(endpoint, 'listing', description);
      if (opts.limit !== undefined) return listFirst(ops, endpoint, filters, opts.limit, opts.signal);
      const records: RecordOf<E>[] = [];
      const slices = [{ key: 'all', endpoint, filters, partition: {} }];
      for await (const event of extractSlices(self(), slices, { signal: opts.signal })) {
        if (event.type === 'batch') records.push(...event.records);
      }
      return records;
    },
  };
  return ops;
}

/** The first `limit` records of a list, in list order (pages are consistent: the tables never change). */
async function listFirst<E extends Endpoint>(
  lists: Pick<DqmClient, 'listPage'>,
  endpoint: E,
  filters: Filters,
  limit: number,
  signal?: AbortSignal,
): Promise<RecordOf<E>[]> {
  const out: RecordOf<E>[] = [];
  for (let n = 1; out.length < limit; n++) {
    const current = await lists.listPage(endpoint, filters, n, { signal });
    out.push(...current.records.slice(0, limit - out.length));
    if (current.next === null || current.records.length === 0) break;
  }
  return out;
}

/** The single-record operations of a client over `get`. */
function detailOperations(get: LocalGet): Pick<DqmClient, 'getRun' | 'getLumisection' | 'getHistogram'> {
  const detail = async <T>(endpoint: Endpoint, id: number, what: string, signal?: AbortSignal): Promise<T> =>
    (await get(`/api/${endpoint}/${checkedInt(id, what)}/`, '', signal)).json as T;
  return {
    getRun: (runNumber, opts = {}) => detail<Run>('runs', runNumber, 'run number', opts.signal),
    getLumisection: (id, opts = {}) => detail<Lumisection>('lumisections', id, 'lumisection id', opts.signal),
    getHistogram: ((dim: 1 | 2, id: number, opts: CallOptions = {}) => {
      if (dim !== 1 && dim !== 2)
        throw new ConfigError('E_BAD_OPTION', `histogram dimensionality must be 1 or 2, got ${String(dim)}`, {
          field: 'dim',
        });
      return detail<Histogram1D | Histogram2D>(`lumisection_histograms_${dim}d`, id, 'histogram id', opts.signal);
    }) as DqmClient['getHistogram'],
  };
}

/** A client answering from `data` through the server's handlers, in process. */
export function createCsvClient(data: ServerData, options: CsvClientOptions): DqmClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const env: HandlerEnv = {
    data,
    options: resolveServerOptions({ pageSize: options.pageSize ?? 50, logger: silentLogger }),
    shuffle: new Prng(1),
  };
  const stats = emptyStats();
  let closed = false;
  const get = localGet(env, baseUrl, options.description, stats, () => closed);
  const client: DqmClient = {
    baseUrl,
    concurrency: checkedConcurrency(options.concurrency ?? 4),
    stats,
    ...listOperations(get, options.description, () => client),
    ...detailOperations(get),
    ...unsupportedOperations(options.description),
    close: async () => {
      closed = true;
    },
  };
  return client;
}
