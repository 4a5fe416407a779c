/**
 * `startDialsServer`: the DIALS API (`serve --api dials`) over the same tables as the DQM
 * Playground server (CSV files or `--synthetic`). Faults (latency, jitter, failures, resets,
 * truncation) hit data reads only, as on the other API; `--shuffle` does not apply (a cursor API is
 * ordered by definition). `gatewayTimeoutBytes` turns a data response larger than that into the
 * gateway's failure, so a client's adaptive `page_size` can be tested: 504 (the router's timeout) and
 * 502 (the backend's worker killed first) in turn, starting with 504, as both happen on the real
 * service.
 */
import type { IncomingMessage } from 'node:http';
import { registerSecret } from '../../secrets.js';
import type { Tables } from '../../tables/index.js';
import { buildData } from '../data.js';
import { Faults } from '../faults.js';
import type { ResolvedServerOptions, RunningServer } from '../options.js';
import { listenHttp, readRequestBody, requestTarget, type Answer } from '../transport.js';
import { TokenStore } from './auth.js';
import { DeviceFlow } from './device.js';
import { dialsHtmlServerError, gatewayBadGateway, gatewayTimeout } from './http.js';
import { dispatchDials, isDataRoute, matchDialsRoute, unmatchedReply, type DialsEnv } from './router.js';
import { buildDialsView, type DialsDb } from './view.js';
import type { DialsMap } from './mapping.js';

/** Rebuilds the DIALS view when the tables changed (rows added while parsing, files parsed). */
function viewOf(tables: Tables, map: DialsMap): () => Map<string, DialsDb> {
  let signature = '';
  let view: Map<string, DialsDb> | undefined;
  return () => {
    const files = tables.files.all();
    const sig = `${tables.h1d.rows().length}:${tables.h2d.rows().length}:${files.length}:${files.map((f) => f.state).join('')}`;
    if (!view || sig !== signature) {
      view = buildDialsView(tables, map);
      signature = sig;
    }
    return view;
  };
}

function parseBody(req: IncomingMessage, body: Buffer): Record<string, unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const text = body.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(text));
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Starts the DIALS server on resolved options (called by `startServer` for `api: 'dials'`). */
export async function startDialsServer(o: ResolvedServerOptions): Promise<RunningServer> {
  registerSecret(o.dialsToken);
  registerSecret(o.clientSecret);
  const { data, load } = await buildData(o);
  const tokens = new TokenStore(
    {
      accessTtlSeconds: o.tokenTtlSeconds,
      refreshTtlSeconds: o.refreshTtlSeconds,
      rejectExpired: o.rejectExpiredTokens,
    },
    [o.dialsToken],
  );
  const env: DialsEnv = {
    view: viewOf(data, o.dialsMap),
    tokens,
    clientSecret: o.clientSecret,
    device: new DeviceFlow(tokens, { codeTtlSeconds: 600, autoApproveAfter: o.deviceAutoApprove }),
  };
  const faults = new Faults({ ...o });
  let gatewayFailures = 0;
  let port = o.port;

  async function respond(req: IncomingMessage): Promise<Answer> {
    const { method, rawPath, rawQuery, path } = requestTarget(req);
    const body = (await readRequestBody(req)) ?? Buffer.alloc(0);
    const route = matchDialsRoute(path);
    if (!route) return { reply: unmatchedReply(path, rawPath, rawQuery), faultable: false, method };
    const proto = req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
    const host = req.headers.host ?? `${o.host}:${port}`;
    const reply = dispatchDials(
      env,
      {
        method: method === 'HEAD' ? 'GET' : method,
        path: rawPath,
        pairs: [...new URLSearchParams(rawQuery)],
        base: `${proto}://${host}`,
        authorization: req.headers.authorization !== undefined,
        headers: req.headers,
        body: parseBody(req, body),
      },
      route,
    );
    return { reply, faultable: isDataRoute(route) && (method === 'GET' || method === 'HEAD'), method };
  }

  const listening = await listenHttp(respond, {
    ...o,
    faults,
    serverError: dialsHtmlServerError,
    // Faultable replies are the data reads: those the gateway cuts off when they are too large.
    finish: (reply) =>
      o.gatewayTimeoutBytes > 0 && reply.body.length > o.gatewayTimeoutBytes
        ? gatewayFailures++ % 2 === 0
          ? gatewayTimeout()
          : gatewayBadGateway()
        : reply,
    onClose: async () => data.ingest?.close(),
  });
  port = listening.port;
  await load();
  // Build the DIALS view now, not on the first request (200k synthetic rows take seconds).
  env.view();
  return {
    url: listening.url,
    port,
    api: 'dials',
    adminToken: o.adminToken,
    userToken: o.userToken,
    dialsToken: o.dialsToken,
    clientSecret: o.clientSecret,
    close: listening.close,
  };
}
