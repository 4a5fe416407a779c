/**
 * URL routing of the DRF DefaultRouter on the real server: `/api/` root, `/api/<name>/` lists,
 * `/api/<name>/<id>/` details, and the two data-file actions. Unknown paths are Django 404 pages;
 * a path that only lacks its trailing slash gets Django's APPEND_SLASH 301.
 */
import { ALLOW, detailReply, jsonReply, methodNotAllowed, type Reply } from './http.js';
import { EMPTY_LISTING } from '../tables/model.js';
import { dataFileDetail, dataFileList, discover, startParsing } from './handlers/datafiles.js';
import { histogramDetail, histogramList } from './handlers/histograms.js';
import { lumisectionDetail, lumisectionList, runDetail, runList } from './handlers/runs.js';
import { pageReply, type HandlerEnv, type RequestContext } from './handlers/context.js';

/** Endpoints of the API root, in the real server's order, with DRF's view names (for OPTIONS). */
export const API_ENDPOINTS = {
  histogram_data_files: 'Histogram Data File',
  run_histograms: 'Run Histogram',
  lumisection_histograms_1d: 'Lumisection Histogram1D',
  lumisection_histograms_2d: 'Lumisection Histogram2D',
  tasks: 'Task',
  strategies: 'Strategy',
  predictions: 'Prediction',
  runs: 'Run',
  lumisections: 'Lumisection',
  run_certifications: 'Run Certification',
  lumisection_certifications: 'Lumisection Certification',
} as const;
type EndpointName = keyof typeof API_ENDPOINTS;

/** A matched route. */
export type Route =
  | { kind: 'root' }
  | { kind: 'list'; name: EndpointName }
  | { kind: 'detail'; name: EndpointName; id: string }
  | { kind: 'discover' }
  | { kind: 'startParsing'; id: string };

function isEndpoint(name: string): name is EndpointName {
  return Object.hasOwn(API_ENDPOINTS, name);
}

/** Matches a decoded path; undefined if no route does. */
export function matchRoute(path: string): Route | undefined {
  if (path === '/api/') return { kind: 'root' };
  const m = /^\/api\/([^/]+)\/(?:([^/.]+)\/(?:(start_parsing)\/)?)?$/.exec(path);
  if (!m || !isEndpoint(m[1])) return undefined;
  const [, name, id, action] = m;
  if (name === 'histogram_data_files' && id === 'discover' && !action) return { kind: 'discover' };
  if (action) return name === 'histogram_data_files' ? { kind: 'startParsing', id } : undefined;
  return id === undefined ? { kind: 'list', name } : { kind: 'detail', name, id };
}

/** The `Allow` header of a route. */
export function allowOf(route: Route): string {
  return route.kind === 'startParsing' ? ALLOW.startParsing : ALLOW[route.kind];
}

/** Faults hit GET/HEAD of lists and details only. */
export function isFaultable(route: Route, method: string): boolean {
  return (route.kind === 'list' || route.kind === 'detail') && (method === 'GET' || method === 'HEAD');
}

/** histogram_data_files list and detail responses are cached per URL (cache_page). */
export function isCached(route: Route, method: string): boolean {
  return (
    (route.kind === 'list' || route.kind === 'detail') &&
    route.name === 'histogram_data_files' &&
    (method === 'GET' || method === 'HEAD')
  );
}

function rootReply(ctx: RequestContext): Reply {
  const base = `http://${ctx.host}/api/`;
  const body =
    '{' +
    Object.keys(API_ENDPOINTS)
      .map((name) => `${JSON.stringify(name)}:${JSON.stringify(`${base}${name}/`)}`)
      .join(',') +
    '}';
  return jsonReply(200, body, ALLOW.root);
}

function optionsReply(route: Route): Reply {
  const name =
    route.kind === 'root'
      ? 'Api Root'
      : route.kind === 'list'
        ? `${API_ENDPOINTS[route.name]} List`
        : route.kind === 'detail'
          ? `${API_ENDPOINTS[route.name]} Instance`
          : 'Histogram Data File';
  const body = {
    name,
    description: '',
    renders: ['application/json', 'text/html'],
    parses: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
  };
  return jsonReply(200, JSON.stringify(body), allowOf(route));
}

/** Runs the handler of `route` (authentication and permissions already checked). */
export async function dispatch(env: HandlerEnv, ctx: RequestContext, route: Route): Promise<Reply> {
  if (ctx.method === 'OPTIONS') return optionsReply(route);
  const { data } = env;
  switch (route.kind) {
    case 'root':
      return ctx.method === 'GET' ? rootReply(ctx) : methodNotAllowed(ctx.method, ALLOW.root);
    case 'discover':
      return discover(env, ctx);
    case 'startParsing':
      return startParsing(env, ctx, route.id);
    case 'list':
      switch (route.name) {
        case 'runs':
          return runList(env, ctx);
        case 'lumisections':
          return lumisectionList(env, ctx);
        case 'lumisection_histograms_1d':
          return histogramList(env, ctx, data.h1d);
        case 'lumisection_histograms_2d':
          return histogramList(env, ctx, data.h2d);
        case 'histogram_data_files':
          return dataFileList(env, ctx);
        default:
          return ctx.method === 'GET'
            ? pageReply(env, ctx, EMPTY_LISTING, ALLOW.list)
            : methodNotAllowed(ctx.method, ALLOW.list);
      }
    case 'detail':
      switch (route.name) {
        case 'runs':
          return runDetail(env, ctx, route.id);
        case 'lumisections':
          return lumisectionDetail(env, ctx, route.id);
        case 'lumisection_histograms_1d':
          return histogramDetail(ctx, data.h1d, route.id);
        case 'lumisection_histograms_2d':
          return histogramDetail(ctx, data.h2d, route.id);
        case 'histogram_data_files':
          return dataFileDetail(env, ctx, route.id);
        default:
          return ctx.method === 'GET'
            ? detailReply(404, 'Not found.', ALLOW.detail)
            : methodNotAllowed(ctx.method, ALLOW.detail);
      }
  }
}
