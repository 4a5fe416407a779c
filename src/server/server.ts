/**
 * `startServer`: a node:http server that answers like the real DQM Playground (Django + DRF).
 * Per request: route (404 page, APPEND_SLASH 301) -> data-file cache (before authentication, as
 * cache_page is) -> token authentication -> permission -> handler -> optional fault -> send.
 */
import type { IncomingMessage } from 'node:http';
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
} from './http.js';
import { resolveServerOptions, type RunningServer, type ServerOptions } from './options.js';
import { Prng } from '../tables/prng.js';
import { allowOf, dispatch, isCached, isFaultable, matchRoute } from './router.js';
import { listenHttp, readRequestBody, requestTarget, type Answer } from './transport.js';

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

  async function respond(req: IncomingMessage): Promise<Answer> {
    const { method, rawUrl, rawPath, rawQuery, path } = requestTarget(req);
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

  const listening = await listenHttp(respond, {
    ...o,
    faults,
    serverError: htmlServerError,
    onClose: async () => data.ingest?.close(),
  });
  port = listening.port;
  await load();
  return {
    url: listening.url,
    port,
    api: 'dqm-playground',
    adminToken: o.adminToken,
    userToken: o.userToken,
    close: listening.close,
  };
}
