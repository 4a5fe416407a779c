/**
 * Options of the local DQM Playground server and their validation. The programmatic API
 * (`startServer`) and the `dqm-export serve` command share these, so a bad value gets the same
 * one-line UsageError from both.
 */
import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { SAMPLE_DATA_DIR } from '../version.js';
import type { EnvelopeKind } from './pagination.js';
import { parseSyntheticSpec, type SyntheticSpec } from '../tables/synthetic-spec.js';
import { EMPTY_DIALS_MAP, parseDialsMap, readDialsMap, type DialsMap } from './dials/mapping.js';

/** Options of `startServer`. Every fault is off by default. */
export interface ServerOptions {
  /** Directories searched (recursively) for ML4DQM CSV files; default: the bundled sample data. */
  dataDirs?: string[];
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 8000; 0 picks a free port, see `RunningServer.port`). */
  port?: number;
  /** Token of the admin user (default: random per start). */
  adminToken?: string;
  /** Token of the non-admin user (default: random per start). */
  userToken?: string;
  /** Only register the data files (0 %), so discover and start_parsing can be exercised; default: parse all at start. */
  manual?: boolean;
  /** Delay added to every faultable response, in ms. */
  latencyMs?: number;
  /** Extra random delay in [0, jitterMs) per faultable response. */
  jitterMs?: number;
  /** Probability that a faultable request fails with 500, 502, 503 or 429 (Retry-After 0 or 1). */
  failRate?: number;
  /** Probability that the connection is reset after part of the body. */
  resetRate?: number;
  /** Probability that the body is truncated (premature close, or a shorter Content-Length). */
  truncateRate?: number;
  /** Each histogram list request sees a different random order, so concurrent pages overlap or skip rows. */
  shuffle?: boolean;
  /** `total` (the real server's envelope, default) or `count` (stock DRF). */
  envelope?: EnvelopeKind;
  /** Records per page (default 50, as on the real server). */
  pageSize?: number;
  /** Serve synthetic histograms instead of CSV data: a spec object or `runs=R,ls=L,titles=T,dim=2,x=56,y=72[,run0=N]`. */
  synthetic?: SyntheticSpec | string;
  /** Seed of the fault and shuffle PRNG (default 1), for reproducible runs. */
  seed?: number;
  /** Pino logger for request and parse logs (default: silent). */
  logger?: Logger;
  /** Pause after each parsed CSV row, in ms, so tests can watch `entries_processed` grow (default 0). */
  parseDelayMs?: number;
  /** Lifetime of the histogram_data_files response cache, in seconds (default 60 as on the real server; 0 disables). */
  dataFileCacheSeconds?: number;
  /** Which API to serve: `dqm-playground` (default) or `dials` (DIALS' `/api/v1/`, src/server/dials). */
  api?: ServerApi;
  /** DIALS: a Bearer token accepted without expiry (default: random per start). */
  dialsToken?: string;
  /** DIALS: the accepted `X-CLIENT-SECRET` (default: random per start). */
  clientSecret?: string;
  /** DIALS: lifetime of device-flow access tokens, seconds (default 1200, CERN's 20 minutes). */
  tokenTtlSeconds?: number;
  /** DIALS: lifetime of refresh tokens, seconds (default 36000). */
  refreshTtlSeconds?: number;
  /** DIALS: answer 403 to an expired access token (default false: accepted, as the real server does). */
  rejectExpiredTokens?: boolean;
  /** DIALS: approve a device code by itself after this many pending polls (default 0: only through its verification URL). */
  deviceAutoApprove?: number;
  /** DIALS: a data response over this many bytes answers 504 or 502 (in turn), as the gateway does after 30 s (default 0: off). */
  gatewayTimeoutBytes?: number;
  /** DIALS: how ML4DQM rows map to DIALS records: a JSON file path or a map object (default: derived). */
  dialsMap?: string | DialsMap;
}

/** The APIs `serve` speaks. */
export type ServerApi = 'dqm-playground' | 'dials';

/** A started server. */
export interface RunningServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:8000`. */
  url: string;
  /** The port actually listened on. */
  port: number;
  /** Admin token (`Authorization: Token <adminToken>`). */
  adminToken: string;
  /** Non-admin token. */
  userToken: string;
  /** The API served. */
  api: ServerApi;
  /** DIALS: the Bearer token accepted without expiry. */
  dialsToken?: string;
  /** DIALS: the accepted `X-CLIENT-SECRET`. */
  clientSecret?: string;
  /** Stops listening, drops open connections and stops background parsing. */
  close(): Promise<void>;
}

/** ServerOptions with defaults applied and values checked: every option set, the spec and map parsed. */
export type ResolvedServerOptions = Required<Omit<ServerOptions, 'synthetic' | 'dialsMap'>> & {
  synthetic: SyntheticSpec | undefined;
  dialsMap: DialsMap;
};

function check(name: string, value: number, ok: boolean, expected: string): number {
  if (!ok || Number.isNaN(value))
    throw new UsageError('E_SERVE_OPTION', `serve: ${name} must be ${expected}, got ${String(value)}`);
  return value;
}

function rate(name: string, value: number | undefined): number {
  const v = value ?? 0;
  return check(name, v, v >= 0 && v <= 1, 'a probability between 0 and 1');
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  return check(name, v, Number.isFinite(v) && v >= 0, 'a number >= 0');
}

/** `value` (or `fallback`) checked to be an integer from `min` to `max`; `unit` names what it counts. */
function integer(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  unit = '',
  max?: number,
): number {
  const v = value ?? fallback;
  const ok = Number.isSafeInteger(v) && v >= min && (max === undefined || v <= max);
  const range = max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
  return check(name, v, ok, `an integer ${range}${unit ? ` (${unit})` : ''}`);
}

/** Refuses a DQM Playground-only option under `--api dials`, saying why. */
function refuseForDials(set: boolean | undefined, flag: string, why: string): void {
  if (set) throw new UsageError('E_SERVE_OPTION', `serve: ${flag} does not apply to --api dials (${why}); drop it`);
}

function token(name: string, value: string | undefined): string {
  if (value === undefined) return randomBytes(20).toString('hex');
  if (!/^\S{4,}$/.test(value))
    throw new UsageError('E_SERVE_OPTION', `serve: ${name} must be at least 4 characters without spaces`);
  return value;
}

/** Applies defaults and validates; throws UsageError (E_SERVE_OPTION, E_SERVE_SYNTHETIC, E_SERVE_DIALS_MAP). */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  const envelope = options.envelope ?? 'total';
  if (envelope !== 'total' && envelope !== 'count')
    throw new UsageError('E_SERVE_OPTION', `serve: envelope must be total or count, got ${String(envelope)}`);
  const adminToken = token('admin token', options.adminToken);
  const userToken = token('user token', options.userToken);
  if (adminToken === userToken) throw new UsageError('E_SERVE_OPTION', 'serve: the admin and user tokens must differ');
  const api = options.api ?? 'dqm-playground';
  if (api !== 'dqm-playground' && api !== 'dials')
    throw new UsageError('E_SERVE_OPTION', `serve: --api must be dqm-playground or dials, got ${String(api)}`);
  if (api === 'dials') {
    refuseForDials(options.shuffle, '--shuffle', 'a cursor API is ordered by definition');
    refuseForDials(options.manual, '--manual', 'DIALS has no parsing endpoints');
  }
  return {
    dataDirs: options.dataDirs?.length ? [...options.dataDirs] : [SAMPLE_DATA_DIR],
    host: options.host ?? '127.0.0.1',
    port: integer('port', options.port, 8000, 0, '', 65535),
    adminToken,
    userToken,
    manual: options.manual ?? false,
    latencyMs: nonNegative('latency', options.latencyMs, 0),
    jitterMs: nonNegative('jitter', options.jitterMs, 0),
    failRate: rate('fail rate', options.failRate),
    resetRate: rate('reset rate', options.resetRate),
    truncateRate: rate('truncate rate', options.truncateRate),
    shuffle: options.shuffle ?? false,
    envelope,
    pageSize: integer('page size', options.pageSize, 50, 1),
    synthetic: options.synthetic === undefined ? undefined : parseSyntheticSpec(options.synthetic),
    seed: seedOf(options.seed),
    logger: options.logger ?? silentLogger,
    parseDelayMs: nonNegative('parse delay', options.parseDelayMs, 0),
    dataFileCacheSeconds: nonNegative('data file cache seconds', options.dataFileCacheSeconds, 60),
    api,
    dialsToken: token('DIALS token', options.dialsToken),
    clientSecret: token('client secret', options.clientSecret),
    tokenTtlSeconds: integer('token TTL', options.tokenTtlSeconds, 1200, 1, 'seconds'),
    refreshTtlSeconds: integer('refresh token TTL', options.refreshTtlSeconds, 36000, 1, 'seconds'),
    rejectExpiredTokens: options.rejectExpiredTokens ?? false,
    deviceAutoApprove: integer('device auto-approve', options.deviceAutoApprove, 0, 0, 'polls'),
    gatewayTimeoutBytes: integer('gateway timeout bytes', options.gatewayTimeoutBytes, 0, 0, 'bytes; 0 = off'),
    dialsMap: resolveDialsMap(options.dialsMap),
  };
}

function seedOf(seed = 1): number {
  return check('seed', seed, Number.isSafeInteger(seed), 'an integer');
}

function resolveDialsMap(map: ServerOptions['dialsMap']): DialsMap {
  if (map === undefined) return EMPTY_DIALS_MAP;
  return typeof map === 'string' ? readDialsMap(map) : parseDialsMap(map, 'dialsMap');
}
