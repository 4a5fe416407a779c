/**
 * Retry timing: full-jitter exponential backoff and `Retry-After` parsing. Pure apart from the
 * injected random source, so the arithmetic is unit-tested without clocks.
 */

/**
 * Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): retry `n` (0-based) waits a
 * uniform random time in [0, min(maxMs, baseMs * 2^n)). Spreads the retries of many concurrent
 * requests that failed together (a server hiccup) instead of having them return in lock-step.
 */
export function fullJitterDelay(
  retry: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * ceiling);
}

/**
 * `Retry-After` in milliseconds: either delta-seconds or an HTTP date. Null when absent or unparsable
 * (then the backoff alone decides). A date in the past gives 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return null;
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
