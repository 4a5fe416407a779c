/**
 * Replays a DIALS capture (test/fixtures/dials/captures) against a local server and returns what
 * differs: status, the headers DIALS clients read (Content-Type, Vary, Allow, Location, the cache
 * pair), the body (JSON compared in key order, with `data` arrays reduced to the captures' digest
 * and the capture host mapped to the local one; HTML compared without its random trailing comment)
 * and, for JSON, the byte length.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { DIALS_FIXTURES } from '../../helpers/dials.js';

/** One stored capture. */
export interface DialsCapture {
  file: string;
  request: { method: string; path_and_query: string; headers: Record<string, string>; auth_kind: string | null };
  status: number;
  headers: Array<[string, string]>;
  body: unknown;
  body_bytes: number;
  note?: string;
}

/** Every capture, in file order. */
export function loadDialsCaptures(): DialsCapture[] {
  const dir = join(DIALS_FIXTURES, 'captures');
  return readdirSync(dir)
    .filter((f) => /^\d{3}_.*\.json$/.test(f))
    .sort()
    .map((file) => ({ file, ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<DialsCapture, 'file'>) }));
}

/** The digest the fixture captures keep instead of a `data` array. */
export function dataDigest(data: unknown[]): { $sha256: string; $len: number } {
  return { $sha256: createHash('sha256').update(JSON.stringify(data)).digest('hex').slice(0, 16), $len: data.length };
}

function digestData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(digestData);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === 'data' && Array.isArray(v) ? dataDigest(v) : digestData(v)]),
    );
  }
  return value;
}

const CAPTURE_ORIGIN = /^http:\/\/127\.0\.0\.1:8010/;
const COMPARED_HEADERS = ['content-type', 'vary', 'allow', 'location', 'cache-control'];

/** The local response to a capture's request. */
export async function replay(
  c: DialsCapture,
  base: string,
): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.request.headers))
    if (!(k === 'Authorization' && v === 'NONE')) headers[k.toLowerCase()] = v;
  const res = await request(base + c.request.path_and_query, { method: c.request.method as 'GET', headers });
  const text = await res.body.text();
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) flat[k] = Array.isArray(v) ? v.join(', ') : (v ?? '');
  return { status: res.statusCode, headers: flat, text };
}

/** Differences between a capture and the local answer (empty: equal). `host` is the local `host:port`. */
export function compare(
  c: DialsCapture,
  got: { status: number; headers: Record<string, string>; text: string },
  host: string,
  options: { length?: boolean } = {},
): string[] {
  const diffs: string[] = [];
  if (got.status !== c.status) diffs.push(`status ${got.status} != ${c.status}`);
  const want = new Map(c.headers.map(([k, v]) => [k.toLowerCase(), v]));
  for (const h of COMPARED_HEADERS) {
    if (want.get(h) !== got.headers[h] && !(h === 'location' && want.get(h) === undefined))
      diffs.push(`header ${h}: ${got.headers[h]} != ${want.get(h)}`);
  }
  if (typeof c.body === 'string') {
    const strip = (s: string): string => s.replace(/<!--.*?-->$/s, '');
    if (strip(got.text) !== strip(c.body)) diffs.push(`html body differs: ${got.text.slice(0, 80)}`);
    return diffs;
  }
  if (c.body === null) return diffs;
  let body: unknown;
  try {
    body = JSON.parse(got.text);
  } catch {
    return [...diffs, `not JSON: ${got.text.slice(0, 80)}`];
  }
  const local = JSON.stringify(digestData(body)).replaceAll(`http://${host}`, 'http://127.0.0.1:8010');
  const expected = JSON.stringify(c.body).replace(CAPTURE_ORIGIN, 'http://127.0.0.1:8010');
  if (local !== expected) diffs.push(`body differs:\n  got  ${local.slice(0, 600)}\n  want ${expected.slice(0, 600)}`);
  // Links carry the local host: count its bytes as the capture's.
  const hostDelta = (got.text.split(`//${host}/`).length - 1) * (host.length - '127.0.0.1:8010'.length);
  const length = Buffer.byteLength(got.text) - hostDelta;
  if (options.length !== false && length !== c.body_bytes) diffs.push(`length ${length} != ${c.body_bytes}`);
  return diffs;
}
