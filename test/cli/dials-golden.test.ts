/**
 * Golden checks of the DIALS listings against the real captures (test/fixtures/dials/captures): for
 * each captured list request a `dials ... list` command maps to, the request the command sends equals
 * the captured one (same path, same parameters with the same values; only the order of different
 * keys may differ, repeated `order_by` keeps its order), and the records it prints equal the captured
 * response (bins compared by the captures' digest). The commands run in process (`main()`) against
 * `serve --api dials` over the captures' data; test/cli/dials-list.test.ts runs the built binary.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { firstRequestParams, planDialsList } from '../../src/cli/dials/list.js';
import { DIALS_VIEWS } from '../../src/cli/output/dials-views.js';
import type { RunningServer } from '../../src/server/index.js';
import { DIALS_FIXTURES, startDialsFixtureServer } from '../helpers/dials.js';
import { dataDigest } from '../server/dials/replay.js';
import { expectNoSecrets, runCli } from './harness.js';

const TOKEN = 'dials-golden-token-5f2e9a71c0';
let server: RunningServer;
let xdg: string;
const seen: string[] = [];

beforeAll(async () => {
  xdg = mkdtempSync(join(tmpdir(), 'dials-golden-'));
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'request' && entry.url) seen.push(entry.url);
      },
    },
  );
  server = await startDialsFixtureServer({ dialsToken: TOKEN, logger });
}, 240_000);

afterAll(async () => {
  await server?.close();
  rmSync(xdg, { recursive: true, force: true });
});

interface Capture {
  request: { path_and_query: string };
  body: unknown;
}

const capture = (name: string): Capture =>
  JSON.parse(readFileSync(join(DIALS_FIXTURES, 'captures', name), 'utf8')) as Capture;

/** Path and parameters as a server reads them: decoded, keys sorted, repeated keys in their order. */
function request(pathAndQuery: string): { path: string; params: [string, string][] } {
  const url = new URL(pathAndQuery, 'http://dials');
  const params = [...url.searchParams].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { path: url.pathname, params };
}

/** `data` arrays replaced by the captures' digest. */
function digested(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, k === 'data' && Array.isArray(v) ? dataDigest(v) : v]),
  );
}

const F4 = 'dataset_id,run_number,ls_number,me_id';
const ME = 'PixelPhase1/Tracks/PXBarrel/charge_PXLayer_1';

/**
 * Capture -> the command that sends its request; `trimmed`: the capture keeps only part of the body;
 * `ties`: records equal in the ordering field come in another order than PostgreSQL's (see
 * test/server/dials/contract.test.ts), so only the ordering field is compared.
 */
const CASES: { capture: string; args: string[]; trimmed?: boolean; ties?: string }[] = [
  { capture: '003_th1_list_default.json', args: ['th1'] },
  { capture: '004_th2_list_default.json', args: ['th2'] },
  { capture: '005_th1_dataset_id.json', args: ['th1', '-f', 'dataset_id=14677081', '--fields', F4] },
  { capture: '006_th1_run_number.json', args: ['th1', '-f', 'run_number=380002', '--fields', F4] },
  {
    capture: '007_th1_run_range.json',
    args: ['th1', '-f', 'run_number__gte=380001', '-f', 'run_number__lte=380002', '--limit', '500', '--fields', F4],
  },
  {
    capture: '008_th1_ls_range.json',
    args: [
      'th1',
      '-f',
      'run_number=380000',
      '-f',
      'dataset_id=14677060',
      '-f',
      'ls_number__gte=5',
      '-f',
      'ls_number__lte=7',
      '--fields',
      F4,
    ],
  },
  { capture: '009_th1_ls_exact.json', args: ['th1', '-f', 'ls_number=3', '--limit', '500', '--fields', F4] },
  { capture: '010_th1_me_exact.json', args: ['th1', '-f', `me=${ME}`, '--fields', `${F4},me`] },
  {
    capture: '011_th1_me_exact_partial_nomatch.json',
    args: ['th1', '-f', 'me=charge_PXLayer_1', '--fields', `${F4},me`],
  },
  { capture: '012_th1_me_regex.json', args: ['th1', '-f', 'me__regex=charge_PXLayer_.*', '--fields', `${F4},me`] },
  { capture: '013_th1_me_regex_unanchored.json', args: ['th1', '-f', 'me__regex=PXLayer', '--fields', `${F4},me`] },
  {
    capture: '014_th1_me_regex_anchored_nomatch.json',
    args: ['th1', '-f', 'me__regex=^PXLayer', '--fields', `${F4},me`],
  },
  { capture: '015_th1_me_regex_case.json', args: ['th1', '-f', 'me__regex=pxlayer', '--fields', `${F4},me`] },
  {
    capture: '017_th1_dataset_regex.json',
    args: ['th1', '-f', 'dataset__regex=StreamExpress', '--fields', 'dataset_id,dataset,run_number,ls_number,me_id'],
  },
  {
    capture: '018_th1_dataset_exact.json',
    args: [
      'th1',
      '-f',
      'dataset=/ZeroBias/Run2024B-PromptReco-v1/DQMIO',
      '--fields',
      'dataset_id,dataset,run_number,ls_number,me_id',
    ],
  },
  {
    capture: '019_th1_entries_gte.json',
    args: [
      'th1',
      '-f',
      'entries__gte=1000',
      '-f',
      'run_number=380000',
      '-f',
      'dataset_id=14677060',
      '--fields',
      `${F4},entries`,
    ],
  },
  {
    capture: '020_th1_logical_file_name_regex.json',
    args: [
      'th1',
      '-f',
      'logical_file_name__regex=StreamExpress.*380/003',
      '--fields',
      'dataset_id,file_id,run_number,ls_number,me_id',
    ],
  },
  {
    capture: '021_th1_file_id.json',
    args: ['th1', '-f', 'file_id=4263840070', '--fields', 'dataset_id,file_id,run_number,ls_number,me_id'],
  },
  {
    capture: '022_th1_combined_filters.json',
    args: [
      'th1',
      ...['dataset_id=14677060', `me=${ME}`, 'run_number__gte=380001', 'run_number__lte=380003'].flatMap((f) => [
        '-f',
        f,
      ]),
      ...['ls_number__gte=10', 'ls_number__lte=11', 'entries__gte=1'].flatMap((f) => ['-f', f]),
      '--fields',
      `${F4},entries`,
    ],
  },
  {
    capture: '023_th1_me_regex_and_me_id.json',
    args: ['th1', '-f', 'me__regex=PXLayer', '-f', 'me_id=2', '--fields', `${F4},me`],
  },
  {
    capture: '024_th2_filters.json',
    args: [
      'th2',
      '-f',
      'dataset_id=14677060',
      '-f',
      'run_number=380002',
      '-f',
      'ls_number=10',
      '-f',
      'me__regex=PXLayer_1',
    ],
  },
  { capture: '028_th1_page_size_1.json', args: ['th1', '--limit', '1', '--fields', F4] },
  { capture: '029_th1_page_size_10.json', args: ['th1', '--limit', '10', '--fields', F4] },
  { capture: '030_th1_page_size_500.json', args: ['th1', '--limit', '500', '--fields', F4] },
  { capture: '036_th1_page1.json', args: ['th1', '--limit', '3', '--fields', F4] },
  {
    capture: '041_th1_last_page.json',
    args: ['th1', '-f', 'dataset_id=14677081', '-f', 'run_number=380004', '-f', 'ls_number=30', '--limit', '1'],
  },
  { capture: '042_th1_fields.json', args: ['th1', '--fields', 'run_number,ls_number,me_id,entries', '--limit', '3'] },
  {
    capture: '046_th1_order_by_run_desc.json',
    args: ['th1', '-f', 'order_by=-run_number', '--limit', '3', '--fields', F4],
    ties: 'run_number',
  },
  {
    capture: '047_th1_order_by_multi.json',
    args: [
      'th1',
      ...['-ls_number', 'run_number', 'dataset_id', 'me_id'].flatMap((o) => ['-f', `order_by=${o}`]),
      '--limit',
      '3',
      '--fields',
      F4,
    ],
  },
  {
    capture: '048_th1_order_by_entries_desc.json',
    args: ['th1', '-f', 'order_by=-entries', '--limit', '3', '--fields', `${F4},entries`],
  },
  { capture: '060_run_list.json', args: ['runs'] },
  { capture: '061_run_list_filters.json', args: ['runs', '-f', 'dataset_id=14677081', '-f', 'run_number__gte=380003'] },
  {
    capture: '062_run_dataset_id_in.json',
    args: ['run', '-f', 'dataset_id__in=14677060,14677081', '-f', 'run_number=380000'],
  },
  { capture: '068_lumisection_list.json', args: ['lumisections'] },
  {
    capture: '069_lumisection_list_filters.json',
    args: ['lumisection', '-f', 'dataset_id=14677060', '-f', 'run_number=380003', '-f', 'ls_number__gte=28'],
  },
  { capture: '074_mes_list.json', args: ['mes'] },
  { capture: '075_mes_list_regex.json', args: ['mes', '-f', 'me__regex=PXBarrel'] },
  { capture: '076_mes_list_dim2.json', args: ['mes', '-f', 'dim=2'] },
  { capture: '077_mes_list_exact.json', args: ['mes', '-f', `me=${ME}`] },
  { capture: '083_file_index_list.json', args: ['files'] },
  { capture: '084_file_index_status.json', args: ['files', '-f', 'status=FINISHED', '-f', 'dataset_id=14677081'] },
  {
    capture: '085_file_index_lfn_regex.json',
    args: ['file-index', '-f', 'logical_file_name__regex=ZeroBias.*/380/00[24]/'],
  },
  { capture: '086_file_index_min_size.json', args: ['files', '-f', 'min_size=2000000000'] },
  { capture: '089_dataset_index_list.json', args: ['datasets'] },
  { capture: '090_dataset_index_regex.json', args: ['dataset-index', '-f', 'dataset__regex=Express'] },
  { capture: '093_dataset_index_fields.json', args: ['datasets', '--fields', 'dataset_id,dataset'] },
  {
    capture: '148_th2_page_size_500_timing_cold.json',
    args: ['th2', '--limit', '500', '--page-size', '500'],
    trimmed: true,
  },
  {
    capture: '151_th2_page_size_500_me4_only.json',
    args: ['th2', '-f', 'me_id=4', '--limit', '500', '--page-size', '500'],
    trimmed: true,
  },
  { capture: '152_th1_page_size_500_timing.json', args: ['th1', '--limit', '500'] },
];

describe('DIALS listings send the captured requests and print the captured records', () => {
  for (const c of CASES) {
    it(`${c.capture}: dials ${c.args.join(' ')}`, async () => {
      const expected = capture(c.capture);
      const [group, ...rest] = c.args;
      seen.length = 0;
      const r = await runCli(['dials', group, 'list', ...rest, '--format', 'json', '--url', server.url], {
        env: { DIALS_TOKEN: TOKEN, XDG_CONFIG_HOME: xdg, DIALS_URL: undefined },
      });
      expectNoSecrets(r, [TOKEN]);
      expect(r.code, r.stderr).toBe(0);
      const endpointPath = request(expected.request.path_and_query).path;
      await vi.waitFor(() => expect(seen.filter((u) => u.startsWith(endpointPath))).toHaveLength(1));
      // The workspace check comes first; then exactly the captured request.
      expect(seen[0]).toBe('/api/v1/auth/workspaces/');
      expect(request(seen.find((u) => u.startsWith(endpointPath))!)).toEqual(request(expected.request.path_and_query));
      const body = expected.body as { results?: unknown[] } | unknown[];
      const results = Array.isArray(body) ? body : body.results!;
      const printed = (JSON.parse(r.stdout) as Record<string, unknown>[]).map(digested);
      const field = c.ties;
      if (field)
        expect(printed.map((p) => p[field])).toEqual(results.map((x) => (x as Record<string, unknown>)[field]));
      else if (c.trimmed) expect(printed.slice(0, results.length)).toEqual(results);
      else expect(printed).toEqual(results);
    });
  }
});

describe('planDialsList (pure)', () => {
  const plan = (
    endpoint: Parameters<typeof planDialsList>[0],
    args: Parameters<typeof planDialsList>[2],
    tty = false,
  ) => planDialsList(endpoint, DIALS_VIEWS[endpoint], args, `dials ${endpoint} list`, tty);

  it('one page by default, page_size only for --limit and --all; mes never gets page_size', () => {
    expect(firstRequestParams(plan('run', {})).toString()).toBe('');
    expect(firstRequestParams(plan('run', { limit: 20 })).toString()).toBe('page_size=20');
    expect(firstRequestParams(plan('run', { all: true })).toString()).toBe('page_size=500');
    expect(firstRequestParams(plan('th2', { all: true })).toString()).toBe('page_size=100');
    expect(plan('th2', { limit: 250 }).mode).toEqual({ kind: 'limit', limit: 250, pageSize: 100 });
    expect(firstRequestParams(plan('mes', { all: true })).toString()).toBe('');
  });

  it('a table drops data; json keeps it; a walk adds the natural key to --fields and prints only what was asked', () => {
    expect(plan('th1', {}, true).requestFields).not.toContain('data');
    expect(plan('th1', { format: 'json' }, true).requestFields).toBeUndefined();
    expect(plan('run', {}, true).requestFields).toBeUndefined();
    const walk = plan('th1', { all: true, fields: 'entries' });
    expect(walk.requestFields).toEqual(['entries', 'dataset_id', 'run_number', 'ls_number', 'me_id']);
    expect(walk.outputFields).toEqual(['entries']);
    expect(plan('th1', { limit: 3, fields: 'entries' }).requestFields).toEqual(['entries']);
  });
});
