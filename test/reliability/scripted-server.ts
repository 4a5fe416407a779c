/**
 * Scripted HTTP(S) servers for the reliability suite: replies the embedded DQM server cannot
 * produce (HTML error pages, NaN in JSON, hangs, stalls mid-body, echoed headers, self-signed TLS),
 * and builders for the records and list envelopes they serve.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** What a scripted server does with one request. */
export type ScriptedReply =
  | { status: number; body: string | Buffer; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | 'hang'
  /** Send headers and part of the body, then stall forever. */
  | { stallAfter: string; status?: number }
  /** Drop the connection without answering. */
  | 'destroy';

/** A local HTTP server answering from a function, on port 0. */
export interface ScriptedServer {
  url: string;
  port: number;
  /** Requests received, in order: method, path with query, Authorization header. */
  requests: { method: string; path: string; authorization?: string }[];
  close(): Promise<void>;
}

/** Options of `startScriptedServer`. */
export interface ScriptedServerOptions {
  /** Serve HTTPS with this PEM key and certificate. */
  tls?: { key: string; cert: string };
  /** Interface to listen on (default 127.0.0.1; `0.0.0.0` to be reached on a non-loopback address). */
  host?: string;
}

/** Starts a scripted server (for replies the embedded DQM server cannot produce). */
export async function startScriptedServer(
  handle: (req: IncomingMessage, url: URL) => ScriptedReply,
  options: ScriptedServerOptions = {},
): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const requests: ScriptedServer['requests'] = [];
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
    });
    const reply = handle(req, url);
    if (reply === 'hang') return;
    if (reply === 'destroy') {
      req.socket.destroy();
      return;
    }
    if ('stallAfter' in reply) {
      res.writeHead(reply.status ?? 200, {
        'Content-Type': 'application/json',
        'Content-Length': String(reply.stallAfter.length + 1000),
      });
      res.write(reply.stallAfter);
      return;
    }
    const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
    res.writeHead(reply.status, {
      'Content-Type': 'application/json',
      ...reply.headers,
      'Content-Length': String(body.length),
    });
    res.end(body);
  };
  const server: Server = options.tls ? createHttpsServer(options.tls, listener) : createServer(listener);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A list envelope as the real server sends it (`total`, `per_page` 50). */
export function envelope(results: unknown[], total = results.length): string {
  return JSON.stringify({
    next: null,
    previous: null,
    total,
    per_page: 50,
    total_pages: Math.round((total / 50) * 10) / 10,
    results,
  });
}

/** A 1D histogram record as the real server sends it. */
export function histogram1d(id: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    run: 315705,
    lumisection: id,
    title: 'chargeInner_PXLayer_1',
    entries: 100,
    data: [1.0, 2.0, 3.0, 4.0],
    x_min: 0.0,
    x_max: 4.0,
    x_bin: 4,
    source_data_file: 1,
    ...overrides,
  };
}

/** A 2D histogram record (`y_bin` rows of `x_bin` values). */
export function histogram2d(
  id: number,
  x: number,
  y: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    run: 315705,
    lumisection: id,
    title: 'clusterposition_zphi_ontrack_PXLayer_1',
    entries: 10,
    data: Array.from({ length: y }, (_, iy) => Array.from({ length: x }, (_, ix) => iy * x + ix + 0.5)),
    x_min: -1.0,
    x_max: 1.0,
    x_bin: x,
    y_min: -1.0,
    y_max: 1.0,
    y_bin: y,
    source_data_file: 2,
    ...overrides,
  };
}
