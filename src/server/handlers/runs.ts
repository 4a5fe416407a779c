/**
 * `/api/runs/` and `/api/lumisections/`: lists ordered by run number and by (run, LS), details, and
 * POST with DRF's serializer messages (captures 40-44).
 */
import { isReply, lumisectionQuery, runQuery } from '../filters.js';
import { ALLOW, detailReply, jsonReply, methodNotAllowed, type Reply } from '../http.js';
import type { CreateResult } from '../../tables/model.js';
import { pageReply, parseId, readBody, type HandlerEnv, type RequestContext } from './context.js';

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

/** DRF IntegerField.to_internal_value: the integer, or its error message. */
function drfInteger(value: unknown): number | string {
  if (value === null) return 'This field may not be null.';
  if (typeof value !== 'number' && typeof value !== 'string') return 'A valid integer is required.';
  const text = String(value).trim().replace(/\.0*$/, '');
  if (!/^[+-]?\d+$/.test(text)) return 'A valid integer is required.';
  const n = Number(text);
  if (n > INT_MAX) return `Ensure this value is less than or equal to ${INT_MAX}.`;
  if (n < INT_MIN) return `Ensure this value is greater than or equal to ${INT_MIN}.`;
  return n;
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'object') return 'dict';
  return typeof value === 'number' ? (Number.isInteger(value) ? 'int' : 'float') : 'str';
}

function errors(entries: Array<[string, string]>, allow: string): Reply {
  return jsonReply(
    400,
    '{' + entries.map(([k, m]) => `${JSON.stringify(k)}:[${JSON.stringify(m)}]`).join(',') + '}',
    allow,
  );
}

function asObject(data: unknown, allow: string): Record<string, unknown> | Reply {
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) return data as Record<string, unknown>;
  return errors([['non_field_errors', `Invalid data. Expected a dictionary, but got ${typeName(data)}.`]], allow);
}

function created(result: CreateResult, ctx: RequestContext, allow: string): Reply | undefined {
  if ('json' in result) return jsonReply(201, result.json, allow);
  if (result.error === 'read-only') return methodNotAllowed(ctx.method, allow);
  return undefined;
}

/** GET list, or POST `{"run_number": N}`. */
export function runList(env: HandlerEnv, ctx: RequestContext): Reply {
  const allow = ALLOW.list;
  if (ctx.method === 'GET') {
    const query = runQuery(ctx.pairs, allow);
    return isReply(query) ? query : pageReply(env, ctx, env.data.runs.list(query), allow);
  }
  if (ctx.method !== 'POST' || env.data.readOnly) return methodNotAllowed(ctx.method, allow);
  const body = readBody(ctx, allow);
  if (isReply(body)) return body;
  const data = asObject(body.data, allow);
  if (isReply(data)) return data;
  if (!('run_number' in data)) return errors([['run_number', 'This field is required.']], allow);
  const runNumber = drfInteger(data.run_number);
  if (typeof runNumber === 'string') return errors([['run_number', runNumber]], allow);
  const result = env.data.runs.create(runNumber);
  return created(result, ctx, allow) ?? errors([['run_number', 'run with this run number already exists.']], allow);
}

/** GET one run by run number. */
export function runDetail(env: HandlerEnv, ctx: RequestContext, idText: string): Reply {
  if (ctx.method !== 'GET') return methodNotAllowed(ctx.method, ALLOW.detail);
  const runNumber = parseId(idText);
  const json = runNumber === undefined ? undefined : env.data.runs.get(runNumber);
  return json ? jsonReply(200, json, ALLOW.detail) : detailReply(404, 'Not found.', ALLOW.detail);
}

/** GET list, or POST `{"run": N, "ls_number": N}` (the run must exist). */
export function lumisectionList(env: HandlerEnv, ctx: RequestContext): Reply {
  const allow = ALLOW.list;
  if (ctx.method === 'GET') {
    const query = lumisectionQuery(ctx.pairs, allow);
    return isReply(query) ? query : pageReply(env, ctx, env.data.lumisections.list(query), allow);
  }
  if (ctx.method !== 'POST' || env.data.readOnly) return methodNotAllowed(ctx.method, allow);
  const body = readBody(ctx, allow);
  if (isReply(body)) return body;
  const data = asObject(body.data, allow);
  if (isReply(data)) return data;
  const problems: Array<[string, string]> = [];
  let run: number | undefined;
  if (!('run' in data)) problems.push(['run', 'This field is required.']);
  else if (data.run === null) problems.push(['run', 'This field may not be null.']);
  else if (typeof data.run !== 'number' && typeof data.run !== 'string')
    problems.push(['run', `Incorrect type. Expected pk value, received ${typeName(data.run)}.`]);
  else {
    const n = drfInteger(data.run);
    if (typeof n === 'string')
      problems.push(['run', `Incorrect type. Expected pk value, received ${typeName(data.run)}.`]);
    else if (!env.data.runs.get(n)) problems.push(['run', `Invalid pk "${String(data.run)}" - object does not exist.`]);
    else run = n;
  }
  let ls: number | undefined;
  if (!('ls_number' in data)) problems.push(['ls_number', 'This field is required.']);
  else {
    const n = drfInteger(data.ls_number);
    if (typeof n === 'string') problems.push(['ls_number', n]);
    else ls = n;
  }
  if (problems.length || run === undefined || ls === undefined) return errors(problems, allow);
  const result = env.data.lumisections.create(run, ls);
  return (
    created(result, ctx, allow) ??
    errors([['non_field_errors', 'The fields run, ls_number must make a unique set.']], allow)
  );
}

/** GET one lumisection by id (1-based, creation order). */
export function lumisectionDetail(env: HandlerEnv, ctx: RequestContext, idText: string): Reply {
  if (ctx.method !== 'GET') return methodNotAllowed(ctx.method, ALLOW.detail);
  const id = parseId(idText);
  const json = id === undefined ? undefined : env.data.lumisections.get(id);
  return json ? jsonReply(200, json, ALLOW.detail) : detailReply(404, 'Not found.', ALLOW.detail);
}
