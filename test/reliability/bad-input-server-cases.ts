/**
 * The bad-input table, part 2: what only shows at run time. Output directories that cannot take a
 * dataset (existing, foreign, a file, read-only), and server answers that are not what a DQM
 * Playground list should be: HTML error pages, auth failures, NaN and strings in `data`, wrong bin
 * counts, tensors whose shape changes, short or overfull pages, empty results, partition values
 * with `/` and `..`, and one huge page. Failures exit 1 with nothing committed; rejected records
 * exit 3 with a complete dataset and the rejects listed; harmless oddities exit 0.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { expect } from 'vitest';
import { sqlString } from '../helpers/duckdb.js';
import { variant, type BadInputCase } from './bad-input-cases.js';
import { duck, listFiles } from './helpers.js';
import { envelope, histogram1d, histogram2d, type ScriptedReply } from './scripted-server.js';

const LIST_PATH = '/api/lumisection_histograms_1d/';
const NOT_FOUND: ScriptedReply = {
  status: 404,
  body: '<html><head><title>Not Found</title></head><body>Not Found</body></html>',
  headers: { 'Content-Type': 'text/html' },
};

// The run and its lumisections, for the extractor's repair (it narrows a short scope by run and LS).
const RUNS = envelope([{ run_number: 315705, date: '2018-04-20T00:00:00Z' }]);
const LUMISECTIONS = envelope([1, 2, 3].map((ls) => ({ run: 315705, ls_number: ls, date: '2018-04-20T00:00:00Z' })));

/** A scripted server answering `reply` for page 1 of the 1D list (plus the run list) and 404 for anything else. */
function listing(reply: ScriptedReply | (() => ScriptedReply)): (req: IncomingMessage, url: URL) => ScriptedReply {
  return (_req, url) => {
    if (url.pathname === '/api/runs/') return { status: 200, body: RUNS };
    if (url.pathname === '/api/lumisections/') return { status: 200, body: LUMISECTIONS };
    if (url.pathname !== LIST_PATH) return NOT_FOUND;
    if ((url.searchParams.get('page') ?? '1') !== '1') return { status: 404, body: '{"detail": "Invalid page."}' };
    return typeof reply === 'function' ? reply() : reply;
  };
}

/** A page of `records` (total = their number unless given). */
const page = (records: unknown[], total?: number): ScriptedReply => ({ status: 200, body: envelope(records, total) });

const THREE = [histogram1d(1), histogram1d(2), histogram1d(3)];

async function rejectsOf(dir: string): Promise<{ id: number | null; field?: string; reason: string }[]> {
  const text = await readFile(join(dir, 'out', 'h1d', '.dqm-export', 'rejects.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function rowsOf(dir: string): Promise<number> {
  const { rows } = await duck(
    `SELECT count(*) AS n FROM read_parquet(${sqlString(join(dir, 'out', 'h1d', '**', '*.parquet'))})`,
  );
  return Number(rows[0].n);
}

/** An exported dataset with one rejected record (the second), its reason naming `field` (or an element of it). */
function oneReject(field: string): BadInputCase['check'] {
  return async ({ dir }) => {
    const rejects = await rejectsOf(dir);
    expect(rejects.map((r) => r.id)).toEqual([2]);
    expect(rejects[0].field).toMatch(new RegExp(`^${field}(\\[|$)`));
    expect(await rowsOf(dir)).toBe(2);
  };
}

/** Makes `dir` unwritable: mode 0555 for a normal user; for root (whom modes do not stop), the immutable attribute. */
async function makeReadOnly(dir: string): Promise<() => Promise<void>> {
  if (process.getuid?.() !== 0) {
    await chmod(dir, 0o555);
    return () => chmod(dir, 0o755);
  }
  execFileSync('chattr', ['+i', dir]);
  return async () => void execFileSync('chattr', ['-i', dir]);
}

// One huge page: 40 histograms of 50 000 bins, about 12 MB of JSON.
const HUGE_BINS = 50_000;
let hugeBody: string | undefined;
function hugePage(): ScriptedReply {
  hugeBody ??= envelope(
    Array.from({ length: 40 }, (_, i) =>
      histogram1d(i + 1, {
        x_bin: HUGE_BINS,
        data: Array.from({ length: HUGE_BINS }, (_, b) => ((i * 31 + b) % 1000) + 0.25),
      }),
    ),
  );
  return { status: 200, body: hugeBody };
}

const TITLES = ['a/b', '../../escape', '..', '.hidden', 'x%2Fy'];

/** Output directories, server answers and records that only show at run time. */
export const RUN_CASES: BadInputCase[] = [
  // Output directories
  {
    name: 'an output directory that is not empty (mode error)',
    server: 'sample',
    setup: async ({ dir }) => {
      await mkdir(join(dir, 'out', 'h1d'), { recursive: true });
      await writeFile(join(dir, 'out', 'h1d', 'notes.txt'), 'mine\n');
    },
    code: 'E_OUTPUT_EXISTS',
    exit: 2,
    mentions: ['out/h1d', 'not empty'],
    output: 'untouched',
  },
  {
    name: 'overwriting a directory dqm-export did not write',
    server: 'sample',
    pipeline: variant('mode: error', 'mode: overwrite'),
    setup: async ({ dir }) => {
      await mkdir(join(dir, 'out', 'h1d'), { recursive: true });
      await writeFile(join(dir, 'out', 'h1d', 'thesis.tex'), 'precious\n');
    },
    code: 'E_OUTPUT_FOREIGN',
    exit: 2,
    mentions: ['refusing to overwrite'],
    output: 'untouched',
  },
  {
    name: 'an output path through a regular file',
    server: 'sample',
    setup: async ({ dir }) => writeFile(join(dir, 'out'), 'a file, not a directory\n'),
    code: 'E_FS_ENOTDIR',
    exit: 1,
    mentions: ['out/h1d'],
    output: 'untouched',
  },
  {
    name: 'a read-only output directory',
    server: 'sample',
    setup: async ({ dir }) => {
      await mkdir(join(dir, 'out'));
      return makeReadOnly(join(dir, 'out'));
    },
    code: /^E_FS_(EACCES|EPERM)$/,
    exit: 1,
    mentions: ['out/h1d'],
    output: 'untouched',
  },
  // HTTP-level failures
  {
    name: 'an HTML page with status 200',
    server: listing({
      status: 200,
      body: '<!DOCTYPE html><html><title>Login</title></html>',
      headers: { 'Content-Type': 'text/html' },
    }),
    code: 'E_BAD_BODY',
    exit: 1,
    mentions: ['unparsable JSON', LIST_PATH],
  },
  {
    name: 'an HTML 500 page',
    server: listing({
      status: 500,
      body: '<html><head><title>Server Error (500)</title></head><body><h1>Server Error (500)</h1></body></html>',
      headers: { 'Content-Type': 'text/html' },
    }),
    code: 'E_HTTP_500',
    exit: 1,
    mentions: ['HTML page "Server Error (500)"', 'after 2 attempts'],
  },
  {
    name: 'an unknown API path (404 HTML)',
    server: 'sample',
    pipeline: variant('url: ${DQM_PLAYGROUND_URL}', 'url: ${DQM_PLAYGROUND_URL}/nope'),
    code: 'E_HTTP_404',
    exit: 1,
    mentions: ['/nope/api/', 'HTML page'],
  },
  {
    name: 'a rejected filter value (400)',
    server: listing({ status: 400, body: '{"entries__gte": ["Enter a number."]}' }),
    code: 'E_HTTP_400',
    exit: 1,
    mentions: ['entries__gte: Enter a number.'],
  },
  {
    name: 'a wrong token (401)',
    server: 'sample',
    token: 'not-the-right-token-1234',
    code: 'E_AUTH_UNAUTHORIZED',
    exit: 1,
    mentions: ['Invalid token.', 'DQM_PLAYGROUND_TOKEN'],
  },
  {
    name: 'a forbidden list (403)',
    server: listing({ status: 403, body: '{"detail": "You do not have permission to perform this action."}' }),
    code: 'E_AUTH_FORBIDDEN',
    exit: 1,
    mentions: ['permission'],
  },
  // Bodies that are not a list envelope
  {
    name: 'NaN in data (Python json)',
    server: listing({ status: 200, body: envelope(THREE).replace('"data":[1,2,3,4]', '"data":[NaN,2,3,4]') }),
    code: 'E_BAD_BODY',
    exit: 1,
    mentions: ['unparsable JSON'],
  },
  {
    name: 'an envelope without results',
    server: listing({ status: 200, body: '{"detail": "ok"}' }),
    code: 'E_BAD_RESPONSE',
    exit: 1,
    mentions: ['results'],
  },
  {
    name: 'a bare array',
    server: listing({ status: 200, body: JSON.stringify(THREE) }),
    code: 'E_BAD_RESPONSE',
    exit: 1,
    mentions: ['results'],
  },
  // The narrower scopes (this server ignores filters) do not add up either: the data is inconsistent.
  {
    name: 'fewer records than the total says',
    server: listing(page(THREE, 10)),
    code: 'E_DATA_CHANGED',
    exit: 1,
    mentions: ['server total 10, got 3 distinct records'],
  },
  // Records that break the shape rules
  {
    name: 'a tensor whose shape changes',
    server: listing(page([histogram1d(1), histogram1d(2, { x_bin: 5, data: [1.0, 2.0, 3.0, 4.0, 5.0] })])),
    pipeline: variant('slice: {by: none}', 'slice: {by: none}\n    transform: {layout: tensor}'),
    code: 'E_SHAPE_CHANGE',
    exit: 1,
    mentions: ['tensor shape [5]', '[4]'],
  },
  {
    name: 'a wrong bin count (strict)',
    server: listing(page([histogram1d(1), histogram1d(2, { data: [1.0, 2.0, 3.0] })])),
    pipeline: variant('slice: {by: none}', 'slice: {by: none}\n    transform: {strict: true}'),
    code: 'E_RECORD_INVALID',
    exit: 1,
    mentions: ['id=2', 'data'],
  },
  {
    name: 'a string in data (strict)',
    server: listing(page([histogram1d(1), histogram1d(2, { data: [1.0, 'two', 3.0, 4.0] })])),
    pipeline: variant('slice: {by: none}', 'slice: {by: none}\n    transform: {strict: true}'),
    code: 'E_RECORD_INVALID',
    exit: 1,
    mentions: ['id=2', 'two'],
  },
  {
    name: 'a wrong bin count',
    server: listing(page([histogram1d(1), histogram1d(2, { data: [1.0, 2.0, 3.0] }), histogram1d(3)])),
    code: null,
    exit: 3,
    check: oneReject('data'),
  },
  {
    name: 'a string in data',
    server: listing(page([histogram1d(1), histogram1d(2, { data: [1.0, 'two', 3.0, 4.0] }), histogram1d(3)])),
    code: null,
    exit: 3,
    check: oneReject('data'),
  },
  {
    name: 'null in data',
    server: listing(page([histogram1d(1), histogram1d(2, { data: [1.0, null, 3.0, 4.0] }), histogram1d(3)])),
    code: null,
    exit: 3,
    check: oneReject('data'),
  },
  {
    name: 'a run number as text',
    server: listing(page([histogram1d(1), histogram1d(2, { run: '315705' }), histogram1d(3)])),
    code: null,
    exit: 3,
    check: oneReject('run'),
  },
  {
    name: '2D bins in a 1D list',
    server: listing(page([histogram1d(1), { ...histogram2d(2, 2, 2), x_bin: 2 }, histogram1d(3)])),
    code: null,
    exit: 3,
    check: oneReject('data'),
  },
  // Harmless oddities: the export must succeed and be right
  {
    name: 'an empty result',
    server: listing(page([])),
    code: null,
    exit: 0,
    check: async ({ dir }) => {
      const manifest = JSON.parse(await readFile(join(dir, 'out', 'h1d', '.dqm-export', 'manifest.json'), 'utf8')) as {
        rows: number;
        files: unknown[];
      };
      expect([manifest.rows, manifest.files.length]).toEqual([0, 0]);
    },
  },
  {
    name: 'partition values with / and ..',
    server: listing(page(TITLES.map((title, i) => histogram1d(i + 1, { title })))),
    pipeline: variant('mode: error}', 'mode: error, partition_by: [title]}'),
    code: null,
    exit: 0,
    check: async ({ dir }) => {
      // Nothing outside out/h1d, every value its own directory, and DuckDB reads the values back.
      expect((await listFiles(dir)).filter((p) => p !== 'p.yaml' && !p.startsWith('out/h1d/'))).toEqual([]);
      const dirs = new Set(
        (await listFiles(join(dir, 'out', 'h1d'))).filter((p) => p.endsWith('.parquet')).map((p) => p.split('/')[0]),
      );
      expect(dirs.size).toBe(TITLES.length);
      for (const d of dirs) expect(d).toMatch(/^title=[^/]+$/);
      const { rows } = await duck(
        `SELECT DISTINCT title FROM read_parquet(${sqlString(join(dir, 'out', 'h1d', '**', '*.parquet'))}, hive_partitioning = true) ORDER BY 1`,
      );
      expect(rows.map((r) => r.title)).toEqual([...TITLES].sort());
    },
  },
  {
    name: 'a huge page (40 histograms of 50 000 bins, 12 MB)',
    server: listing(hugePage),
    code: null,
    exit: 0,
    check: async ({ dir }) => {
      const { rows } = await duck(
        `SELECT count(*) AS n, min(len(data)) AS lo, max(len(data)) AS hi FROM read_parquet(${sqlString(join(dir, 'out', 'h1d', '**', '*.parquet'))})`,
      );
      expect(rows.map((r) => [Number(r.n), Number(r.lo), Number(r.hi)])).toEqual([[40, HUGE_BINS, HUGE_BINS]]);
    },
  },
];
