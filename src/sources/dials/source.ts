/**
 * DIALS behind the Source interface: credentials resolved (pipeline, files, environment, then the
 * login file), the workspace checked against the server's list before the first data request,
 * planning from the run or ME list, cursor-walk extraction with proofs, estimates from counts.
 */
import { resolve } from 'node:path';
import pLimit from 'p-limit';
import type { DialsSource, Stream } from '../../config/index.js';
import { encodeFilters, type Filters } from '../../domain.js';
import { ConfigError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { SliceEstimate, Source, SourceSlice } from '../source.js';
import { createDialsClient, dialsBaseUrl, type DialsClient } from './client.js';
import { readSecretFile } from '../../extract/connection.js';
import { bearerCredentials, clientSecretCredentials, storedCredentials, type Credentials } from './credentials.js';
import type { DialsEndpoint } from '../../dials.js';
import { refreshTokens } from './login.js';
import { loadDialsPlanContext, planDialsSlices, withMinRun, type DialsSliceSpec } from './plan.js';
import { proveSlice } from './proof.js';
import { tokenFilePath } from './token-store.js';
import { extractDials } from './walk.js';

/** Default records per page: th2 pages of 72 x 56 bins are ~11.6 kB a record, so smaller pages. */
export function defaultPageSize(endpoint: DialsEndpoint): number {
  return endpoint === 'th2' ? 100 : 500;
}

/** What `openDialsSource` needs besides the source settings. */
export interface DialsOpenOptions {
  logger: Logger;
  env?: Record<string, string | undefined>;
  concurrency?: number;
  allowInsecureHttp?: boolean;
  caFile?: string;
  /** Backoff base of retries (tests shorten it). */
  retryBaseMs?: number;
}

/**
 * Credentials in order: `token`, `token_file`, `client_secret`, `client_secret_file`, then DIALS_TOKEN,
 * DIALS_TOKEN_FILE, DIALS_CLIENT_SECRET, then the login file of `baseUrl`.
 */
export function resolveCredentials(
  s: Pick<DialsSource, 'token' | 'token_file' | 'client_secret' | 'client_secret_file'>,
  baseDir: string,
  baseUrl: string,
  env: Record<string, string | undefined>,
  refresh: (refreshToken: string) => ReturnType<typeof refreshTokens>,
): Credentials {
  if (s.token) return bearerCredentials(s.token, 'source.token');
  if (s.token_file)
    return bearerCredentials(readSecretFile(resolve(baseDir, s.token_file), 'token'), 'source.token_file');
  if (s.client_secret) return clientSecretCredentials(s.client_secret, 'source.client_secret');
  if (s.client_secret_file)
    return clientSecretCredentials(
      readSecretFile(resolve(baseDir, s.client_secret_file), 'client secret'),
      'source.client_secret_file',
    );
  if (env.DIALS_TOKEN?.trim()) return bearerCredentials(env.DIALS_TOKEN.trim(), 'DIALS_TOKEN');
  if (env.DIALS_TOKEN_FILE) return bearerCredentials(readSecretFile(env.DIALS_TOKEN_FILE, 'token'), 'DIALS_TOKEN_FILE');
  if (env.DIALS_CLIENT_SECRET?.trim())
    return clientSecretCredentials(env.DIALS_CLIENT_SECRET.trim(), 'DIALS_CLIENT_SECRET');
  return storedCredentials(tokenFilePath(env), baseUrl, refresh);
}

/** Opens a DIALS client for a source section (credentials included). */
export function dialsClientFor(s: DialsSource, baseDir: string, o: DialsOpenOptions): DialsClient {
  const env = o.env ?? process.env;
  const baseUrl = dialsBaseUrl(s.url);
  const common = {
    baseUrl,
    concurrency: o.concurrency ?? s.concurrency,
    maxRetries: s.retries,
    connectTimeoutMs: s.timeouts.connect_ms,
    headersTimeoutMs: s.timeouts.headers_ms,
    bodyTimeoutMs: s.timeouts.body_ms,
    caFile: o.caFile ? resolve(o.caFile) : s.ca_file ? resolve(baseDir, s.ca_file) : undefined,
    allowInsecureHttp: o.allowInsecureHttp || s.allow_insecure_http,
    logger: o.logger,
    retryBaseMs: o.retryBaseMs,
  };
  // Refreshes go through their own credential-less client (the refresh token is the credential).
  const refresh = async (token: string) => {
    const anonymous = createDialsClient({ ...common, credentials: null, concurrency: 1 });
    try {
      return await refreshTokens(anonymous, token);
    } finally {
      await anonymous.close();
    }
  };
  return createDialsClient({
    ...common,
    credentials: resolveCredentials(s, baseDir, baseUrl, env, refresh),
    workspace: s.workspace,
  });
}

/** The DIALS source of a pipeline. */
export function openDialsSource(s: DialsSource, baseDir: string, o: DialsOpenOptions): Source {
  const client = dialsClientFor(s, baseDir, o);
  const pageSize = (e: DialsEndpoint): number => s.page_size ?? defaultPageSize(e);
  let ready: Promise<void> | null = null;
  const ensureReady = (signal?: AbortSignal): Promise<void> =>
    (ready ??= (async () => {
      const valid = await client.workspaces({ signal });
      if (valid && !valid.includes(s.workspace)) {
        throw new ConfigError(
          'E_DIALS_WORKSPACE',
          `unknown DIALS workspace ${s.workspace} on ${client.baseUrl}; valid workspaces: ${valid.join(', ')} (source.workspace)`,
          { field: 'source.workspace' },
        );
      }
    })());

  return {
    kind: 'dials',
    origin: client.baseUrl,
    concurrency: client.concurrency,
    stats: client.stats,
    async plan(stream, options = {}) {
      await ensureReady(options.signal);
      const endpoint = stream.endpoint as DialsEndpoint;
      const filters = withMinRun(stream.filters as Filters, options.minRun);
      const spec = stream.slice as DialsSliceSpec;
      const context = await loadDialsPlanContext(client, endpoint, filters, spec, options.signal);
      return planDialsSlices(endpoint, filters, spec, context);
    },
    async estimate(slices, options = {}) {
      await ensureReady(options.signal);
      const limit = pLimit(client.concurrency);
      return Promise.all(
        slices.map((slice) =>
          limit(() => estimateSlice(client, slice, pageSize(slice.endpoint as DialsEndpoint), options.signal)),
        ),
      );
    },
    async *extract(slices, options = {}) {
      await ensureReady(options.signal);
      yield* extractDials(client, slices, {
        concurrency: client.concurrency,
        pageSize,
        signal: options.signal,
        logger: options.logger,
      });
    },
    provenance(stream: Stream, minRun?: number) {
      return {
        sourceUrl: client.endpointUrl(stream.endpoint),
        endpoint: stream.endpoint,
        filters: withMinRun(stream.filters as Filters, minRun),
      };
    },
    close: () => client.close(),
  };
}

/** Records from the slice's count where one exists, bytes from a 10-record probe page. */
async function estimateSlice(
  client: DialsClient,
  slice: SourceSlice,
  pageSize: number,
  signal?: AbortSignal,
): Promise<SliceEstimate> {
  const endpoint = slice.endpoint as DialsEndpoint;
  const params = encodeFilters(slice.filters);
  if (endpoint !== 'mes') params.set('page_size', '10');
  const probe =
    endpoint === 'mes'
      ? await client.plainList(endpoint, params, { signal })
      : await client.list(endpoint, params, { signal });
  const proof = await proveSlice(client, slice, endpoint, signal);
  const records = proof.expected ?? probe.records.length;
  const perRecord = probe.records.length ? probe.bytes / probe.records.length : 0;
  return {
    records,
    pages: Math.max(1, Math.ceil(records / pageSize)),
    bytes: Math.round(perRecord * records) || probe.bytes,
  };
}
