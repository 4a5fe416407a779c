/**
 * `startServer`: a node:http server that answers like the real DQM Playground (Django + DRF).
 * Per request: route (404 page, APPEND_SLASH 301) -> data-file cache (before authentication, as
 * cache_page is) -> token authentication -> permission -> handler -> optional fault -> send.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerSecret } from '../secrets.js';
import { authenticate } from './auth.js';
import { PageCache } from './cache.js';
import { buildData } from './data.js';
import { startDialsServer } from './dials/server.js';
import { Faults } from './faults.js';
import type { HandlerEnv, RequestContext } from './handlers/context.js';
import {
  ALLOW,
  detailReply,
  htmlNotFound,
  htmlServerError,
  jsonReply,
  redirectReply,
  unauthorizedReply,
  type Reply,
} from './http.js';
import { resolveServerOptions, type RunningServer, type ServerOptions } from './options.js';
import { Prng } from '../tables/prng.js';
import { allowOf, dispatch, isCached, isFaultable, matchRoute } from './router.js';
import { deliver, listenError, readRequestBody } from './transport.js';

/**
 * Starts a DQM Playground-compatible server (or, with `api: 'dials'`, the DIALS one). Resolves once it listens and (unless `manual`) every
 * data file is parsed. Rejects with UsageError (E_SERVE_PORT_IN_USE, E_SERVE_OPTION, ...) or
 * InputError (E_SERVE_DATA_DIR). Both tokens are registered as secrets, so logs never show them.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const o = resolveServerOptions(options);
  if (o.api === 'dials') return startDialsServer(o);
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
      return {
        reply: slashed ? redirectReply(`${rawPath}/${rawQuery ? '?' + rawQuery : ''}`) : htmlNotFound(),
        faultable: false,
        method,
      };
    }
    const faultable = isFaultable(route, method);
    const host = req.headers.host ?? `${o.host}:${port}`;
    const cacheKey = isCached(route, method) ? PageCache.key(host, rawUrl, req.headers.accept) : undefined;
    const hit = cacheKey === undefined ? undefined : cache.get(cacheKey);
    if (hit) return { reply: hit, faultable, method };
    const auth = authenticate(req.headers.authorization, tokens);
    if ('error' in auth) return { reply: unauthorizedReply(auth.error, allowOf(route)), faultable, method };
    if (route.kind === 'discover' && auth.user !== 'admin') {
      return {
        reply: detailReply(403, 'You do not have permission to perform this action.', ALLOW.discover),
        faultable,
        method,
      };
    }
    if (body === undefined)
      return {
        reply: jsonReply(413, JSON.stringify({ detail: 'Request body too large.' }), allowOf(route)),
        faultable,
        method,
      };
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
      })
      .catch((err: unknown) =>
        o.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'response not delivered'),
      );
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
    api: 'dqm-playground',
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
