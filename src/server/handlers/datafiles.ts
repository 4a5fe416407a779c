/**
 * `/api/histogram_data_files/`: list and detail (cached by server.ts), `discover/` (admin only)
 * and `{id}/start_parsing/`, with the real server's bare-string error bodies (captures 20-35).
 */
import { renderDataFile } from '../../tables/datafiles.js';
import { dataFileQuery, isReply } from '../filters.js';
import { ALLOW, detailReply, emptyReply, jsonReply, methodNotAllowed, type Reply } from '../http.js';
import { Ingestor } from '../ingest.js';
import { pageReply, parseId, readBody, type HandlerEnv, type RequestContext } from './context.js';

/** GET the list (filters: id, data_era, data_dimensionality, granularity, processing_complete, ...). */
export function dataFileList(env: HandlerEnv, ctx: RequestContext): Reply {
  if (ctx.method !== 'GET') return methodNotAllowed(ctx.method, ALLOW.list);
  const query = dataFileQuery(ctx.pairs, ALLOW.list);
  return isReply(query) ? query : pageReply(env, ctx, env.data.files.list(query), ALLOW.list);
}

/** GET one data file. */
export function dataFileDetail(env: HandlerEnv, ctx: RequestContext, idText: string): Reply {
  if (ctx.method !== 'GET') return methodNotAllowed(ctx.method, ALLOW.detail);
  const id = parseId(idText);
  const file = id === undefined ? undefined : env.data.files.get(id);
  return file ? jsonReply(200, renderDataFile(file), ALLOW.detail) : detailReply(404, 'Not found.', ALLOW.detail);
}

/** GET discover/: registers new CSV files under the data directories; 202 with no body. */
export async function discover(env: HandlerEnv, ctx: RequestContext): Promise<Reply> {
  if (ctx.method !== 'GET') return methodNotAllowed(ctx.method, ALLOW.discover);
  await env.data.ingest?.discover();
  return emptyReply(202, ALLOW.discover);
}

const REQUIRED = "Required param(s) missing (['granularity', 'data_dimensionality', 'file_format'])";

/**
 * POST {id}/start_parsing/ with `{"granularity": "lum", "data_dimensionality": 1|2, "file_format":
 * "csv"}`: 202 at once, parsing continues in the background. Checks in this order: file exists
 * (404), body parses (400 detail), params valid (400 bare string), granularity `run` (500),
 * already parsed or parsing (400).
 */
export function startParsing(env: HandlerEnv, ctx: RequestContext, idText: string): Reply {
  const allow = ALLOW.startParsing;
  if (ctx.method !== 'POST') return methodNotAllowed(ctx.method, allow);
  const id = parseId(idText);
  const file = id === undefined ? undefined : env.data.files.get(id);
  if (!file) return detailReply(404, 'Not found.', allow);
  const body = readBody(ctx, allow);
  if (isReply(body)) return body;
  const data = (typeof body.data === 'object' && body.data !== null ? body.data : {}) as Record<string, unknown>;
  const { granularity, data_dimensionality: dim, file_format: format } = data;
  if ((granularity !== 'lum' && granularity !== 'run') || (dim !== 1 && dim !== 2) || format !== 'csv') {
    return jsonReply(400, JSON.stringify(REQUIRED), allow);
  }
  if (granularity === 'run')
    return jsonReply(
      500,
      JSON.stringify("Something possibly missing from HISTOGRAM_DIMENSIONS_CHOICES ('run')"),
      allow,
    );
  if (Ingestor.isParsedOrParsing(file) || !env.data.ingest) {
    return jsonReply(400, JSON.stringify(`HistogramDataFile with pk ${file.id} is already parsed`), allow);
  }
  void env.data.ingest.parse(file, dim);
  return emptyReply(202, allow);
}
