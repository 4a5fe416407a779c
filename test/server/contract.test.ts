/**
 * The captures of the real DQM Playground are the contract: this file replays every one of them, in
 * order, against a local server that goes through the same history (empty data directory, files
 * appear, discover, start_parsing, POSTed runs, deletions), and compares status, headers and body.
 * Histogram lists are unordered on the real server, so multi-page lists are compared record by
 * record against our details; single-page results as sets, bin for bin.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/server/index.js';
import { SAMPLE_DATA_DIR } from '../../src/version.js';
import { apiRequest, withServer, type ApiResponse, type As } from '../helpers/server.js';
import { loadCaptures, normalise, type Capture } from './captures.js';

// Long enough that a cache hit the captures expect (07 -> 11, 12 -> 13) is still live under load;
// capture 120 waits for it to run out.
const CACHE_SECONDS = 5;
const captures = loadCaptures();
const root = mkdtempSync(join(tmpdir(), 'dqm-contract-'));
let server: RunningServer;
let firstListAt = 0;

// Failed parses, as the server logs them: a promise per file id, settled by the log line.
const failures = new Map<number, { promise: Promise<void>; resolve: () => void }>();
function failure(id: number): { promise: Promise<void>; resolve: () => void } {
  let entry = failures.get(id);
  if (!entry) {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    entry = { promise, resolve };
    failures.set(id, entry);
  }
  return entry;
}
const failedParse = (id: number): Promise<void> => failure(id).promise;
const logger = pino(
  { level: 'warn' },
  {
    write: (line: string) => {
      const entry = JSON.parse(line) as { msg?: string; id?: number };
      if (entry.msg === 'parsing failed; the file stays incomplete' && entry.id !== undefined)
        failure(entry.id).resolve();
    },
  },
);

beforeAll(async () => {
  mkdirSync(join(root, 'csv'));
  mkdirSync(join(root, 'csv_bad'));
  server = await withServer({
    dataDirs: [root],
    manual: true,
    adminToken: 'ADMIN_TOKEN',
    userToken: 'USER_TOKEN',
    dataFileCacheSeconds: CACHE_SECONDS,
    logger,
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

/** The files of the capture session appear (after capture 07 saw none). */
function copyDataFiles(): void {
  for (const name of [
    'ZeroBias_2018A_DataFrame_1D_2.csv',
    'ZeroBias_2018A_DataFrame_1D_synthetic.csv',
    'ZeroBias_2018A_DataFrame_2D_synthetic.csv',
  ]) {
    copyFileSync(join(SAMPLE_DATA_DIR, name), join(root, 'csv', name));
  }
  copyFileSync(
    join(SAMPLE_DATA_DIR, 'ZeroBias_2018A_DataFrame_1D_2.csv'),
    join(root, 'csv_bad', 'ZeroBias_2018A_DataFrame_1D_2_copy_parsed_as_2D.csv'),
  );
}

let poll = 0;
async function dataFile(id: number): Promise<{ entries_total: number; entries_processed: number }> {
  // A fresh query string each time: the detail is cached like the list.
  const res = await apiRequest(server, `/api/histogram_data_files/${id}/?_=poll${poll++}`);
  return res.json as { entries_total: number; entries_processed: number };
}

/** Waits until file `id` is parsed (ids then follow the file order, as in the captures); the test timeout bounds it. */
async function waitParsed(id: number): Promise<void> {
  for (;;) {
    const f = await dataFile(id);
    if (f.entries_total > 0 && f.entries_processed === f.entries_total) return;
    await sleep(20);
  }
}

/** File 4 (the 1D file parsed as 2D) fails at once; the server's log line says when it has stopped. */
function waitFailed(id: number): Promise<void> {
  return failedParse(id);
}

/** The 59 runs the capture session also POSTed (315252..315842 step 10; 315252 itself is capture 40). */
async function postOtherRuns(): Promise<void> {
  for (let run = 315262; run <= 315842; run += 10)
    expect((await apiRequest(server, '/api/runs/', { method: 'POST', body: { run_number: run } })).status).toBe(201);
}

const before: Record<number, () => Promise<void> | void> = {
  8: copyDataFiles,
  31: () => waitParsed(1),
  32: () => waitParsed(2),
  33: () => waitParsed(3),
  34: () => waitFailed(4),
  42: postOtherRuns,
  // 120 asks for the URL of 07 and 11 again; on the real server the 60 s cache had expired by then.
  120: () => sleep(Math.max(0, firstListAt + CACHE_SECONDS * 1000 + 200 - Date.now())),
};

function who(auth: string | null): As {
  if (auth === null) return 'none';
  if (auth === 'admin') return 'admin';
  if (auth === 'user(non-admin)') return 'user';
  return { header: auth };
}

function send(c: Capture): Promise<ApiResponse> {
  const { method, path, auth, headers, body } = c.request;
  return apiRequest(server, path, {
    as: who(auth),
    method,
    body: body ?? undefined,
    contentType: headers['Content-Type'],
  });
}

/** `Expires` of the last cached reply per URL: a cache hit carries the one of the reply it repeats. */
const expiresOf = new Map<string, string>();

/**
 * A fresh cached reply expires exactly the TTL after its `Date`; a hit (as on the real server:
 * capture 11 is dated 54 s before its `Expires`) repeats the stored `Expires` under a later `Date`.
 */
function expectExpires(c: Capture, res: ApiResponse): void {
  const expires = String(res.headers.expires);
  const gap = Date.parse(expires) - Date.parse(String(res.headers.date));
  if (expiresOf.get(c.request.path) === expires) {
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(gap).toBeLessThanOrEqual(CACHE_SECONDS * 1000);
  } else expect(gap).toBe(CACHE_SECONDS * 1000);
  expiresOf.set(c.request.path, expires);
}

function expectHeaders(c: Capture, res: ApiResponse): void {
  const ours = res.headers;
  for (const [name, value] of c.headers) {
    const key = name.toLowerCase();
    if (['date', 'server', 'content-length'].includes(key)) continue;
    expect(ours[key], `header ${name}`).toBeDefined();
    if (key === 'expires') expectExpires(c, res);
    else if (key === 'cache-control') expect(ours[key]).toBe(`max-age=${CACHE_SECONDS}`);
    else expect(ours[key], `header ${name}`).toBe(value);
  }
  const names = new Set(c.headers.map(([n]) => n.toLowerCase()));
  for (const key of ['www-authenticate', 'expires', 'cache-control', 'location']) {
    if (!names.has(key)) expect(ours[key], `unexpected header ${key}`).toBeUndefined();
  }
}

type Page = { total: number; per_page: number; results: Array<Record<string, unknown>> } & Record<string, unknown>;
const keyOf = (h: Record<string, unknown>): string => `${h.run}/${h.lumisection}/${h.title}`;

async function expectHistogramPage(c: Capture, res: ApiResponse): Promise<void> {
  const ours = res.json as Page;
  const theirs = c.body as Page;
  expect(Object.keys(ours)).toEqual(Object.keys(theirs));
  for (const k of ['next', 'previous', 'total', 'per_page', 'total_pages']) expect(ours[k], k).toEqual(theirs[k]);
  expect(ours.results).toHaveLength(theirs.results.length);
  if (theirs.total <= theirs.per_page) {
    // The whole result set: same records (matched on run, LS, title), bin for bin, and the same bytes.
    const mine = new Map(ours.results.map((h) => [keyOf(h), h]));
    for (const h of theirs.results) expect(mine.get(keyOf(h)), keyOf(h)).toEqual(h);
    expect(Buffer.byteLength(res.text)).toBe(c.body_bytes);
    return;
  }
  // One page of an unordered list: every record the real server returned equals our record with that id.
  const base = c.request.path.split('?')[0];
  for (const h of theirs.results) expect((await apiRequest(server, `${base}${h.id}/`)).json, `id ${h.id}`).toEqual(h);
}

function isHistogramList(c: Capture): boolean {
  return (
    c.request.method === 'GET' &&
    /^\/api\/lumisection_histograms_[12]d\/(\?|$)/.test(c.request.path) &&
    c.status === 200
  );
}

describe('replay of the real server captures', () => {
  it('has the captures', () => expect(captures.length).toBeGreaterThan(90));

  for (const c of captures) {
    it(`${c.file}: ${c.request.method} ${c.request.path} -> ${c.status}`, async () => {
      await before[c.index]?.();
      const res = await send(c);
      if (c.index === 7) firstListAt = Date.now();
      expect(res.status, res.text.slice(0, 200)).toBe(c.status);
      expectHeaders(c, res);
      if (c.body_kind === 'text') expect(res.text).toBe(c.body);
      else if (c.body === null) expect(res.text).toBe('');
      else if (c.request.method === 'OPTIONS') {
        const { name, description, renders, parses } = c.body as Record<string, unknown>;
        expect(res.json).toMatchObject({ name, description, renders, parses });
      } else if (isHistogramList(c)) await expectHistogramPage(c, res);
      else if (c.request.path === '/api/') {
        // The API root lists absolute URLs built from the Host header.
        const expected = JSON.parse(JSON.stringify(c.body).replaceAll('http://127.0.0.1:8000', server.url));
        expect(res.json).toEqual(expected);
        expect(Object.keys(res.json as object)).toEqual(Object.keys(expected));
      } else {
        expect(normalise(res.json, root)).toEqual(normalise(c.body));
        if (!res.text.includes('"filepath"')) expect(Buffer.byteLength(res.text), 'body bytes').toBe(c.body_bytes);
      }
    });
  }
});
