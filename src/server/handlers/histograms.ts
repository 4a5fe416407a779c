/** `/api/lumisection_histograms_1d/` and `_2d/`: filtered, paginated lists; detail; DELETE. */
import { isReply, histogramQuery } from '../filters.js';
import { ALLOW, detailReply, emptyReply, jsonReply, methodNotAllowed, type Reply } from '../http.js';
import type { HistogramTable } from '../../tables/model.js';
import { pageReply, parseId, type HandlerEnv, type RequestContext } from './context.js';

/** List of one histogram table. Only GET; the list order is shuffled per request with `--shuffle`. */
export function histogramList(env: HandlerEnv, ctx: RequestContext, table: HistogramTable): Reply {
  if (ctx.method !== 'GET') return methodNotAllowed(ctx.method, ALLOW.list);
  const query = histogramQuery(ctx.pairs, (t) => table.hasTitle(t), env.data.files, ALLOW.list);
  if (isReply(query)) return query;
  return pageReply(env, ctx, table.list(query), ALLOW.list, true);
}

/** One histogram: GET, or DELETE (any authenticated user may, as on the real server). */
export function histogramDetail(ctx: RequestContext, table: HistogramTable, idText: string): Reply {
  const id = parseId(idText);
  if (ctx.method === 'GET') {
    const json = id === undefined ? undefined : table.get(id);
    return json ? jsonReply(200, json, ALLOW.detail) : detailReply(404, 'Not found.', ALLOW.detail);
  }
  if (ctx.method === 'DELETE') {
    const deleted = id === undefined ? false : table.delete(id);
    if (deleted === undefined) return methodNotAllowed(ctx.method, ALLOW.detail);
    return deleted ? emptyReply(204, ALLOW.detail) : detailReply(404, 'Not found.', ALLOW.detail);
  }
  return methodNotAllowed(ctx.method, ALLOW.detail);
}
