/**
 * What every handler gets: the request (already authenticated), the data, the options. Plus the
 * two things several handlers share: rendering a page of a listing, and reading a request body as
 * DRF's parsers do.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { User } from '../auth.js';
import type { Tables } from '../../tables/index.js';
import { detailReply, jsonReply, type Reply } from '../http.js';
import type { Ingestor } from '../ingest.js';
import type { Listing } from '../../tables/model.js';
import type { ResolvedServerOptions } from '../options.js';
import { renderPage } from '../pagination.js';
import { randomPermutation, type Prng } from '../../tables/prng.js';
import { pythonJsonErrorMessage } from '../../tables/pyjson.js';

/** The server's data, CSV-backed or synthetic, plus the parser when it is CSV-backed. */
export interface ServerData extends Tables {
  /** Present for CSV data: discover and start_parsing work through it. */
  ingest?: Ingestor;
}

/** One authenticated request. */
export interface RequestContext {
  /** Upper-case method; HEAD is answered as GET. */
  method: string;
  /** Raw (percent-encoded) path, for next/previous links. */
  path: string;
  /** Decoded query pairs in order. */
  pairs: Array<[string, string]>;
  user: User;
  /** `Host` header, for the absolute URLs of the API root. */
  host: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Shared state of the handlers. */
export interface HandlerEnv {
  data: ServerData;
  options: ResolvedServerOptions;
  /** PRNG for `--shuffle` orders. */
  shuffle: Prng;
}

/** A page of `listing` as a 200 reply, or 404 "Invalid page.". `shuffled` lists get a random order per request. */
export function pageReply(
  env: HandlerEnv,
  ctx: RequestContext,
  listing: Listing,
  allow: string,
  shuffled = false,
): Reply {
  const order = shuffled && env.options.shuffle ? randomPermutation(env.shuffle, listing.total) : undefined;
  const body = renderPage(listing, ctx.path, ctx.pairs, {
    perPage: env.options.pageSize,
    envelope: env.options.envelope,
    order,
  });
  return body ? jsonReply(200, body, allow) : detailReply(404, 'Invalid page.', allow);
}

/**
 * The request body as DRF parses it: empty -> `{}`; JSON -> the value, or 400 "JSON parse error -
 * <CPython's message>"; a form -> its fields as strings; any other media type -> 415.
 */
export function readBody(ctx: RequestContext, allow: string): { data: unknown } | Reply {
  if (ctx.body.length === 0) return { data: {} };
  const type = (ctx.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(ctx.body);
  } catch {
    return detailReply(400, "JSON parse error - 'utf-8' codec can't decode the request body", allow);
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    const pyError = pythonJsonErrorMessage(text);
    if (pyError) return detailReply(400, `JSON parse error - ${pyError}`, allow);
    return { data: JSON.parse(text) };
  }
  if (type === 'application/x-www-form-urlencoded') return { data: Object.fromEntries(new URLSearchParams(text)) };
  return jsonReply(415, JSON.stringify({ detail: `Unsupported media type "${type}" in request.` }), allow);
}

/** An id from the URL as Django's integer lookup reads it (else "Not found."). */
export function parseId(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}
