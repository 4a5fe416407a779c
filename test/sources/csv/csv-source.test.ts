/**
 * The ml4dqm-csv source: a pipeline over the sample CSV files exported in process gives exactly the
 * rows the same pipeline gives through a dqm-playground source against the embedded server serving
 * those files (read back with DuckDB, every column). Plus bad files, admin operations, and one run
 * of the built CLI on pipelines/csv-local.yaml (file expansion: csv-files.test.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../src/config/index.js';
import type { DqmClient } from '../../../src/extract/index.js';
import { silentLogger } from '../../../src/log.js';
import { runPipeline } from '../../../src/pipeline/run-pipeline.js';
import { openCsvSource } from '../../../src/sources/csv/csv-source.js';
import { loadCsvTables } from '../../../src/sources/csv/csv-tables.js';
import { startServer, type RunningServer } from '../../../src/server/index.js';
import { PACKAGE_ROOT, SAMPLE_DATA_DIR } from '../../../src/version.js';
import { closeDuckDB, queryParquet, sqlString } from '../../helpers/duckdb.js';
import { DIST_CLI } from '../../helpers/server.js';

const SAMPLE_1D_REAL = join(SAMPLE_DATA_DIR, 'ZeroBias_2018A_DataFrame_1D_2.csv');

/** Streams covering both dimensionalities, filters, every slice kind and the four layouts, both dtypes. */
const STREAMS = `
streams:
  - name: runs
    endpoint: runs
    output: {path: runs}
  - name: lumisections
    endpoint: lumisections
    output: {path: lumisections}
  - name: h1d_nested
    endpoint: lumisection_histograms_1d
    slice: {by: run}
    output: {path: h1d_nested, partition_by: [run]}
  - name: h1d_flat
    endpoint: lumisection_histograms_1d
    filters:
      source_data_file__filepath__contains: 1D_synthetic
      lumisection__ls_number__gte: 5
      lumisection__ls_number__lte: 30
    slice: {by: run-range, size: 2}
    transform: {layout: flat, dtype: float32}
    output: {path: h1d_flat}
  - name: h2d_tensor
    endpoint: lumisection_histograms_2d
    filters: {lumisection__run__run_number__in: [315705, 316457]}
    slice: {by: run}
    transform: {layout: tensor, dtype: float32}
    output: {path: h2d_tensor, partition_by: [run]}
  - name: h2d_by_title
    endpoint: lumisection_histograms_2d
    filters:
      title: [clusterposition_zphi_ontrack_PXLayer_1, clusterposition_zphi_ontrack_PXLayer_2]
      lumisection__ls_number__in: [1, 2, 3, 10, 40]
    slice: {by: title}
    output: {path: h2d_by_title}
  - name: h2d_array
    endpoint: lumisection_histograms_2d
    filters: {lumisection__run__run_number__in: [315705]}
    transform: {layout: array, dtype: float64}
    output: {path: h2d_array}
  - name: h2d_flat
    endpoint: lumisection_histograms_2d
    filters: {lumisection__ls_number__lte: 6}
    transform: {layout: flat, dtype: float64}
    output: {path: h2d_flat}
  - name: h1d_tensor
    endpoint: lumisection_histograms_1d
    transform: {layout: tensor, dtype: float64}
    output: {path: h1d_tensor}
`;

/** Sort key and columns that differ by nature (creation timestamps) per stream. */
const COMPARE: Record<string, { order: string; exclude?: string[] }> = {
  runs: { order: 'run_number', exclude: ['date'] },
  lumisections: { order: 'run, ls_number', exclude: ['date'] },
  h1d_nested: { order: 'id' },
  h1d_flat: { order: 'id' },
  h2d_tensor: { order: 'id' },
  h2d_by_title: { order: 'id' },
  h2d_array: { order: 'id' },
  h2d_flat: { order: 'id' },
  h1d_tensor: { order: 'id' },
};

let work: string;
let server: RunningServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'dqm-csv-source-'));
  server = await startServer({ port: 0, dataDirs: [SAMPLE_DATA_DIR] });
});

afterAll(async () => {
  await server?.close();
  closeDuckDB();
  if (work) await rm(work, { recursive: true, force: true });
});

async function pipelineFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(work, `${name}-`));
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, text);
  return file;
}

function csvPipeline(files: string[], extra = ''): string {
  return `version: 1\nname: csv\nsource:\n  type: ml4dqm-csv\n  files: ${JSON.stringify(files)}\n${extra}${STREAMS}`;
}

const API_PIPELINE = `version: 1\nname: api\nsource:\n  type: dqm-playground\n  url: \${URL}\n  token: \${TOKEN}\n${STREAMS}`;

function json(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
}

async function streamRows(root: string, stream: string): Promise<string[]> {
  const { order, exclude } = COMPARE[stream];
  const source = `read_parquet(${sqlString(join(root, stream, '**', '*.parquet'))}, hive_partitioning = true)`;
  const columns = exclude ? `* EXCLUDE (${exclude.join(', ')})` : '*';
  const { rows } = await queryParquet(`SELECT ${columns} FROM ${source} ORDER BY ${order}`);
  return rows.map(json);
}

/** Runs one histogram stream over `files`; resolves to the error it fails with (or undefined). */
async function failureOf(files: string[], endpoint = 'lumisection_histograms_1d', extra = ''): Promise<unknown> {
  const text = `version: 1\nname: bad\nsource:\n  type: ml4dqm-csv\n  files: ${JSON.stringify(files)}\n${extra}streams:\n  - {name: h, endpoint: ${endpoint}, output: {path: h}}\n`;
  const file = await pipelineFile('bad', text);
  return runPipeline(await loadPipeline(file, { env: {} }), { logger: silentLogger }).then(
    () => undefined,
    (e: unknown) => e,
  );
}

async function openCsv(files: string[], extra = ''): Promise<DqmClient> {
  const file = await pipelineFile('open', csvPipeline(files, extra));
  const loaded = await loadPipeline(file, { env: {} });
  if (loaded.pipeline.source.type !== 'ml4dqm-csv') throw new Error('expected an ml4dqm-csv pipeline');
  return openCsvSource(loaded.pipeline.source, { file: loaded.file, dir: loaded.dir }, { logger: silentLogger });
}

describe('ml4dqm-csv source vs the embedded server over HTTP', () => {
  let csvOut: string;
  let apiOut: string;

  beforeAll(async () => {
    csvOut = join(work, 'out-csv');
    apiOut = join(work, 'out-api');
    const csv = await loadPipeline(await pipelineFile('csv', csvPipeline([join(SAMPLE_DATA_DIR, '*.csv')])), {
      env: {},
    });
    const api = await loadPipeline(await pipelineFile('api', API_PIPELINE), {
      env: { URL: server.url, TOKEN: server.userToken },
    });
    const a = await runPipeline(csv, { logger: silentLogger, outDir: csvOut });
    const b = await runPipeline(api, { logger: silentLogger, outDir: apiOut, env: {} });
    expect(a.exitCode).toBe(0);
    expect(b.exitCode).toBe(0);
    expect(a.streams.map((s) => [s.stream, s.records, s.slices])).toEqual(
      b.streams.map((s) => [s.stream, s.records, s.slices]),
    );
  });

  it.each(Object.keys(COMPARE))('stream %s: identical rows, every column', async (stream) => {
    const local = await streamRows(csvOut, stream);
    const remote = await streamRows(apiOut, stream);
    expect(local.length).toBeGreaterThan(0);
    expect(local).toEqual(remote);
  });

  it('exports what the sample holds: ids per dimension in file order, source_data_file as the server numbers files', async () => {
    const h1d = await queryParquet(
      `SELECT source_data_file, count(*) AS n, min(id) AS lo, max(id) AS hi FROM read_parquet(${sqlString(join(csvOut, 'h1d_nested', '**', '*.parquet'))}, hive_partitioning = true) GROUP BY 1 ORDER BY 1`,
    );
    // Files sorted by path: 1D_2 (id 1, 9 rows), 1D_synthetic (id 2, 240 rows), 2D_synthetic (id 3).
    expect(h1d.rows.map(json)).toEqual([
      json({ source_data_file: 1, n: 9, lo: 1, hi: 9 }),
      json({ source_data_file: 2, n: 240, lo: 10, hi: 249 }),
    ]);
    const h2d = await queryParquet(
      `SELECT min(id) AS lo, count(*) AS n, min(source_data_file) AS f FROM read_parquet(${sqlString(join(csvOut, 'h2d_tensor', '**', '*.parquet'))})`,
    );
    expect(h2d.rows.map(json)).toEqual([json({ lo: 1, n: 160, f: 3 })]);
    const flat = await queryParquet(
      `SELECT count(*) AS n, min(lumisection) AS lo, max(lumisection) AS hi FROM read_parquet(${sqlString(join(csvOut, 'h1d_flat', '**', '*.parquet'))})`,
    );
    expect(flat.rows.map(json)).toEqual([json({ n: 3 * 26 * 2, lo: 5, hi: 30 })]);
  });

  it('records a token-free file:// provenance of the data directory in the manifest', async () => {
    const manifest = JSON.parse(await readFile(join(csvOut, 'h2d_tensor', '.dqm-export', 'manifest.json'), 'utf8')) as {
      source: { url: string };
      rows: number;
    };
    expect(manifest.source.url).toBe(`${pathToFileURL(SAMPLE_DATA_DIR).href}/api/lumisection_histograms_2d/`);
    expect(manifest.rows).toBe(160);
    expect(existsSync(join(csvOut, 'h2d_tensor', '.dqm-export', '_SUCCESS'))).toBe(true);
  });
});

describe('bad CSV files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(work, 'bad-'));
  });

  it('a malformed row fails the source with file and line (the server serves the rows before it instead)', async () => {
    const lines = (await readFile(SAMPLE_1D_REAL, 'utf8')).split('\n');
    lines[3] = lines[3].replace('"[0, ', '"[');
    const badDir = join(dir, 'malformed');
    await mkdir(badDir);
    const bad = join(badDir, 'bad.csv');
    await writeFile(bad, lines.join('\n'));

    const err = await failureOf([bad]);
    expect(err).toMatchObject({ code: 'E_CSV_ROW', kind: 'input', context: { file: bad, line: 4 } });
    expect((err as Error).message).toMatch(
      new RegExp(`^${bad}:4: histo has \\d+ values, expected \\d+ .*fix or remove the row`),
    );

    const partial = await startServer({ port: 0, dataDirs: [badDir] });
    try {
      const res = await fetch(`${partial.url}/api/lumisection_histograms_1d/`, {
        headers: { Authorization: `Token ${partial.userToken}` },
      });
      expect(((await res.json()) as { total: number }).total).toBe(2);
    } finally {
      await partial.close();
    }
  });

  it('a file of the other dimensionality than source.dimensionality fails at its first row', async () => {
    const err = await failureOf([SAMPLE_1D_REAL], 'lumisection_histograms_2d', '  dimensionality: 2\n');
    expect(err).toMatchObject({ code: 'E_CSV_ROW', context: { file: SAMPLE_1D_REAL, line: 2 } });
    expect((err as Error).message).toMatch(/:2: histo has \d+ values, expected .* for a 2D histogram/);
  });

  it.each([
    ['empty.csv', 'E_CSV_HEADER', '', /empty\.csv: empty file, expected an ML4DQM CSV header/],
    [
      'other.csv',
      'E_CSV_HEADER',
      'a,b,c\n1,2,3\n',
      /other\.csv:1: not an ML4DQM CSV header: missing column\(s\) fromrun/,
    ],
  ])('%s is %s, naming the file', async (name, code, text, message) => {
    const path = join(dir, name);
    await writeFile(path, text);
    const err = await failureOf([path]);
    expect(err).toMatchObject({ code, kind: 'input', context: { file: path } });
    expect((err as Error).message).toMatch(message);
  });

  it('a file that cannot be read is an InputError naming it (the in-memory tables of serve)', async () => {
    const gone = join(dir, 'gone.csv');
    const err = await loadCsvTables([gone]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_CSV_READ', kind: 'input', context: { file: gone } });
    expect((err as Error).message).toBe(`${gone}: cannot read the file (ENOENT)`);
  });
});

describe('the local client', () => {
  let local: DqmClient;
  beforeAll(async () => {
    local = await openCsv([join(SAMPLE_DATA_DIR, '*.csv')]);
  });
  afterAll(async () => {
    await local?.close();
  });

  it.each([
    ['discover', (c: DqmClient) => c.discover()],
    [
      'start_parsing',
      (c: DqmClient) => c.startParsing(1, { granularity: 'lum', dataDimensionality: 1, fileFormat: 'csv' }),
    ],
    ['deleteHistogram', (c: DqmClient) => c.deleteHistogram(1, 1)],
    ['listDataFiles', (c: DqmClient) => c.listDataFiles()],
    ['getDataFile', (c: DqmClient) => c.getDataFile(1)],
    ['waitForDataFile', (c: DqmClient) => c.waitForDataFile(1)],
    ['listPage of data files', (c: DqmClient) => c.listPage('histogram_data_files', {}, 1)],
  ])('%s: ConfigError, the operation needs a dqm-playground source', async (_name, call) => {
    const err = await call(local).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_SOURCE_OPERATION', kind: 'config' });
    expect((err as Error).message).toMatch(
      /needs a dqm-playground source; .*source \(ml4dqm-csv\) reads CSV files in process/,
    );
  });

  it('answers runs and lumisections pages and bad filters as the server does; histograms are streamed, not paged', async () => {
    const { createClient } = await import('../../../src/extract/index.js');
    const remote = createClient({ baseUrl: server.url, token: server.userToken });
    try {
      expect((await local.getRun(315705)).run_number).toBe(315705);
      const [a, b] = await Promise.all([
        local.listPage('lumisections', { run: 315705 }, 1),
        remote.listPage('lumisections', { run: 315705 }, 1),
      ]);
      const noDate = (records: unknown[]) => records.map((r) => ({ ...(r as object), date: undefined }));
      expect([noDate(a.records), a.total, a.perPage, a.next?.replace(/^.*\/api\//, '')]).toEqual([
        noDate(b.records),
        b.total,
        b.perPage,
        b.next?.replace(/^.*\/api\//, ''),
      ]);
      expect(await local.listAll('runs', {}, { limit: 2 })).toHaveLength(2);
      for (const client of [local, remote]) {
        await expect(client.listPage('lumisections', {}, 99)).rejects.toMatchObject({ code: 'E_INVALID_PAGE' });
      }
      await expect(local.listPage('lumisection_histograms_2d', {}, 1)).rejects.toMatchObject({
        code: 'E_SOURCE_OPERATION',
      });
      expect(local.stats.retries['status-5xx']).toBe(0);
    } finally {
      await remote.close();
    }
  });
});

describe('dqm-export run pipelines/csv-local.yaml (built CLI)', () => {
  it('exits 0 and writes every stream with a manifest', async () => {
    expect(existsSync(DIST_CLI), `${DIST_CLI} missing: npm run build first`).toBe(true);
    const out = await mkdtemp(join(work, 'cli-'));
    const pipeline = join(PACKAGE_ROOT, 'pipelines', 'csv-local.yaml');
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [DIST_CLI, 'run', pipeline, '--out', out, '--log-level', 'warn'], {
        env: { ...process.env, CI: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      streams: Array<{ stream: string; records: number; output: string }>;
    };
    expect(summary.streams.length).toBeGreaterThan(0);
    for (const s of summary.streams) {
      expect(s.output.startsWith(out)).toBe(true);
      const manifest = JSON.parse(await readFile(join(s.output, '.dqm-export', 'manifest.json'), 'utf8')) as {
        rows: number;
        source: { url: string };
      };
      expect(manifest.rows).toBe(s.records);
      expect(manifest.source.url.startsWith(pathToFileURL(SAMPLE_DATA_DIR).href + '/api/')).toBe(true);
    }
  });
});
