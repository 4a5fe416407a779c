/**
 * `startDialsServer`: the DIALS API (`serve --api dials`) over the same tables as the DQM
 * Playground server (CSV files or `--synthetic`). Faults (latency, jitter, failures, resets,
 * truncation) hit data reads only, as on the other API; `--shuffle` does not apply (a cursor API is
 * ordered by definition). `gatewayTimeoutBytes` turns a data response larger than that into the
 * gateway's failure, so a client's adaptive `page_size` can be tested: 504 (the router's timeout) and
 * 502 (the backend's worker killed first) in turn, starting with 504, as both happen on the real
 * service.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerSecret } from '../../secrets.js';
import type { Tables } from '../../tables/index.js';
import { buildData } from '../data.js';
import { Faults } from '../faults.js';
import type { Reply } from '../http.js';
import type { ResolvedServerOptions, RunningServer } from '../options.js';
import { deliver, listenError, readRequestBody } from '../transport.js';
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

  async function respond(req: IncomingMessage): Promise<{ reply: Reply; data: boolean; method: string }> {
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
    const body = (await readRequestBody(req)) ?? Buffer.alloc(0);
    const route = matchDialsRoute(path);
    if (!route) return { reply: unmatchedReply(path, rawPath, rawQuery), data: false, method };
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
    return { reply, data: isDataRoute(route) && (method === 'GET' || method === 'HEAD'), method };
  }

  const server = createServer((req, res) => {
    const started = performance.now();
    respond(req)
      .catch((err: unknown) => {
        o.logger.error({ err: err instanceof Error ? err.message : String(err), url: req.url }, 'request failed');
        return { reply: dialsHtmlServerError(), data: false, method: req.method ?? 'GET' };
      })
      .then(async ({ reply, data: isData, method }) => {
        if (isData && o.gatewayTimeoutBytes > 0 && reply.body.length > o.gatewayTimeoutBytes)
          reply = gatewayFailures++ % 2 === 0 ? gatewayTimeout() : gatewayBadGateway();
        const plan = isData && faults.active ? faults.plan(reply.body.length) : undefined;
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
  // Build the DIALS view now, not on the first request (200k synthetic rows take seconds).
  env.view();
  const urlHost = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    api: 'dials',
    adminToken: o.adminToken,
    userToken: o.userToken,
    dialsToken: o.dialsToken,
    clientSecret: o.clientSecret,
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
