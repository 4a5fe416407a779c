/**
 * `files list|parse|wait|discover` in-process against a local server in manual mode (files are
 * registered at 0 % and parsed on request), on a private copy of the sample CSVs. The server keeps
 * its 60 s data-file cache, so every check after a parse also shows the CLI busts it.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistogramDataFile } from '../../src/domain.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { SAMPLE_DATA_DIR } from '../../src/version.js';
import { expectNoSecrets, NOWHERE, runCli, serverGet, type CliResult } from './harness.js';

const ADMIN = 'admin-token-files-0123456789';
const USER = 'user-token-files-0123456789';
const REAL_1D = 'ZeroBias_2018A_DataFrame_1D_2.csv';
const SYNTH_1D = 'ZeroBias_2018A_DataFrame_1D_synthetic.csv';
const SYNTH_2D = 'ZeroBias_2018A_DataFrame_2D_synthetic.csv';
let server: RunningServer;
let dataDir: string;
let ids: Record<string, number>;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'dqm-cli-files-'));
  for (const f of [REAL_1D, SYNTH_1D, SYNTH_2D]) copyFileSync(join(SAMPLE_DATA_DIR, f), join(dataDir, f));
  // A copy of the real 1D file under a name that says nothing about its dimensionality.
  copyFileSync(join(SAMPLE_DATA_DIR, REAL_1D), join(dataDir, 'unlabelled_copy.csv'));
  server = await startServer({
    port: 0,
    adminToken: ADMIN,
    userToken: USER,
    manual: true,
    dataDirs: [dataDir],
    parseDelayMs: 2,
  });
  const files = (await serverGet<{ results: HistogramDataFile[] }>(server.url, '/api/histogram_data_files/', ADMIN))
    .results;
  ids = Object.fromEntries(files.map((f) => [f.filepath.slice(f.filepath.lastIndexOf('/') + 1), f.id]));
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function cli(args: string[], token = USER, url?: string): Promise<CliResult> {
  const result = await runCli(args, { env: { DQM_PLAYGROUND_URL: url ?? server.url, DQM_PLAYGROUND_TOKEN: token } });
  expectNoSecrets(result, [ADMIN, USER]);
  return result;
}
/** The file as the server has it now (past its cache). */
const fresh = async (id: number): Promise<HistogramDataFile> =>
  serverGet<HistogramDataFile>(server.url, `/api/histogram_data_files/${id}/?_=${Date.now()}-${Math.random()}`, ADMIN);
const jsonl = <T>(text: string): T[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
const FAST = ['--interval', '0.02'];

describe('files list', () => {
  it('lists every file with the server fields; a filter narrows it', async () => {
    const r = await cli(['files', 'list']);
    expect(r.code).toBe(0);
    const files = jsonl<HistogramDataFile>(r.stdout);
    expect(files.map((f) => f.id).sort()).toEqual(Object.values(ids).sort());
    expect(files.every((f) => f.percentage_processed === 0 && f.contents.length === 0)).toBe(true);
    const only = await cli(['files', 'list', '--filter', 'filepath__contains=2D_synth']);
    expect(jsonl<HistogramDataFile>(only.stdout).map((f) => f.id)).toEqual([ids[SYNTH_2D]]);
  });

  it('a bad filter value is caught before any request', async () => {
    const r = await cli(['files', 'list', '-f', 'data_dimensionality=3'], USER, NOWHERE);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/filter data_dimensionality of histogram_data_files expects one of 1, 2, got "3"/);
  });
});

describe('files parse: refused before sending', () => {
  // (arguments, exit code, error code, message pattern)
  const table: [() => string[], number, string, RegExp][] = [
    [
      () => ['files', 'parse', String(ids[REAL_1D]), '--dim', '2'],
      2,
      'E_PARSE_DIMENSIONALITY',
      /is named as 1D but --dim 2 was given; the server would accept/,
    ],
    [
      () => ['files', 'parse', String(ids[SYNTH_2D]), '--dim', '1'],
      2,
      'E_PARSE_DIMENSIONALITY',
      /is named as 2D but --dim 1/,
    ],
    [
      () => ['files', 'parse', String(ids[REAL_1D]), '--dim', '1', '--file-format', 'root'],
      2,
      'E_PARSE_FILE_FORMAT',
      /\.csv extension but --file-format root/,
    ],
    [
      () => ['files', 'parse', String(ids[REAL_1D]), '--dim', '1', '--granularity', 'run'],
      2,
      'E_PARSE_GRANULARITY',
      /not implemented by the DQM Playground server/,
    ],
    [
      () => ['files', 'parse', '--path-contains', 'DataFrame_1D', '--dim', '1'],
      2,
      'E_FILE_AMBIGUOUS',
      /2 data file paths contain "DataFrame_1D" \(\d+ \/.*; give an id or a longer text/,
    ],
    [
      () => ['files', 'parse', '--path-contains', 'nothing-like-this', '--dim', '1'],
      1,
      'E_FILE_NO_MATCH',
      /no data file path contains "nothing-like-this"/,
    ],
    [() => ['files', 'parse', '999', '--dim', '1'], 1, 'E_NOT_FOUND', /no data file with id 999/],
    [() => ['files', 'parse', '--dim', '1'], 2, 'E_USAGE_FILE', /give a data file id or --path-contains TEXT/],
    [() => ['files', 'parse', '1', '--path-contains', 'x', '--dim', '1'], 2, 'E_USAGE_FILE', /not both/],
    [() => ['files', 'parse', '1'], 2, 'E_USAGE', /Missing required argument: dim/],
  ];
  it.each(table)('%#: exit %i %s', async (args, exit, code, message) => {
    const r = await cli(args());
    expect(r.code).toBe(exit);
    expect(r.stderr.startsWith(`error ${code}: `)).toBe(true);
    expect(r.stderr).toMatch(message);
  });

  it('left every file unparsed', async () => {
    for (const id of Object.values(ids)) expect((await fresh(id)).percentage_processed).toBe(0);
  });
});

describe('files parse: sent', () => {
  it('--force past a pre-check: the server answer (400 bare string, 500) in one line', async () => {
    const root = await cli(['files', 'parse', String(ids[REAL_1D]), '--dim', '1', '--format', 'root', '--force']);
    expect(root.code).toBe(1);
    // The old spelling --format still works, with a note (--format is the output format elsewhere).
    expect(root.stderr).toMatch(
      /^note: files parse --format is deprecated .*; use --file-format\nwarning: .*\.csv extension .*\(sending anyway: --force\)\n/,
    );
    expect(root.stderr).toMatch(
      /error E_HTTP_400: server rejected the request: Required param\(s\) missing \(\['granularity', 'data_dimensionality', 'file_format'\]\)/,
    );

    const run = await cli([
      'files',
      'parse',
      String(ids[REAL_1D]),
      '--dim',
      '1',
      '--granularity',
      'run',
      '--force',
      '--retries',
      '0',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /error E_HTTP_500: .*Something possibly missing from HISTOGRAM_DIMENSIONS_CHOICES \('run'\)/,
    );
  });

  it('--path-contains --wait: starts, logs progress lines off a terminal, ends at 100 %', async () => {
    const r = await cli(['files', 'parse', '--path-contains', '1D_synthetic', '--dim', '1', '--wait', ...FAST]);
    expect(r.code).toBe(0);
    const id = ids[SYNTH_1D];
    const log = r.stderr.split('\n').filter(Boolean);
    expect(log[0]).toMatch(new RegExp(`^started parsing data file ${id} \\(.*${SYNTH_1D}\\) as lum 1D csv$`));
    expect(log.some((l) => /^data file \d+: 100 % \(240\/240 entries\)$/.test(l))).toBe(true);
    expect(log.at(-1)).toMatch(new RegExp(`^data file ${id} parsed: 240/240 entries \\(\\d+\\.\\d s\\)$`));
    const file = await fresh(id);
    expect(file.percentage_processed).toBe(100);
    expect(file.contents).toEqual([{ granularity: 'lum', data_dimensionality: 1 }]);
  });

  it('a file already parsed as asked: says so, sends nothing, exit 0; otherwise refused', async () => {
    const same = await cli(['files', 'parse', String(ids[SYNTH_1D]), '--dim', '1']);
    expect(same.code).toBe(0);
    expect(same.stderr).toMatch(/is already parsed as lum 1D \(100 %\); nothing to do\n$/);
    const other = await cli(['files', 'parse', String(ids[SYNTH_1D]), '--dim', '2', '--force']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      /^error E_PARSE_ALREADY_PARSED: .*already parsed \(100 %, contents: lum 1D\); the server refuses to parse a file twice\n$/,
    );
  });

  it('files list shows the fresh progress (the server cache is bypassed)', async () => {
    const r = await cli(['files', 'list', '--format', 'json']);
    const byId = new Map((JSON.parse(r.stdout) as HistogramDataFile[]).map((f) => [f.id, f]));
    expect(byId.get(ids[SYNTH_1D])?.percentage_processed).toBe(100);
    const table = await runCli(['files', 'list'], {
      env: { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: USER },
      ttyColumns: 90,
    });
    const row = table.stdout.split('\n').find((l) => l.includes('1D_synthetic'));
    expect(row).toMatch(/lum 1D +100 %/);
  });

  it('parse then wait separately', async () => {
    const id = ids[SYNTH_2D];
    const start = await cli(['files', 'parse', String(id), '--dim', '2']);
    expect(start.code).toBe(0);
    expect(start.stderr).toMatch(/^started parsing data file \d+ .* as lum 2D csv\n$/);
    const wait = await cli(['files', 'wait', String(id), ...FAST]);
    expect(wait.code).toBe(0);
    expect(wait.stderr).toMatch(/data file \d+ parsed: 240\/240 entries/);
    expect((await fresh(id)).contents).toEqual([{ granularity: 'lum', data_dimensionality: 2 }]);
  });

  it('a 1D file parsed as 2D (name gives no hint): accepted, then wait reports the stall', async () => {
    const id = ids['unlabelled_copy.csv'];
    const start = await cli(['files', 'parse', String(id), '--dim', '2']);
    expect(start.code).toBe(0);
    const wait = await cli(['files', 'wait', String(id), ...FAST, '--stall', '0.3']);
    expect(wait.code).toBe(1);
    expect(wait.stderr).toMatch(/error E_PARSE_STALLED: parsing of data file \d+ .* made no progress/);
    expect((await fresh(id)).percentage_processed).toBeLessThan(100);
  });

  it('wait on a file never started: the stall message says how to start it', async () => {
    const id = ids[REAL_1D];
    const r = await cli(['files', 'wait', String(id), ...FAST, '--stall', '0.2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`E_PARSE_STALLED: .*; if parsing was never started: dqm-export files parse ${id}\\n$`),
    );
  });

  it('wait: bad numbers and a missing file', async () => {
    const bad = await cli(['files', 'wait', '1', '--timeout', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--timeout expects a positive number of seconds, got 0/);
    const missing = await cli(['files', 'wait', '999', ...FAST]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/E_NOT_FOUND: no data file with id 999/);
  });
});

describe('files discover', () => {
  it('as a non-admin: explains that an admin token is needed', async () => {
    const r = await cli(['files', 'discover']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error E_AUTH_FORBIDDEN: discover needs an admin token: the server refused it for this token \(HTTP 403\)\n$/,
    );
  });

  it('as admin with --wait: registers and reports a new file', async () => {
    copyFileSync(join(SAMPLE_DATA_DIR, REAL_1D), join(dataDir, 'ZeroBias_2018B_DataFrame_1D_new.csv'));
    const r = await cli(['files', 'discover', '--wait', ...FAST], ADMIN);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d+\t\/.*ZeroBias_2018B_DataFrame_1D_new\.csv\n$/);
    expect(r.stderr).toBe(`discovered 1 new data file (${Object.keys(ids).length + 1} in total)\n`);
    const again = await cli(['files', 'discover'], ADMIN);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^discovery started/);
  });
});
