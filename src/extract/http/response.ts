/**
 * What a response or a transport failure means for the client, as data: ok, retry (with a reason and
 * maybe a `Retry-After`), or fail (with the error to throw). Kept apart from the I/O so every status
 * and failure case is a table-driven unit test. Error messages carry the server's own words, the
 * token-free URL, and never a whole HTML page.
 */
import { AuthError, ConfigError, ServerError, TransientError, type DqmExportError } from '../../errors.js';
import type { RetryReason } from '../types.js';
import { parseRetryAfter } from './backoff.js';

/** The decision about one attempt. */
export type Resolution =
  | { action: 'ok' }
  | {
      action: 'retry';
      reason: RetryReason;
      /** Server-requested wait, if it sent `Retry-After`. */
      retryAfterMs: number | null;
      /** True when the server cannot have acted on the request, so even a POST may be resent. */
      notProcessed: boolean;
      /** Thrown when no attempt is left. */
      error: DqmExportError;
    }
  | { action: 'fail'; error: DqmExportError };

/** Any outcome but success. */
export type Unsuccessful = Exclude<Resolution, { action: 'ok' }>;

/** One received response, body already read as text. */
export interface ResponseFacts {
  method: string;
  /** Token-free URL. */
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const EXCERPT_MAX = 200;

/**
 * The server's message in one short line: a bare JSON string as is (start_parsing), `detail`, DRF
 * field errors as `field: message`, the `<title>` of an HTML page, else the text cut to 200 chars.
 */
export function serverMessage(body: string, contentType?: string): string {
  const text = body.trim();
  if (text === '') return '(empty body)';
  if (/html/i.test(contentType ?? '') || /^<(!doctype|html)/i.test(text)) {
    const title = /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1] ?? /<h1[^>]*>([^<]*)<\/h1>/i.exec(text)?.[1];
    return clip(title ? `HTML page "${title.trim()}"` : 'HTML page');
  }
  try {
    return clip(describeJson(JSON.parse(text)));
  } catch {
    return clip(text);
  }
}

function describeJson(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(describeJson).join(' ');
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if (typeof obj.detail === 'string') return obj.detail;
    return Object.entries(obj)
      .map(([key, v]) => `${key}: ${describeJson(v)}`)
      .join('; ');
  }
  return String(value);
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > EXCERPT_MAX ? line.slice(0, EXCERPT_MAX - 3) + '...' : line;
}

function header(facts: ResponseFacts, name: string): string | undefined {
  const v = facts.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Decides what a received response means. A 2xx is `ok`; the body is parsed by the caller. */
export function interpretResponse(facts: ResponseFacts): Resolution {
  const { status, method, url } = facts;
  if (status >= 200 && status < 300) return { action: 'ok' };
  const message = serverMessage(facts.body, header(facts, 'content-type'));
  const where = `HTTP ${status} from ${method} ${url}`;
  const context = { url, status, method };
  if (status === 401) {
    return {
      action: 'fail',
      error: new AuthError(
        'E_AUTH_UNAUTHORIZED',
        `authentication failed: ${message}; set DQM_PLAYGROUND_TOKEN (or DQM_PLAYGROUND_TOKEN_FILE) to a valid DQM Playground API token (${where})`,
        context,
      ),
    };
  }
  if (status === 403) {
    return {
      action: 'fail',
      error: new AuthError('E_AUTH_FORBIDDEN', `permission denied: ${message} (${where})`, context),
    };
  }
  if (status === 404 && message === 'Invalid page.') {
    return {
      action: 'fail',
      error: new ServerError('E_INVALID_PAGE', `Invalid page. (${where})`, { ...context, invalidPage: true }),
    };
  }
  const retryAfterMs = parseRetryAfter(header(facts, 'retry-after'));
  if (status === 429) {
    return {
      action: 'retry',
      reason: 'status-429',
      retryAfterMs,
      notProcessed: true,
      error: new TransientError('E_HTTP_429', `rate limited: ${message} (${where})`, context),
    };
  }
  if (status >= 500) {
    return {
      action: 'retry',
      reason: 'status-5xx',
      retryAfterMs,
      notProcessed: false,
      error: new ServerError(`E_HTTP_${status}`, `server error: ${message} (${where})`, context),
    };
  }
  if (status === 408) {
    return {
      action: 'retry',
      reason: 'timeout',
      retryAfterMs,
      notProcessed: false,
      error: new TransientError('E_TIMEOUT', `request timeout: ${message} (${where})`, context),
    };
  }
  return {
    action: 'fail',
    error: new ServerError(`E_HTTP_${status}`, `server rejected the request: ${message} (${where})`, context),
  };
}

/** A 2xx whose body is not the JSON it should be (cut short by a proxy, or garbled): retried. */
export function interpretBadBody(
  method: string,
  url: string,
  status: number,
  bodyLength: number,
  cause: unknown,
): Unsuccessful {
  return {
    action: 'retry',
    reason: 'bad-body',
    retryAfterMs: null,
    notProcessed: false,
    error: new TransientError(
      'E_BAD_BODY',
      `unparsable JSON body (${bodyLength} bytes) from ${method} ${url}: ${cause instanceof Error ? clip(cause.message) : String(cause)}`,
      { url, status, method },
      { cause },
    ),
  };
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
// Failures before the request reached the server: safe to resend even for a POST.
const NOT_SENT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const RESET_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS/;

/**
 * Decides what a transport failure means. `phase` says whether the status line had arrived: a
 * failure while reading the body is a truncated response, whatever the socket error says.
 */
export function interpretFailure(err: unknown, method: string, url: string, phase: 'headers' | 'body'): Unsuccessful {
  const code = errorCode(err);
  const detail = err instanceof Error ? clip(err.message) : String(err);
  const context = { url, method, errorCode: code };
  if (TIMEOUT_CODES.has(code)) {
    const what = code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect' : code === 'UND_ERR_BODY_TIMEOUT' ? 'body' : 'headers';
    return {
      action: 'retry',
      reason: 'timeout',
      retryAfterMs: null,
      notProcessed: NOT_SENT_CODES.has(code),
      error: new TransientError('E_TIMEOUT', `${what} timeout on ${method} ${url}`, context, { cause: err }),
    };
  }
  if (phase === 'body' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return {
      action: 'retry',
      reason: 'truncated',
      retryAfterMs: null,
      notProcessed: false,
      error: new TransientError('E_TRUNCATED', `response body cut short on ${method} ${url}: ${detail}`, context, {
        cause: err,
      }),
    };
  }
  if (RESET_CODES.has(code)) {
    return {
      action: 'retry',
      reason: 'reset',
      retryAfterMs: null,
      notProcessed: NOT_SENT_CODES.has(code),
      error: new TransientError('E_NETWORK', `connection failed on ${method} ${url}: ${code} ${detail}`, context, {
        cause: err,
      }),
    };
  }
  if (TLS_CODE.test(code)) {
    return {
      action: 'fail',
      error: new ConfigError(
        'E_TLS',
        `TLS certificate of ${url} not trusted (${code}: ${detail}); give the site CA (PEM) with --ca-file or source.ca_file (caFile option of the client)`,
        context,
        { cause: err },
      ),
    };
  }
  if (code === 'ENOTFOUND') {
    return {
      action: 'fail',
      error: new ConfigError('E_HOST_NOT_FOUND', `host of ${url} not found (DNS); check the base URL`, context, {
        cause: err,
      }),
    };
  }
  return {
    action: 'fail',
    error: new TransientError(
      'E_NETWORK',
      `request failed on ${method} ${url}: ${code || 'error'} ${detail}`,
      context,
      { cause: err },
    ),
  };
}

function errorCode(err: unknown): string {
  let e: unknown = err;
  // undici wraps socket errors; the useful code may sit on the cause.
  for (let i = 0; i < 3 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return '';
}

/** True for the server's `404 {"detail": "Invalid page."}`: a page number past the end of a list. */
export function isInvalidPage(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 'E_INVALID_PAGE';
}
