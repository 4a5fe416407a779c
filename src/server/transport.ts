/**
 * What both embedded servers (DQM Playground and DIALS) do on the wire: read a request body with a
 * size limit, send a prepared Reply (through a fault plan: delay, failure, reset, truncation), and
 * turn listen errors into one-line UsageErrors.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../errors.js';
import type { FaultPlan } from './faults.js';
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
