/**
 * The typed DQM Playground client: one operation per API call, real paths and filter names, over the
 * retrying transport. Lists are read whole through the same executor as exports, so `listAll` is
 * deduplicated and checked against the server's total too.
 */
import { readFileSync } from 'node:fs';
import {
  encodeFilters,
  type Endpoint,
  type Filters,
  type Histogram1D,
  type Histogram2D,
  type HistogramDataFile,
  type Lumisection,
  type Run,
} from '../domain.js';
import { ConfigError, DqmExportError, ServerError } from '../errors.js';
import { registerSecret } from '../secrets.js';
import { SETTINGS } from '../settings.js';
import { VERSION } from '../version.js';
import { checkTransportSecurity, normalizeBaseUrl } from './connection.js';
import { waitForDataFile } from './data-file.js';
import { decodeHistogramPage } from './decode-page.js';
import { nextPath, pageSizeOf, parsePage } from './envelope.js';
import { extractSlices } from './execute.js';
import { createTransport, type HttpRequest } from './http/transport.js';
import { recordKey, type RecordKey } from './records.js';
import type { CallOptions, ClientOptions, DqmClient, ListPageOptions, Page, ParseRequest, RecordOf } from './types.js';

const DEFAULTS = {
  concurrency: SETTINGS.concurrency.default,
  maxRetries: SETTINGS.retries.default,
  retryBaseMs: 200,
  retryMaxMs: 20_000,
  retryAfterMaxMs: 120_000,
  connectTimeoutMs: SETTINGS.connectTimeoutMs.default,
  headersTimeoutMs: SETTINGS.headersTimeoutMs.default,
  bodyTimeoutMs: SETTINGS.bodyTimeoutMs.default,
} as const;

/** Upper bounds of the options that have one (the pipeline file and the CLI enforce the same). */
const MAX: Partial<Record<keyof typeof DEFAULTS, number>> = {
  concurrency: SETTINGS.concurrency.max,
  maxRetries: SETTINGS.retries.max,
  connectTimeoutMs: SETTINGS.connectTimeoutMs.max,
  headersTimeoutMs: SETTINGS.headersTimeoutMs.max,
  bodyTimeoutMs: SETTINGS.bodyTimeoutMs.max,
};

/** Creates a client; throws ConfigError for a bad URL, plain http to a remote host, or a bad option. */
export function createClient(options: ClientOptions): DqmClient {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  checkTransportSecurity(baseUrl, options.allowInsecureHttp ?? false);
  if (!options.token) throw new ConfigError('E_NO_TOKEN', 'no DQM Playground API token: set DQM_PLAYGROUND_TOKEN');
  registerSecret(options.token);
  const n = (field: keyof typeof DEFAULTS, min: number): number => {
    const v = options[field] ?? DEFAULTS[field];
    const max = MAX[field] ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
      throw new ConfigError('E_BAD_OPTION', `client option ${field} must be an integer ${range}, got ${String(v)}`, {
        field,
      });
    }
    return v;
  };
  const concurrency = n('concurrency', 1);
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const transport = createTransport({
    origin: base.origin,
    token: options.token,
    connections: concurrency,
    maxRetries: n('maxRetries', 0),
    retryBaseMs: n('retryBaseMs', 0),
    retryMaxMs: n('retryMaxMs', 0),
    retryAfterMaxMs: n('retryAfterMaxMs', 0),
    connectTimeoutMs: n('connectTimeoutMs', 1),
    headersTimeoutMs: n('headersTimeoutMs', 1),
    bodyTimeoutMs: n('bodyTimeoutMs', 1),
    // node:tls only with a CA file: loading it costs `run` several ms before its first request over
    // plain http (docs/decisions.md, "CLI start-up: no node:http2 or node:tls before run's first request").
    ca: options.caFile
      ? [...process.getBuiltinModule('node:tls').rootCertificates, readCaFile(options.caFile)]
      : undefined,
    userAgent: options.userAgent ?? `dqm-export/${VERSION} (node ${process.version})`,
    logger: options.logger,
  });
  let stamp = 0;
  const cacheBuster = (): string => `${Date.now()}-${++stamp}`;
  const apiPath = (rest: string, query?: URLSearchParams): string => {
    const q = query?.toString();
    return `${prefix}/api/${rest}` + (q ? `?${q}` : '');
  };

  async function json(request: HttpRequest): Promise<{ body: unknown; bytes: number; retries: number; url: string }> {
    const r = await transport.send(request);
    return { body: r.json, bytes: r.bytes, retries: r.retries, url: r.url };
  }

  async function getObject<T>(path: string, signal: AbortSignal | undefined, what: string): Promise<T> {
    const r = await json({ method: 'GET', path, signal });
    if (!r.body || typeof r.body !== 'object' || Array.isArray(r.body)) {
      throw new ServerError('E_BAD_RESPONSE', `expected a ${what} object from ${r.url}`, { url: r.url });
    }
    return r.body as T;
  }

  async function page<E extends Endpoint>(
    endpoint: E,
    path: string,
    opts: ListPageOptions,
  ): Promise<Page<RecordOf<E>>> {
    const packed =
      opts.packedHistograms === true &&
      (endpoint === 'lumisection_histograms_1d' || endpoint === 'lumisection_histograms_2d');
    const r = await json({
      method: 'GET',
      path,
      signal: opts.signal,
      decode: packed ? decodeHistogramPage : undefined,
    });
    return parsePage<RecordOf<E>>(r.body, r.url, r.bytes, r.retries);
  }

  const client: DqmClient = {
    baseUrl,
    concurrency,
    stats: transport.stats,

    listPage(endpoint, filters, pageNumber, opts = {}) {
      const query = encodeFilters(filters);
      if (pageNumber !== 1) query.set('page', String(pageNumber));
      return page(endpoint, apiPath(`${endpoint}/`, query), opts);
    },

    listNext(endpoint, next, opts = {}) {
      return page(endpoint, nextPath(next, baseUrl), opts);
    },

    async listAll<E extends Endpoint>(
      endpoint: E,
      filters: Filters = {},
      opts: CallOptions & {
        limit?: number;
        onBatch?: (records: readonly RecordOf<E>[]) => void;
        speculativePages?: number;
      } = {},
    ) {
      if (opts.limit !== undefined) {
        const first = await listFirst(client, endpoint, filters, opts.limit, opts.signal);
        if (!opts.onBatch) return first;
        opts.onBatch(first);
        return [];
      }
      const records: RecordOf<E>[] = [];
      const onBatch = opts.onBatch ?? ((batch: readonly RecordOf<E>[]) => void records.push(...batch));
      const slice = { key: 'all', endpoint, filters, partition: {} };
      const run = { signal: opts.signal, speculativePages: opts.speculativePages };
      for await (const event of extractSlices(client, [slice], run)) {
        if (event.type === 'batch') onBatch(event.records);
      }
      return records;
    },

    getRun: (runNumber, opts = {}) =>
      getObject<Run>(apiPath(`runs/${int(runNumber, 'run number')}/`), opts.signal, 'run'),
    getLumisection: (id, opts = {}) =>
      getObject<Lumisection>(apiPath(`lumisections/${int(id, 'lumisection id')}/`), opts.signal, 'lumisection'),
    getHistogram: ((dim: 1 | 2, id: number, opts: CallOptions = {}) =>
      getObject<Histogram1D | Histogram2D>(
        apiPath(`${histogramEndpoint(dim)}/${int(id, 'histogram id')}/`),
        opts.signal,
        'histogram',
      )) as DqmClient['getHistogram'],

    async deleteHistogram(dim, id, opts = {}) {
      try {
        await json({
          method: 'DELETE',
          path: apiPath(`${histogramEndpoint(dim)}/${int(id, 'histogram id')}/`),
          signal: opts.signal,
        });
      } catch (err) {
        // A DELETE retried after a lost response finds the record gone: that is success.
        const retried = err instanceof DqmExportError && err.code === 'E_HTTP_404' && Number(err.context.attempts) > 1;
        if (!retried) throw err;
      }
    },

    listDataFiles(filters = {}, opts = {}) {
      return client.listAll('histogram_data_files', opts.bustCache ? { ...filters, _: cacheBuster() } : filters, opts);
    },

    getDataFile(id, opts = {}) {
      const query = opts.bustCache ? new URLSearchParams({ _: cacheBuster() }) : undefined;
      return getObject<HistogramDataFile>(
        apiPath(`histogram_data_files/${int(id, 'data file id')}/`, query),
        opts.signal,
        'histogram data file',
      );
    },

    async startParsing(id, request: ParseRequest, opts = {}) {
      await json({
        method: 'POST',
        path: apiPath(`histogram_data_files/${int(id, 'data file id')}/start_parsing/`),
        body: {
          granularity: request.granularity,
          data_dimensionality: request.dataDimensionality,
          file_format: request.fileFormat,
        },
        idempotent: false,
        signal: opts.signal,
      });
    },

    async discover(opts = {}) {
      await json({
        method: 'GET',
        path: apiPath('histogram_data_files/discover/'),
        expectBody: false,
        signal: opts.signal,
      });
    },

    waitForDataFile: (id, opts) => waitForDataFile(client, id, opts),

    close: () => transport.close(),
  };
  return client;
}

/** The first `limit` distinct records, reading pages in order and stopping as soon as there are enough. */
async function listFirst<E extends Endpoint>(
  client: DqmClient,
  endpoint: E,
  filters: Filters,
  limit: number,
  signal?: AbortSignal,
): Promise<RecordOf<E>[]> {
  const out: RecordOf<E>[] = [];
  const seen = new Set<RecordKey>();
  let current: Page<RecordOf<E>> = await client.listPage(endpoint, filters, 1, { signal });
  const size = pageSizeOf(current);
  for (let n = 1; ; n++) {
    for (const r of current.records) {
      const key = recordKey(endpoint, r, current.url);
      if (out.length < limit && !seen.has(key)) {
        seen.add(key);
        out.push(r);
      }
    }
    const more = current.total !== null && size !== null ? n * size < current.total : current.next !== null;
    if (out.length >= limit || !more || current.records.length === 0) return out;
    current =
      size !== null
        ? await client.listPage(endpoint, filters, n + 1, { signal })
        : await client.listNext(endpoint, current.next!, { signal });
  }
}

function histogramEndpoint(dim: number): 'lumisection_histograms_1d' | 'lumisection_histograms_2d' {
  if (dim === 1) return 'lumisection_histograms_1d';
  if (dim === 2) return 'lumisection_histograms_2d';
  throw new ConfigError('E_BAD_OPTION', `histogram dimensionality must be 1 or 2, got ${dim}`, { field: 'dim' });
}

function int(value: number, what: string): number {
  if (!Number.isSafeInteger(value))
    throw new ConfigError('E_BAD_OPTION', `${what} must be an integer, got ${String(value)}`);
  return value;
}

/** Reads a PEM CA file; ConfigError E_CA_FILE when unreadable or holding no certificate. */
export function readCaFile(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'E_CA_FILE',
      `cannot read CA file ${file}: ${(err as Error).message}`,
      { file },
      { cause: err },
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new ConfigError('E_CA_FILE', `CA file ${file} holds no PEM certificate`, { file });
  return pem;
}
