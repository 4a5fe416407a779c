/**
 * The DIALS HTTP client: list pages (the cursor envelope, or `mes/`'s plain list), `count/` routes and
 * the workspace list, over the same retrying transport as DQM Playground (undici pool, backoff with
 * Retry-After, timeouts, TLS), with DIALS credentials (Bearer or client secret, refreshed between
 * attempts) and the `Workspace` header. Errors are read the DIALS way first (src/sources/dials/errors.ts).
 */
import { rootCertificates } from 'node:tls';
import { ConfigError, ServerError } from '../../errors.js';
import { readCaFile } from '../../extract/client.js';
import { checkTransportSecurity } from '../../extract/connection.js';
import { createTransport, type HttpRequest, type Transport } from '../../extract/http/transport.js';
import type { Resolution, ResponseFacts } from '../../extract/http/response.js';
import type { ClientStats } from '../../extract/types.js';
import type { Logger } from '../../log.js';
import { VERSION } from '../../version.js';
import type { Credentials } from './credentials.js';
import { DIALS_PRESETS } from '../../dials.js';
import { interpretDials } from './errors.js';

/** Options of `createDialsClient`; durations in milliseconds. */
export interface DialsClientOptions {
  /** Server root or the preset `prod`; `/api/v1/` is appended (a trailing `/api/v1` is dropped). */
  baseUrl: string;
  /** How requests authenticate; null for the unauthenticated routes (login). */
  credentials: Credentials | null;
  /** `Workspace` header; absent: the server picks from the token's roles. */
  workspace?: string;
  /** Connections kept open (slices walked side by side). Default 8. */
  concurrency?: number;
  /** Retries of a transient failure per request. Default 5. */
  maxRetries?: number;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  caFile?: string;
  allowInsecureHttp?: boolean;
  logger?: Logger;
  /** Full-jitter backoff base (tests make it small). Default 200. */
  retryBaseMs?: number;
}

/** One page of a DIALS list. */
export interface DialsPage<T = Record<string, unknown>> {
  records: T[];
  /** `next` as sent (absolute, built from the request's Host), null on the last page. */
  next: string | null;
  bytes: number;
  retries: number;
  /** Token-free URL. */
  url: string;
  elapsedMs: number;
}

/** Per-call options. */
export interface DialsCallOptions {
  signal?: AbortSignal;
  /** Fail at once on a 502/504 (E_DIALS_GATEWAY) so the caller can ask for a smaller page. */
  gatewayFailFast?: boolean;
}

/** The DIALS operations. */
export interface DialsClient {
  /** Normalised server root (no trailing slash, without `/api/v1`). */
  readonly baseUrl: string;
  readonly concurrency: number;
  readonly stats: ClientStats;
  /** URL of an endpoint's list route (for provenance). */
  endpointUrl(endpoint: string): string;
  /** One page of a cursor list. */
  list<T = Record<string, unknown>>(
    endpoint: string,
    params: URLSearchParams,
    options?: DialsCallOptions,
  ): Promise<DialsPage<T>>;
  /** A route that answers a plain JSON list (`mes/`). */
  plainList<T = Record<string, unknown>>(
    endpoint: string,
    params: URLSearchParams,
    options?: DialsCallOptions,
  ): Promise<DialsPage<T>>;
  /** `endpoint/count/` with filters. */
  count(endpoint: string, params: URLSearchParams, options?: DialsCallOptions): Promise<number>;
  /** `auth/workspaces/`, or null when the server has no such route. */
  workspaces(options?: DialsCallOptions): Promise<string[] | null>;
  /** A GET or POST of any API route (login), JSON in and out. */
  call(
    method: 'GET' | 'POST',
    route: string,
    body?: unknown,
    options?: DialsCallOptions & { interpret?: (facts: ResponseFacts) => Resolution | undefined },
  ): Promise<unknown>;
  close(): Promise<void>;
}

/** `prod` or a URL -> the server root without `/api/v1`. */
export function dialsBaseUrl(raw: string): string {
  const preset = (DIALS_PRESETS as Record<string, string>)[raw];
  let url: URL;
  try {
    url = new URL(preset ?? raw);
  } catch {
    throw new ConfigError(
      'E_BAD_URL',
      `invalid DIALS URL "${raw}": expected http(s)://host[:port][/prefix] or ${Object.keys(DIALS_PRESETS).join(', ')}`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(
      'E_BAD_URL',
      `invalid DIALS URL "${raw}": protocol ${url.protocol} (expected https: or http:)`,
    );
  if (url.username || url.password || url.search || url.hash)
    throw new ConfigError('E_BAD_URL', `invalid DIALS URL "${raw}": no credentials, query or fragment expected`);
  return url.origin + url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
}

/** Creates a client; throws ConfigError for a bad URL or plain http to a remote host. */
export function createDialsClient(options: DialsClientOptions): DialsClient {
  const baseUrl = dialsBaseUrl(options.baseUrl);
  checkTransportSecurity(baseUrl, options.allowInsecureHttp ?? false);
  const base = new URL(baseUrl);
  const prefix = `${base.pathname.replace(/\/+$/, '')}/api/v1/`;
  const concurrency = options.concurrency ?? 8;
  let knownWorkspaces: string[] | undefined;
  const credentials = options.credentials;
  const transport: Transport = createTransport({
    origin: base.origin,
    token: '',
    authorize: async () => (credentials ? credentials.headers() : {}),
    headers: options.workspace ? { workspace: options.workspace } : undefined,
    interpret: (facts) => interpretDials(facts, () => knownWorkspaces),
    connections: concurrency,
    maxRetries: options.maxRetries ?? 5,
    retryBaseMs: options.retryBaseMs ?? 200,
    retryMaxMs: 20_000,
    retryAfterMaxMs: 120_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    headersTimeoutMs: options.headersTimeoutMs ?? 60_000,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 120_000,
    ca: options.caFile ? [...rootCertificates, readCaFile(options.caFile)] : undefined,
    userAgent: `dqm-export/${VERSION} (node ${process.version})`,
    logger: options.logger,
  });
  const path = (route: string, params?: URLSearchParams): string => {
    const q = params?.toString();
    return prefix + route + (q ? `?${q}` : '');
  };
  const gateway = (facts: ResponseFacts): Resolution | undefined =>
    facts.status === 502 || facts.status === 504
      ? {
          action: 'fail',
          error: new ServerError(
            'E_DIALS_GATEWAY',
            `gateway timeout (HTTP ${facts.status}) from ${facts.method} ${facts.url}`,
            { url: facts.url, status: facts.status, gateway: true },
          ),
        }
      : undefined;

  async function get(route: string, params: URLSearchParams | undefined, o: DialsCallOptions = {}) {
    const started = Date.now();
    const request: HttpRequest = {
      method: 'GET',
      path: path(route, params),
      signal: o.signal,
      interpret: o.gatewayFailFast ? gateway : undefined,
    };
    const r = await transport.send(request);
    return { ...r, elapsedMs: Date.now() - started };
  }

  const client: DialsClient = {
    baseUrl,
    concurrency,
    stats: transport.stats,
    endpointUrl: (endpoint) => `${baseUrl}/api/v1/${endpoint}/`,

    async list<T>(endpoint: string, params: URLSearchParams, o: DialsCallOptions = {}): Promise<DialsPage<T>> {
      const r = await get(`${endpoint}/`, params, o);
      const body = r.json as { results?: unknown; next?: unknown } | null;
      if (!body || typeof body !== 'object' || !Array.isArray(body.results)) {
        throw new ServerError('E_BAD_RESPONSE', `expected a DIALS page {next, previous, results} from ${r.url}`, {
          url: r.url,
        });
      }
      const next = typeof body.next === 'string' ? body.next : null;
      return {
        records: body.results as T[],
        next,
        bytes: r.bytes,
        retries: r.retries,
        url: r.url,
        elapsedMs: r.elapsedMs,
      };
    },

    async plainList<T>(endpoint: string, params: URLSearchParams, o: DialsCallOptions = {}): Promise<DialsPage<T>> {
      const r = await get(`${endpoint}/`, params, o);
      if (!Array.isArray(r.json))
        throw new ServerError('E_BAD_RESPONSE', `expected a JSON list from ${r.url}`, { url: r.url });
      return {
        records: r.json as T[],
        next: null,
        bytes: r.bytes,
        retries: r.retries,
        url: r.url,
        elapsedMs: r.elapsedMs,
      };
    },

    async count(endpoint, params, o = {}) {
      const r = await get(`${endpoint}/count/`, params, o);
      const n = (r.json as { count?: unknown } | null)?.count;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
        throw new ServerError('E_BAD_RESPONSE', `expected {"count": N} from ${r.url}`, { url: r.url });
      return n;
    },

    async workspaces(o = {}) {
      let r;
      try {
        r = await get('auth/workspaces/', undefined, o);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'E_HTTP_404') return null;
        throw err;
      }
      const list = (r.json as { workspaces?: unknown } | null)?.workspaces;
      if (!Array.isArray(list)) return null;
      knownWorkspaces = list.map(String);
      return knownWorkspaces;
    },

    async call(method, route, body, o = {}) {
      const r = await transport.send({
        method,
        path: path(route),
        body,
        signal: o.signal,
        interpret: o.interpret,
        idempotent: method === 'GET',
      });
      return r.json;
    },

    close: () => transport.close(),
  };
  return client;
}
