/**
 * What both embedded servers (DQM Playground and DIALS) do on the wire: read a request body with a
 * size limit, split its URL, send a prepared Reply (through a fault plan: delay, failure, reset,
 * truncation), log it, listen (listen errors as one-line UsageErrors) and close.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import type { FaultPlan, Faults } from './faults.js';
import type { Reply } from './http.js';

/** Largest request body accepted (actions take a few bytes of JSON). */
const MAX_BODY = 1 << 20;

/** The request body, or undefined if it is larger than MAX_BODY (the rest is drained). */
export async function readRequestBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  }
  return size > MAX_BODY ? undefined : Buffer.concat(chunks);
}

function flatHeaders(headers: Array<[string, string]>): string[] {
  return headers.flat();
}

/** Sends `reply`, through `plan` if a fault was drawn. HEAD gets the headers only. */
export async function deliver(
  res: ServerResponse,
  reply: Reply,
  plan: FaultPlan | undefined,
  head: boolean,
): Promise<void> {
  if (plan && plan.delayMs > 0) await sleep(plan.delayMs);
  if (res.destroyed) return;
  if (plan?.kind === 'fail') reply = plan.reply;
  let body = reply.body;
  if (!head && plan?.kind === 'truncate' && plan.mode === 'cut' && body.length > 1) body = body.subarray(0, plan.cutAt);
  res.writeHead(reply.status, flatHeaders([...reply.headers, ['Content-Length', String(body.length)]]));
  const cutAt = plan?.kind === 'reset' || (plan?.kind === 'truncate' && plan.mode === 'close') ? plan.cutAt : 0;
  if (head || cutAt === 0) {
    res.end(head ? undefined : body);
    return;
  }
  const socket = res.socket as Socket | null;
  const reset = plan?.kind === 'reset';
  res.write(body.subarray(0, cutAt), () => {
    // Let the partial body reach the client before the connection goes away.
    setTimeout(() => (reset ? socket?.resetAndDestroy() : socket?.end()), 5);
  });
}

/** A listen error as a UsageError (E_SERVE_PORT_IN_USE, E_SERVE_PORT_DENIED, E_SERVE_HOST), else as is. */
export function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  if (err.code === 'EADDRINUSE') {
    return new UsageError(
      'E_SERVE_PORT_IN_USE',
      `port ${port} on ${host} is already in use; choose another --port (0 picks a free one)`,
    );
  }
  if (err.code === 'EACCES')
    return new UsageError('E_SERVE_PORT_DENIED', `not allowed to listen on ${host}:${port}; use a port above 1023`);
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
    return new UsageError(
      'E_SERVE_HOST',
      `cannot listen on host ${host}: no such local address; use --host 127.0.0.1 or 0.0.0.0`,
    );
  }
  return err;
}

/** A request's method and URL, split as both servers route them. */
export interface RequestTarget {
  /** Upper-case method. */
  method: string;
  /** The URL as sent (path and query, percent-encoded). */
  rawUrl: string;
  /** The path as sent. */
  rawPath: string;
  /** The query as sent, without `?`. */
  rawQuery: string;
  /** The path percent-decoded (as sent if it does not decode: then it matches no route). */
  path: string;
}

/** Splits a request's method and URL. */
export function requestTarget(req: IncomingMessage): RequestTarget {
  const method = (req.method ?? 'GET').toUpperCase();
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const rawQuery = q === -1 ? '' : rawUrl.slice(q + 1);
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // Undecodable paths match no route.
  }
  return { method, rawUrl, rawPath, rawQuery, path };
}

/** What a server's request handler answers. */
export interface Answer {
  reply: Reply;
  /** True when injected faults may hit this reply (data reads only). */
  faultable: boolean;
  /** The request's method (HEAD gets the headers only). */
  method: string;
}

/** Options of `listenHttp`. */
export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  faults: Faults;
  /** The reply when the handler throws (each API has its own 500 page). */
  serverError: () => Reply;
  /** A last change to a faultable reply before it is sent (DIALS: the gateway's 504 for large bodies). */
  finish?: (reply: Reply) => Reply;
  /** Called once when the server closes, before its connections go (e.g. stop parsing). */
  onClose?: () => Promise<void>;
}

/** A listening server. */
export interface Listening {
  /** The bound port. */
  port: number;
  /** `http://host:port`, the host bracketed if it is IPv6. */
  url: string;
  /** Stops listening and drops every connection; idempotent. */
  close(): Promise<void>;
}

/** Sends an answer through a fault plan if one is drawn, and logs the request. */
async function send(req: IncomingMessage, res: ServerResponse, answer: Answer, o: ListenOptions, started: number) {
  const { faultable, method } = answer;
  const reply = faultable && o.finish ? o.finish(answer.reply) : answer.reply;
  const plan = faultable && o.faults.active ? o.faults.plan(reply.body.length) : undefined;
  await deliver(res, reply, plan, method === 'HEAD');
  o.logger.debug(
    {
      method,
      url: req.url,
      status: plan?.kind === 'fail' ? plan.reply.status : reply.status,
      fault: plan?.kind,
      ms: Math.round(performance.now() - started),
    },
    'request',
  );
}

/** Serves `respond`'s answers on `o.host`:`o.port`; resolves once listening. Rejects with `listenError`'s errors. */
export async function listenHttp(
  respond: (req: IncomingMessage) => Promise<Answer>,
  o: ListenOptions,
): Promise<Listening> {
  const server = createServer((req, res) => {
    const started = performance.now();
    respond(req)
      .catch((err: unknown): Answer => {
        o.logger.error({ err: err instanceof Error ? err.message : String(err), url: req.url }, 'request failed');
        return { reply: o.serverError(), faultable: false, method: req.method ?? 'GET' };
      })
      .then((answer) => send(req, res, answer, o, started))
      .catch((err: unknown) =>
        o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'response not delivered'),
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, o.host, o.port)));
    server.listen(o.port, o.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      (closing ??= (async () => {
        await o.onClose?.();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })()),
  };
}
