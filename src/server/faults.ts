/**
 * Fault injection for client robustness tests: latency with jitter, failures (500, 502, 503, 429
 * with Retry-After), connections reset mid-body, and truncated bodies. Every decision comes from a
 * PRNG seeded with `--seed`, drawn in a fixed order per request, so a sequential client sees the
 * same faults on every run. Faults apply to GET/HEAD of list and detail endpoints only: actions
 * and writes (discover, start_parsing, POST, DELETE) stay reliable so test setup is deterministic.
 */
import { htmlServerError, jsonReply, ALLOW, type Reply } from './http.js';
import { Prng } from '../tables/prng.js';

/** Fault probabilities and delays (all off by default). */
export interface FaultOptions {
  /** Fixed delay per faultable response, ms. */
  latencyMs: number;
  /** Extra uniform random delay in [0, jitterMs), ms. */
  jitterMs: number;
  /** Probability of a 500, 502, 503 or 429 instead of the response. */
  failRate: number;
  /** Probability of a reset after part of the body. */
  resetRate: number;
  /** Probability of a truncated body. */
  truncateRate: number;
  /** PRNG seed. */
  seed: number;
}

/** What to do to one response. */
export type FaultPlan =
  | { kind: 'none'; delayMs: number }
  | { kind: 'fail'; delayMs: number; reply: Reply }
  | { kind: 'reset'; delayMs: number; cutAt: number }
  /** `close`: full Content-Length, part of the body, then the connection ends; `cut`: a shorter, correct Content-Length. */
  | { kind: 'truncate'; delayMs: number; cutAt: number; mode: 'close' | 'cut' };

const FAIL_STATUSES = [500, 502, 503, 429] as const;

function htmlPage(status: number, title: string): Reply {
  const body = `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n</body>\r\n</html>\r\n`;
  return { status, headers: [['Content-Type', 'text/html']], body: Buffer.from(body) };
}

/** The reply of an injected failure. */
export function failureReply(status: (typeof FAIL_STATUSES)[number], retryAfter: number): Reply {
  if (status === 500) return htmlServerError();
  if (status === 502) return htmlPage(502, 'Bad Gateway');
  if (status === 503) return htmlPage(503, 'Service Temporarily Unavailable');
  const unit = retryAfter === 1 ? 'second' : 'seconds';
  return jsonReply(
    429,
    JSON.stringify({ detail: `Request was throttled. Expected available in ${retryAfter} ${unit}.` }),
    ALLOW.list,
    [['Retry-After', String(retryAfter)]],
  );
}

/** Draws fault plans from a seeded PRNG. */
export class Faults {
  private readonly prng: Prng;

  constructor(private readonly options: FaultOptions) {
    this.prng = new Prng(options.seed);
  }

  /** True if any fault can happen (otherwise the PRNG is not even consulted). */
  get active(): boolean {
    const o = this.options;
    return o.latencyMs > 0 || o.jitterMs > 0 || o.failRate > 0 || o.resetRate > 0 || o.truncateRate > 0;
  }

  /** The plan for the next faultable response of `bodyLength` bytes. */
  plan(bodyLength: number): FaultPlan {
    const o = this.options;
    if (!this.active) return { kind: 'none', delayMs: 0 };
    // Always draw the same number of values, so one request's outcome does not shift the next's.
    const [jitter, fail, failKind, retry, reset, truncate, mode, cut] = Array.from({ length: 8 }, () =>
      this.prng.next(),
    );
    const delayMs = o.latencyMs + o.jitterMs * jitter;
    if (fail < o.failRate) {
      const status = FAIL_STATUSES[Math.floor(failKind * FAIL_STATUSES.length)];
      return { kind: 'fail', delayMs, reply: failureReply(status, retry < 0.5 ? 0 : 1) };
    }
    const cutAt = bodyLength > 1 ? 1 + Math.floor(cut * (bodyLength - 1)) : 0;
    if (reset < o.resetRate) return { kind: 'reset', delayMs, cutAt };
    if (truncate < o.truncateRate) return { kind: 'truncate', delayMs, cutAt, mode: mode < 0.5 ? 'close' : 'cut' };
    return { kind: 'none', delayMs };
  }
}
