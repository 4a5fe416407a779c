/**
 * One HTTP exchange on undici's `dispatch` API with a handler of our own: the response body lands in
 * one Buffer (preallocated from `content-length` when the server sends it, which ours and Django's
 * always do), without undici's Readable body, its stream machinery and the per-request abort
 * listener of the `request` API. Profiling `histograms list --all` (BENCHMARKS.md, "CPU per record")
 * put that machinery at a measurable share of the client's CPU per 36 KB page.
 *
 * What stays undici's: the keep-alive pool, connect / headers / body timeouts (the pool's options),
 * and the detection of a body cut short (content-length mismatch, socket closed mid-body), which
 * arrive here as errors. What this adds: an AbortSignal that aborts the exchange (queued or in
 * flight), and the phase a failure happened in, because a failure after the status line is a
 * truncated response whatever the socket error says (response.ts, interpretFailure).
 */
import type { Dispatcher } from 'undici';

/** A whole response: status, headers as undici parses them, and the body bytes. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Where an exchange failed: before the status line arrived (`headers`) or while the body was read (`body`). */
export type ExchangePhase = 'headers' | 'body';

/** A failed exchange: undici's (or the abort signal's) error and the phase it happened in. */
export class ExchangeFailure extends Error {
  /** The phase the exchange was in. */
  readonly phase: ExchangePhase;

  constructor(cause: unknown, phase: ExchangePhase) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = 'ExchangeFailure';
    this.phase = phase;
  }
}

/**
 * Bodies announced larger than this are collected chunk by chunk instead of preallocated, so a
 * lying or huge `content-length` cannot allocate memory the body never fills. Far above any page.
 */
export const PREALLOCATE_MAX_BYTES = 64 * 1024 * 1024;

/** Announced body length, or -1 when absent, unparsable or above PREALLOCATE_MAX_BYTES. */
export function announcedLength(value: string | string[] | undefined): number {
  if (typeof value !== 'string' || !/^[0-9]{1,15}$/.test(value)) return -1;
  const n = Number(value);
  return n <= PREALLOCATE_MAX_BYTES ? n : -1;
}

/**
 * Collects one response body: into a preallocated Buffer when its length is known, else as chunks
 * joined at the end. undici hands chunks that view its parser's memory, so each is copied.
 */
export class BodyCollector {
  private buffer: Buffer | null;
  private filled = 0;
  private chunks: Buffer[] | null = null;

  /** `length`: announced length, -1 when unknown. */
  constructor(length: number) {
    this.buffer = length >= 0 ? Buffer.allocUnsafe(length) : null;
  }

  /** Appends a chunk (copied). */
  push(chunk: Uint8Array): void {
    const buffer = this.buffer;
    if (buffer !== null && this.filled + chunk.length <= buffer.length) {
      buffer.set(chunk, this.filled);
      this.filled += chunk.length;
      return;
    }
    // Unknown length, or more bytes than announced (undici rejects that first; kept correct anyway).
    if (this.chunks === null) {
      this.chunks = buffer === null ? [] : [buffer.subarray(0, this.filled)];
      this.buffer = null;
    }
    this.chunks.push(Buffer.from(chunk));
  }

  /** The bytes received so far, as one Buffer. */
  bytes(): Buffer {
    if (this.chunks !== null) return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const buffer = this.buffer ?? Buffer.alloc(0);
    return this.filled === buffer.length ? buffer : buffer.subarray(0, this.filled);
  }
}

/**
 * Sends one request through `dispatcher` and resolves with the whole response. Rejects with an
 * ExchangeFailure (undici's error as its cause) on a network failure, a timeout, a body cut short,
 * or an abort of `signal` (its reason as the cause), at once even while the request waits for a
 * free connection. `onHeaders` runs when the status line and headers arrived, before the body; a
 * throw from it fails the exchange in the `body` phase.
 */
export function exchange(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal?: AbortSignal,
  onHeaders?: () => void,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new ExchangeFailure(signal.reason, 'headers'));
      return;
    }
    let phase: ExchangePhase = 'headers';
    let settled = false;
    let controller: Dispatcher.DispatchController | null = null;
    let status = 0;
    let headers: RawResponse['headers'] = {};
    let body: BodyCollector | null = null;
    const onAbort = (): void => {
      const reason = signal!.reason as Error;
      // Aborting the controller frees the connection; a request still queued is dropped when it
      // reaches a socket (onRequestStart below). The promise settles now either way.
      controller?.abort(reason);
      fail(reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => {
      settled = true;
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown): void => {
      if (settled) return;
      finish();
      reject(new ExchangeFailure(err, phase));
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (settled) c.abort(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      },
      onResponseStart(c, statusCode, responseHeaders) {
        phase = 'body';
        status = statusCode;
        headers = responseHeaders;
        body = new BodyCollector(announcedLength(responseHeaders['content-length']));
        try {
          onHeaders?.();
        } catch (err) {
          c.abort(err instanceof Error ? err : new Error(String(err)));
        }
      },
      onResponseData(_c, chunk) {
        body!.push(chunk);
      },
      onResponseEnd() {
        if (settled) return;
        finish();
        const response = { status, headers, body: body === null ? Buffer.alloc(0) : body.bytes() };
        afterSocketReuse(() => resolve(response));
      },
      onResponseError(_c, err) {
        fail(err);
      },
    };
    dispatcher.dispatch(options, handler);
  });
}

/**
 * Runs `fn` two event-loop turns from now. undici puts a keep-alive socket back to work (sends the
 * next queued request on it) one turn after its response ends (`setImmediate` in its HTTP/1 client,
 * for servers that close a connection they said they would keep). Whatever the response's awaiter
 * does synchronously (decode, dedupe, the consumer's formatting) otherwise runs in the poll phase
 * that also delivers the other sockets' responses, ahead of those resumes: with 16 responses landing
 * within a few milliseconds, each socket idled for the sum of their processing. Deferred past the
 * resumes, every socket that finished in a turn is busy again before any page is processed.
 * Measured through `histograms list --all` (docs/decisions.md, "Sockets back to work before pages
 * are processed"); one turn (a single `setImmediate`) did not help: it queues ahead of undici's own.
 */
function afterSocketReuse(fn: () => void): void {
  setImmediate(() => setImmediate(fn));
}
