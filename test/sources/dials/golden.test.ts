/**
 * Golden tests of the DIALS client's pure parts against the real captures (test/fixtures/dials/captures):
 * the request a slice becomes, the next page read from `next` (its token only, never its host), records
 * parsed into the transform with th2 y-outer shapes, and each error the API gives read into a clear one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeFilters } from '../../../src/domain.js';
import { type DqmExportError } from '../../../src/errors.js';
import type { ResponseFacts } from '../../../src/extract/http/response.js';
import { interpretDials } from '../../../src/sources/dials/errors.js';
import { planDialsSlices } from '../../../src/sources/dials/plan.js';
import { lumisectionScope, proofKind } from '../../../src/sources/dials/proof.js';
import { postgresRegexIssue } from '../../../src/postgres-regex.js';
import { naturalKey, PageSizer } from '../../../src/sources/dials/walk.js';
import { cursorPagination, pageNumberPagination } from '../../../src/sources/pagination.js';
import { toRecordBatches, transformSpecFor } from '../../../src/transform/index.js';
import { DIALS_FIXTURES, dialsRows } from '../../helpers/dials.js';
import { dataDigest } from '../../server/dials/replay.js';

interface Capture {
  request: { method: string; path_and_query: string };
  status: number;
  headers: Array<[string, string]>;
  body: unknown;
}

function capture(name: string): Capture {
  return JSON.parse(readFileSync(join(DIALS_FIXTURES, 'captures', name), 'utf8')) as Capture;
}

function facts(c: Capture): ResponseFacts {
  return {
    method: c.request.method,
    url: `http://dials${c.request.path_and_query}`,
    status: c.status,
    headers: Object.fromEntries(c.headers.map(([k, v]) => [k.toLowerCase(), v])),
    body: typeof c.body === 'string' ? c.body : JSON.stringify(c.body),
  };
}

function errorOf(name: string): DqmExportError {
  const r = interpretDials(facts(capture(name)), () => ['csc', 'tracker']);
  if (!r || r.action !== 'fail') throw new Error(`no failure for ${name}`);
  return r.error;
}

describe('requests', () => {
  it('a slice with filters builds the captured query (sorted keys, repeated order_by)', () => {
    const q = encodeFilters({ run_number: 380000, dataset_id: 14677060, ls_number__gte: 5, ls_number__lte: 7 });
    expect(q.toString()).toBe('dataset_id=14677060&ls_number__gte=5&ls_number__lte=7&run_number=380000');
    const ordered = encodeFilters({ order_by: ['-ls_number', 'run_number'] });
    expect(ordered.toString()).toBe('order_by=-ls_number&order_by=run_number');
  });

  it('follows only the next_token of `next` (capture 036 -> 037), never its host', () => {
    const page1 = capture('036_th1_page1.json');
    const next = (page1.body as { next: string }).next;
    expect(new URL(next).host).toBe('127.0.0.1:8010');
    const token = cursorPagination.after({ next, url: 'u' }, null)!;
    expect(capture('037_th1_page2_via_next.json').request.path_and_query).toContain(`next_token=${token}`);
    expect(cursorPagination.params(token)).toEqual({ next_token: token });
    expect(cursorPagination.after({ next: null, url: 'u' }, token)).toBeNull();
    expect(() => cursorPagination.after({ next: 'http://x/api/v1/th1/?page_size=3', url: 'u' }, null)).toThrow(
      /next_token/,
    );
  });

  it('page numbers: the page strategy counts while there is a next link', () => {
    expect(pageNumberPagination.params(null)).toEqual({});
    expect(pageNumberPagination.after({ next: '/api/runs/?page=2', url: 'u' }, null)).toBe(2);
    expect(pageNumberPagination.params(2)).toEqual({ page: '2' });
    expect(pageNumberPagination.after({ next: null, url: 'u' }, 2)).toBeNull();
  });

  it('plans per run, run range, dataset and ME as plain data', () => {
    const runs = [380000, 380001, 380002].flatMap((r) => [
      { dataset_id: 14677060, run_number: r },
      { dataset_id: 14677081, run_number: r },
    ]);
    expect(
      planDialsSlices('th1', { run_number__gte: 380000 }, { by: 'run' }, { runs }).map((s) => [s.key, s.filters]),
    ).toEqual([
      ['run=380000', { run_number: 380000 }],
      ['run=380001', { run_number: 380001 }],
      ['run=380002', { run_number: 380002 }],
    ]);
    expect(planDialsSlices('th2', {}, { by: 'run-range', size: 2 }, { runs }).map((s) => s.filters)).toEqual([
      { run_number__gte: 380000, run_number__lte: 380001 },
      { run_number__gte: 380002, run_number__lte: 380002 },
    ]);
    expect(planDialsSlices('th1', {}, { by: 'dataset' }, { runs }).map((s) => s.key)).toEqual([
      'dataset=14677060',
      'dataset=14677081',
    ]);
    expect(
      planDialsSlices('th2', { me__regex: 'PXLayer' }, { by: 'me' }, { mes: [4, 3] }).map((s) => s.filters),
    ).toEqual([
      { me__regex: 'PXLayer', me_id: 3 },
      { me__regex: 'PXLayer', me_id: 4 },
    ]);
  });

  it('names the proof a slice can have', () => {
    expect(proofKind('th1', { run_number: 380000, dataset_id: 1 })).toBe('lumisection-counts');
    expect(proofKind('th2', { me_id: 3 })).toBe('cursor-end');
    expect(proofKind('run', {})).toBe('count-endpoint');
    expect(proofKind('mes', {})).toBe('single-response');
    expect(lumisectionScope({ run_number__gte: 1, order_by: ['-run_number'] })).toEqual({ run_number__gte: 1 });
  });

  it('halves the page size on gateway timeouts down to 10 and grows it back after fast pages', () => {
    const s = new PageSizer(100);
    expect([
      s.shrink(),
      s.current,
      s.shrink(),
      s.current,
      s.shrink(),
      s.current,
      s.shrink(),
      s.shrink(),
      s.current,
    ]).toEqual([true, 50, true, 25, true, 12, true, false, 10]);
    s.observe(100);
    expect(s.current).toBe(20);
    s.observe(60_000);
    expect(s.current).toBe(20);
  });
});

describe('records', () => {
  it('th2 72 x 56 (capture 056) is y-outer: 56 rows of 72, kept as data[iy][ix] and as a [56, 72] tensor', () => {
    const captured = capture('056_th2_detail_found_72x56.json').body as { x_bin: number; y_bin: number; data: unknown };
    // The fixture keeps each capture's data as a digest; the rows file holds the data itself.
    const fixtureRow = dialsRows().th2.find((r) => r[0] === 14677060 && r[1] === 380000 && r[2] === 3 && r[3] === 3)!;
    expect(dataDigest(fixtureRow[12]!)).toEqual(captured.data);
    const record = { ...captured, data: fixtureRow[12]! };
    expect([record.x_bin, record.y_bin, record.data.length, record.data[0].length]).toEqual([72, 56, 56, 72]);
    expect(naturalKey('th2', record, 'u')).toEqual([14677060, 380000, 3, 3]);
    const nested = toRecordBatches([record], transformSpecFor('th2'));
    expect(nested.rejects).toEqual([]);
    const row = nested.batches[0].get(0)!.toJSON() as { data: { toArray(): unknown[] } };
    const rows = [...(row.data as unknown as Iterable<{ toArray(): ArrayLike<number> }>)].map((r) =>
      Array.from(r.toArray()),
    );
    expect(rows).toEqual(record.data);
    const tensor = toRecordBatches([record], transformSpecFor('th2', { layout: 'tensor' }));
    expect(
      tensor.batches[0].schema.fields.find((f) => f.name === 'data')!.metadata.get('ARROW:extension:metadata'),
    ).toBe('{"shape":[56,72]}');
  });

  it('th1 records (capture 003) keep the DIALS field names', () => {
    const page = capture('003_th1_list_default.json').body as { results: Array<Record<string, unknown>> };
    const rows = dialsRows().th1;
    const records = page.results.map((r) => {
      const row = rows.find(
        (x) => x[0] === r.dataset_id && x[1] === r.run_number && x[2] === r.ls_number && x[3] === r.me_id,
      )!;
      expect(dataDigest(row[9])).toEqual(r.data);
      return { ...r, data: row[9] };
    });
    const { batches, rejects } = toRecordBatches(records, transformSpecFor('th1'));
    expect(rejects).toEqual([]);
    expect(batches[0].schema.fields.map((f) => f.name)).toEqual(Object.keys(page.results[0]));
  });
});

describe('errors', () => {
  it.each([
    ['094_auth_missing.json', 'E_DIALS_NO_CREDENTIALS', /dqm-export login dials/],
    ['097_auth_malformed_jwt.json', 'E_DIALS_TOKEN_INVALID', /malformed, unknown or revoked/],
    ['100_auth_wrong_audience.json', 'E_DIALS_TOKEN_AUDIENCE', /wrong audience/],
    ['101_auth_bad_signature.json', 'E_DIALS_TOKEN_SIGNATURE', /signature/],
  ])('403 %s -> %s', (name, code, message) => {
    const err = errorOf(name);
    expect(err.code).toBe(code);
    expect(err.kind).toBe('auth');
    expect(err.message).toMatch(message);
  });

  it('an unknown workspace names the valid ones', () => {
    const err = errorOf('115_ws_header_unknown.json');
    expect(err.code).toBe('E_DIALS_WORKSPACE');
    expect(err.message).toContain("Workspace 'x' not found");
    expect(err.message).toContain('valid workspaces: csc, tracker');
  });

  it('an invalid cursor and bad filter values are named', () => {
    expect(errorOf('040_th1_invalid_next_token.json').code).toBe('E_DIALS_CURSOR');
    const bad = errorOf('026_th1_bad_multiple.json');
    expect(bad.code).toBe('E_DIALS_BAD_FILTER');
    expect(bad.message).toMatch(/run_number: Enter a number/);
  });

  it('PostgreSQL regexes are checked before the request (capture 016 is the 500 they avoid)', () => {
    expect(decodeURIComponent(capture('016_th1_me_regex_invalid.json').request.path_and_query.split('=')[1])).toBe(
      '([',
    );
    expect(postgresRegexIssue('([')).toMatch(/not a valid PostgreSQL regular expression/);
    expect(postgresRegexIssue('charge_PXLayer_.*')).toBeNull();
    expect(postgresRegexIssue('ZeroBias.*/380/00[24]/')).toBeNull();
    expect(postgresRegexIssue('^PXLayer\\.x[[:digit:]]+\\y')).toBeNull();
    expect(postgresRegexIssue('(?<name>a)')).toMatch(/named groups/);
    expect(postgresRegexIssue('a{')).not.toBeNull();
  });
});
