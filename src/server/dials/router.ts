/**
 * DIALS routes (`/api/v1/...`, trailing slash required) and the order a request goes through:
 * route (404 page, APPEND_SLASH 301) -> the API root and the device flow (no credentials) ->
 * authentication (403/500) -> method (OPTIONS metadata, 405) -> `Workspace` header (404) -> handler.
 */
import type { Reply } from '../http.js';
import { authenticateDials, type TokenStore } from './auth.js';
import type { DeviceFlow } from './device.js';
import {
  countReply,
  detailReply,
  listReply,
  mesDetailReply,
  mesListReply,
  runMesReply,
  type DialsRequest,
  type PagedKind,
} from './handlers.js';
import { ALLOW_GET, ALLOW_POST, dialsDetail, dialsHtmlNotFound, dialsJson, dialsRedirect } from './http.js';
import { DEFAULT_WORKSPACE, WORKSPACES, type DialsDb } from './view.js';

/** A matched route. */
export type DialsRoute =
  | { kind: 'root' }
  | { kind: 'approve' }
  | { kind: 'list'; name: PagedKind }
  | { kind: 'count'; name: 'run' | 'lumisection' | 'file-index' }
  | { kind: 'detail'; name: PagedKind; ids: number[] }
  | { kind: 'mes' }
  | { kind: 'me'; id: number }
  | { kind: 'runMes'; datasetId: number; run: number }
  | { kind: 'auth'; name: 'workspaces' | 'user-default-workspace' | 'new-device' | 'device-token' | 'refresh-token' };

/** Routes of the API root, in the real order (those after `th2` are not served here). */
const ROOT_ROUTES = [
  'dataset-index',
  'file-index',
  'mes',
  'run',
  'lumisection',
  'th1',
  'th2',
  'ml-models-index',
  'ml-bad-lumisection',
  'oms-proxy',
  'caf',
];

/** Path segments of each detail route. */
const DETAIL_ARITY: Record<PagedKind, number> = {
  th1: 4,
  th2: 4,
  run: 2,
  lumisection: 3,
  'file-index': 2,
  'dataset-index': 1,
};

const PAGED = new Set<string>(Object.keys(DETAIL_ARITY));

/** Matches a decoded path; undefined if no route does. */
export function matchDialsRoute(path: string): DialsRoute | undefined {
  if (path === '/device/') return { kind: 'approve' };
  if (!path.startsWith('/api/v1/')) return undefined;
  const rest = path.slice('/api/v1/'.length);
  if (rest === '') return { kind: 'root' };
  if (!rest.endsWith('/')) return undefined;
  const seg = rest.slice(0, -1).split('/');
  const [name, ...tail] = seg;
  if (name === 'auth' && tail.length === 1) {
    const n = tail[0];
    if (
      n === 'workspaces' ||
      n === 'user-default-workspace' ||
      n === 'new-device' ||
      n === 'device-token' ||
      n === 'refresh-token'
    )
      return { kind: 'auth', name: n };
    return undefined;
  }
  if (!tail.every((s) => /^\d+$/.test(s)) && !(tail.length === 1 && tail[0] === 'count')) return undefined;
  if (name === 'mes') {
    if (tail.length === 0) return { kind: 'mes' };
    if (tail.length === 1 && tail[0] !== 'count') return { kind: 'me', id: Number(tail[0]) };
    if (tail.length === 2) return { kind: 'runMes', datasetId: Number(tail[0]), run: Number(tail[1]) };
    return undefined;
  }
  if (!PAGED.has(name)) return undefined;
  const paged = name as PagedKind;
  if (tail.length === 0) return { kind: 'list', name: paged };
  if (tail.length === 1 && tail[0] === 'count') {
    return paged === 'run' || paged === 'lumisection' || paged === 'file-index'
      ? { kind: 'count', name: paged }
      : undefined;
  }
  return tail.length === DETAIL_ARITY[paged] ? { kind: 'detail', name: paged, ids: tail.map(Number) } : undefined;
}

/** True for the routes faults and the gateway timeout apply to (data reads). */
export function isDataRoute(route: DialsRoute): boolean {
  return (
    route.kind === 'list' ||
    route.kind === 'count' ||
    route.kind === 'detail' ||
    route.kind === 'mes' ||
    route.kind === 'me' ||
    route.kind === 'runMes'
  );
}

/** What the router needs besides the request. */
export interface DialsEnv {
  /** Every workspace's data (rebuilt when the tables grow). */
  view(): Map<string, DialsDb>;
  tokens: TokenStore;
  clientSecret: string;
  device: DeviceFlow;
}

/** One request. */
export interface DialsIncoming extends DialsRequest {
  /** Upper-case method (HEAD answered as GET). */
  method: string;
  headers: Record<string, string | string[] | undefined>;
  /** Request body parsed as JSON or a form (device flow); `{}` otherwise. */
  body: Record<string, unknown>;
}

const VIEW_NAMES: Record<string, string> = {
  th1: 'T H1',
  th2: 'T H2',
  run: 'Run',
  lumisection: 'Lumisection',
  'file-index': 'File Index',
  'dataset-index': 'Dataset Index',
};

function optionsReply(route: DialsRoute): Reply {
  const base =
    route.kind === 'list' || route.kind === 'detail' || route.kind === 'count'
      ? VIEW_NAMES[route.name]
      : route.kind === 'auth'
        ? 'Auth'
        : 'M Es';
  const body = {
    name: route.kind === 'list' || route.kind === 'mes' ? `${base} List` : base,
    description: '',
    renders: ['application/json', 'text/html'],
    parses: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
  };
  return dialsJson(200, JSON.stringify(body), {
    allow: route.kind === 'auth' && isPostRoute(route) ? ALLOW_POST : ALLOW_GET,
  });
}

function isPostRoute(route: DialsRoute): boolean {
  return route.kind === 'auth' && (route.name === 'device-token' || route.name === 'refresh-token');
}

function rootReply(base: string): Reply {
  return dialsJson(200, JSON.stringify(Object.fromEntries(ROOT_ROUTES.map((r) => [r, `${base}/api/v1/${r}/`]))));
}

/** The redirect for a path that only lacks its trailing slash, else the 404 page. */
export function unmatchedReply(path: string, rawPath: string, rawQuery: string): Reply {
  return matchDialsRoute(path + '/')
    ? dialsRedirect(`${rawPath}/${rawQuery ? '?' + rawQuery : ''}`)
    : dialsHtmlNotFound();
}

/** Answers a routed request. */
export function dispatchDials(env: DialsEnv, req: DialsIncoming, route: DialsRoute): Reply {
  if (route.kind === 'approve') {
    const code = req.pairs.find(([k]) => k === 'user_code')?.[1] ?? '';
    const ok = env.device.approve(code);
    return {
      status: ok ? 200 : 404,
      headers: [['Content-Type', 'text/plain; charset=utf-8']],
      body: Buffer.from(ok ? `Device ${code} approved.\n` : `No pending device ${code}.\n`),
    };
  }
  if (route.kind === 'root')
    return req.method === 'GET' ? rootReply(req.base) : dialsDetail(405, `Method "${req.method}" not allowed.`);
  if (route.kind === 'auth' && (route.name === 'new-device' || isPostRoute(route))) {
    const wanted = route.name === 'new-device' ? 'GET' : 'POST';
    if (req.method === 'OPTIONS') return optionsReply(route);
    if (req.method !== wanted)
      return dialsDetail(405, `Method "${req.method}" not allowed.`, wanted === 'GET' ? ALLOW_GET : ALLOW_POST);
    if (route.name === 'new-device') return env.device.newDevice(req.base);
    return route.name === 'device-token' ? env.device.deviceToken(req.body) : env.device.refreshToken(req.body);
  }
  const auth = authenticateDials(req.headers, env.tokens, env.clientSecret);
  if ('reply' in auth) return auth.reply;
  if (req.method === 'OPTIONS') return optionsReply(route);
  if (req.method !== 'GET') return dialsDetail(405, `Method "${req.method}" not allowed.`);
  if (route.kind === 'auth') {
    return route.name === 'workspaces'
      ? dialsJson(200, JSON.stringify({ workspaces: WORKSPACES }))
      : dialsJson(200, JSON.stringify({ workspace: DEFAULT_WORKSPACE }));
  }
  const header = req.headers.workspace;
  const workspace = typeof header === 'string' && header !== '' ? header : DEFAULT_WORKSPACE;
  const db = env.view().get(workspace);
  if (!db) return dialsJson(404, JSON.stringify({ detail: `Workspace '${workspace}' not found` }));
  switch (route.kind) {
    case 'list':
      return listReply(db, route.name, req);
    case 'count':
      return countReply(db, route.name, req);
    case 'detail':
      return detailReply(db, route.name, route.ids, req);
    case 'mes':
      return mesListReply(db, req);
    case 'me':
      return mesDetailReply(db, route.id, req);
    case 'runMes':
      return runMesReply(db, route.datasetId, route.run);
  }
}
