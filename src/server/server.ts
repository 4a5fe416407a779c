/**
 * `startServer`: a node:http server that answers like the real DQM Playground (Django + DRF).
 * Per request: route (404 page, APPEND_SLASH 301) -> data-file cache (before authentication, as
 * cache_page is) -> token authentication -> permission -> handler -> optional fault -> send.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from '../errors.js';
import { registerSecret } from '../secrets.js';
import { authenticate } from './auth.js';
import { PageCache } from './cache.js';
import { buildData } from './data.js';
import { Faults, type FaultPlan } from './faults.js';
import type { HandlerEnv, RequestContext } from './handlers/context.js';
import { ALLOW, detailReply, htmlNotFound, htmlServerError, jsonReply, redirectReply, unauthorizedReply, type Reply } from './http.js';
import { resolveServerOptions, type RunningServer, type ServerOptions } from './options.js';
import { Prng } from '../tables/prng.js';
import { allowOf, dispatch, isCached, isFaultable, matchRoute } from './router.js';

/** Largest request body accepted (actions take a few bytes of JSON). */
const MAX_BODY = 1 << 20;

async function readRequestBody(req: IncomingMessage): Promise<Buffer | undefined> {
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
async function deliver(res: ServerResponse, reply: Reply, plan: FaultPlan | undefined, head: boolean): Promise<void> {
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

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  if (err.code === 'EADDRINUSE') {
    return new UsageError('E_SERVE_PORT_IN_USE', `port ${port} on ${host} is already in use; choose another --port (0 picks a free one)`);
  }
  if (err.code === 'EACCES') return new UsageError('E_SERVE_PORT_DENIED', `not allowed to listen on ${host}:${port}; use a port above 1023`);
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
    return new UsageError('E_SERVE_HOST', `cannot listen on host ${host}: no such local address; use --host 127.0.0.1 or 0.0.0.0`);
  }
  return err;
}

/**
 * Starts a DQM Playground-compatible server. Resolves once it listens and (unless `manual`) every
 * data file is parsed. Rejects with UsageError (E_SERVE_PORT_IN_USE, E_SERVE_OPTION, ...) or
 * InputError (E_SERVE_DATA_DIR). Both tokens are registered as secrets, so logs never show them.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const o = resolveServerOptions(options);
  registerSecret(o.adminToken);
  registerSecret(o.userToken);
  const { data, load } = await buildData(o);
  const env: HandlerEnv = { data, options: o, shuffle: new Prng(o.seed ^ 0x5bd1e995) };
  const faults = new Faults({ ...o });
  const cache = new PageCache(o.dataFileCacheSeconds);
  const tokens = { admin: o.adminToken, user: o.userToken };
  let port = o.port;

  async function respond(req: IncomingMessage): Promise<{ reply: Reply; faultable: boolean; method: string }> {
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
    const body = await readRequestBody(req);
    const route = matchRoute(path);
    if (!route) {
      const slashed = !path.endsWith('/') && matchRoute(path + '/');
      return { reply: slashed ? redirectReply(`${rawPath}/${rawQuery ? '?' + rawQuery : ''}`) : htmlNotFound(), faultable: false, method };
    }
    const faultable = isFaultable(route, method);
    const host = req.headers.host ?? `${o.host}:${port}`;
    const cacheKey = isCached(route, method) ? PageCache.key(host, rawUrl, req.headers.accept) : undefined;
    const hit = cacheKey === undefined ? undefined : cache.get(cacheKey);
    if (hit) return { reply: hit, faultable, method };
    const auth = authenticate(req.headers.authorization, tokens);
    if ('error' in auth) return { reply: unauthorizedReply(auth.error, allowOf(route)), faultable, method };
    if (route.kind === 'discover' && auth.user !== 'admin') {
      return { reply: detailReply(403, 'You do not have permission to perform this action.', ALLOW.discover), faultable, method };
    }
    if (body === undefined) return { reply: jsonReply(413, JSON.stringify({ detail: 'Request body too large.' }), allowOf(route)), faultable, method };
    const ctx: RequestContext = {
      method: method === 'HEAD' ? 'GET' : method,
      path: rawPath,
      pairs: [...new URLSearchParams(rawQuery)],
      user: auth.user,
      host,
      headers: req.headers,
      body,
    };
    let reply = await dispatch(env, ctx, route);
    if (cacheKey !== undefined) reply = cache.store(cacheKey, reply);
    return { reply, faultable, method };
  }

  const server = createServer((req, res) => {
    const started = performance.now();
    respond(req)
      .catch((err: unknown) => {
        o.logger.error({ err: err instanceof Error ? err.message : String(err), url: req.url }, 'request failed');
        return { reply: htmlServerError(), faultable: false, method: req.method ?? 'GET' };
      })
      .then(async ({ reply, faultable, method }) => {
        const plan = faultable && faults.active ? faults.plan(reply.body.length) : undefined;
        await deliver(res, reply, plan, method === 'HEAD');
        o.logger.debug({ method, url: req.url, status: plan?.kind === 'fail' ? plan.reply.status : reply.status, fault: plan?.kind, ms: Math.round(performance.now() - started) }, 'request');
      })
      .catch((err: unknown) => o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'response not delivered'));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, o.host, o.port)));
    server.listen(o.port, o.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  await load();
  const urlHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    adminToken: o.adminToken,
    userToken: o.userToken,
    close: () =>
      (closing ??= (async () => {
        await data.ingest?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })()),
  };
}
