/**
 * The one place HTTP happens: a keep-alive undici Pool, one exchange per attempt on its `dispatch` API
 * (exchange.ts), plus a retry wrapper. Every request gets the
 * token, the User-Agent and the timeouts; every response goes through `interpretResponse`, and a
 * retryable outcome (429, 5xx, reset, timeout, truncated or unparsable body) is resent after a
 * full-jitter backoff that honours `Retry-After`, a bounded number of times, each retry counted.
 *
 * A wrapper rather than undici's retry interceptor, because a broken body is only discovered after
 * the response was handed over (JSON.parse fails), and that must be retried like a reset.
 */
import { Pool } from 'undici';
import type { DqmExportError } from '../../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import { safeUrl } from '../../secrets.js';
import { crashPoint } from '../../crash-points.js';
import type { ClientStats, RetryReason } from '../types.js';
import { fullJitterDelay, sleep } from './backoff.js';
import { exchange, ExchangeFailure, type RawResponse } from './exchange.js';
import {
  interpretBadBody,
  interpretFailure,
  interpretResponse,
  type Resolution,
  type ResponseFacts,
  type Unsuccessful,
} from './response.js';

/** Settings of a transport; `createClient` fills every field from ClientOptions and its defaults. */
export interface TransportOptions {
  /** Origin the pool connects to, e.g. `https://host:443`. */
  origin: string;
  /** Sent as `Authorization: Token <token>` unless `authorize` is given. */
  token: string;
  /** Credentials headers per attempt (a refreshed token is picked up by the next attempt); replaces the Token header. */
  authorize?: () => Promise<Record<string, string>>;
  /** Extra headers of every request (e.g. DIALS' `Workspace`). */
  headers?: Record<string, string>;
  /** A source's own reading of a response, tried before the generic one (undefined: no opinion). */
  interpret?: (facts: ResponseFacts) => Resolution | undefined;
  connections: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  retryAfterMaxMs: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Trusted CA certificates (PEM); undefined = Node's bundled roots. */
  ca?: string[];
  userAgent: string;
  logger?: Logger;
  /** Random source of the backoff jitter (tests pin it). */
  random?: () => number;
}

/** One logical request. */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query, from the origin (`/api/runs/?page=2`). */
  path: string;
  /** Sent as JSON. */
  body?: unknown;
  /** False for requests with side effects: then only failures the server cannot have acted on are retried. */
  idempotent?: boolean;
  /** A 2xx must carry a JSON body (lists and details); an empty one is treated as a cut-short body. Default: GET. */
  expectBody?: boolean;
  signal?: AbortSignal;
  /** This request's own reading of a response, tried first (e.g. a 504 that should shrink the page instead of being retried). */
  interpret?: (facts: ResponseFacts) => Resolution | undefined;
  /**
   * Turns a non-empty 2xx body into the result's `json` (default: JSON.parse of its UTF-8 text). A
   * decoder that throws marks the body as unparsable, retried like a body cut short: a histogram
   * page decoder can read `data` straight into typed arrays without a detour through JS arrays.
   * `text` gives the body's UTF-8 text (decoded on first call), for a decoder that falls back to it.
   */
  decode?: (body: Buffer, text: () => string) => unknown;
}

/** A successful response. */
export interface HttpResult {
  status: number;
  /** Parsed JSON body; undefined when the body is empty (202, 204). */
  json: unknown;
  bytes: number;
  /** Retries this request needed. */
  retries: number;
  /** Token-free URL. */
  url: string;
}

/** Sends requests with retries; owns the connection pool. */
export interface Transport {
  send(request: HttpRequest): Promise<HttpResult>;
  readonly stats: ClientStats;
  close(): Promise<void>;
}

/** Fresh zeroed counters. */
export function emptyStats(): ClientStats {
  const retries: Record<RetryReason, number> = {
    'status-429': 0,
    'status-5xx': 0,
    reset: 0,
    timeout: 0,
    truncated: 0,
    'bad-body': 0,
  };
  return { requests: 0, attempts: 0, retries, bytes: 0, failures: 0 };
}

/** Opens a keep-alive pool of `connections` sockets to `origin`. */
export function createTransport(options: TransportOptions): Transport {
  const pool = new Pool(options.origin, {
    connections: options.connections,
    keepAliveTimeout: 30_000,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    connect: { timeout: options.connectTimeoutMs, ...(options.ca ? { ca: options.ca } : {}) },
  });
  const logger = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;
  const stats = emptyStats();
  // The crash point between a response's headers and its body (test/reliability).
  const headersArrived = (): void => crashPoint('fetch');
  const baseHeaders: Record<string, string> = {
    accept: 'application/json',
    ...(options.authorize ? {} : { authorization: `Token ${options.token}` }),
    'user-agent': options.userAgent,
    ...options.headers,
  };

  async function attempt(
    request: HttpRequest,
    url: string,
  ): Promise<{ result: HttpResult } | { resolution: Unsuccessful }> {
    const { method, signal } = request;
    // Outside the try: a failed token refresh is its own error, not a network failure.
    const auth = options.authorize ? await options.authorize() : undefined;
    let response: RawResponse;
    try {
      const common = auth ? { ...baseHeaders, ...auth } : baseHeaders;
      const headers = request.body === undefined ? common : { ...common, 'content-type': 'application/json' };
      const body = request.body === undefined ? undefined : JSON.stringify(request.body);
      response = await exchange(pool, { method, path: request.path, headers, body }, signal, headersArrived);
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      const failure = err instanceof ExchangeFailure ? err : new ExchangeFailure(err, 'headers');
      return { resolution: interpretFailure(failure.cause, method, url, failure.phase) };
    }
    const { status, body: buffer } = response;
    stats.bytes += buffer.length;
    // The body's text only when something reads it: a page decoder reads the bytes, and a 36 KB
    // string per page was decoded, kept and collected for nothing.
    let text: string | undefined;
    const bodyText = (): string => (text ??= buffer.toString('utf8'));
    const facts: ResponseFacts = {
      method,
      url,
      status,
      headers: response.headers,
      get body() {
        return bodyText();
      },
    };
    const resolution = request.interpret?.(facts) ?? options.interpret?.(facts) ?? interpretResponse(facts);
    if (resolution.action !== 'ok') return { resolution };
    let json: unknown;
    if (buffer.length === 0 && (request.expectBody ?? method === 'GET')) {
      return { resolution: interpretBadBody(method, url, status, 0, new Error('empty body')) };
    }
    if (buffer.length > 0) {
      try {
        json = request.decode ? request.decode(buffer, bodyText) : JSON.parse(bodyText());
      } catch (err) {
        return { resolution: interpretBadBody(method, url, status, buffer.length, err) };
      }
    }
    return { result: { status, json, bytes: buffer.length, retries: 0, url } };
  }

  function giveUp(error: DqmExportError, attempts: number): never {
    stats.failures++;
    error.context.attempts = attempts;
    if (attempts > 1) error.message += ` (after ${attempts} attempts)`;
    throw error;
  }

  async function send(request: HttpRequest): Promise<HttpResult> {
    const url = safeUrl(options.origin + request.path);
    const idempotent = request.idempotent ?? request.method !== 'POST';
    stats.requests++;
    for (let retry = 0; ; retry++) {
      request.signal?.throwIfAborted();
      stats.attempts++;
      const outcome = await attempt(request, url);
      if ('result' in outcome) return { ...outcome.result, retries: retry };
      const { resolution } = outcome;
      if (resolution.action === 'fail') giveUp(resolution.error, retry + 1);
      if (retry >= options.maxRetries || (!idempotent && !resolution.notProcessed)) giveUp(resolution.error, retry + 1);
      let delay = fullJitterDelay(retry, options.retryBaseMs, options.retryMaxMs, random);
      if (resolution.retryAfterMs !== null) {
        if (resolution.retryAfterMs > options.retryAfterMaxMs) {
          resolution.error.message += `; server asked to retry after ${Math.ceil(resolution.retryAfterMs / 1000)} s, more than the ${Math.ceil(options.retryAfterMaxMs / 1000)} s allowed`;
          giveUp(resolution.error, retry + 1);
        }
        delay = Math.max(delay, resolution.retryAfterMs);
      }
      stats.retries[resolution.reason]++;
      logger.debug(
        { url, method: request.method, reason: resolution.reason, retry: retry + 1, delayMs: delay },
        'retrying request',
      );
      await sleep(delay, request.signal);
    }
  }

  return {
    send,
    stats,
    close: () => pool.close(),
  };
}
