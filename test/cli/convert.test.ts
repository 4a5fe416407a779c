/**
 * `dqm-export convert FILE... --out DIR` (the built CLI): one file and several (named, and as a glob
 * the shell did not expand) give the default layout and format partitioned by run, one dataset per
 * dimensionality with a manifest like a pipeline run's, and the rows a `run` of the same files
 * writes (DuckDB; one file also read with apache-arrow through parquet-wasm). Bad arguments and bad
 * files fail with one line naming them, a non-zero exit, and nothing presented as complete.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLogLevel } from '../../src/cli/commands/convert.js';
import { closeDuckDB, queryParquet, sqlString } from '../helpers/duckdb.js';
import {
  datasetChecksums,
  errorLine,
  listFiles,
  removeTempDirs,
  runCli,
  tempDir,
  writeCsvData,
  writePipeline,
} from '../reliability/helpers.js';

const D1 = 'lumisection_histograms_1d';
const D2 = 'lumisection_histograms_2d';

let dir: string;
let data: string;

interface Manifest {
  rows: number;
  files: {
    path: string;
    rows: number;
    partition: Record<string, unknown>;
    format: string;
    schema: { fields: unknown; metadata?: unknown };
  }[];
  source: { url: string; endpoint: string; filters: unknown };
}

/**
 * The manifest without what differs between any two runs: times, hashes and sizes of files, and the
 * schema metadata naming the run (config hash, start time, stream name).
 */
async function manifestShape(root: string): Promise<unknown> {
  const m = JSON.parse(await readFile(join(root, '.dqm-export', 'manifest.json'), 'utf8')) as Manifest;
  return {
    keys: Object.keys(m).sort(),
    rows: m.rows,
    files: m.files.map((f) => JSON.stringify([f.path, f.rows, f.partition, f.format, f.schema.fields])).sort(),
    source: m.source,
  };
}

/** What `run` writes for the same files: the pipeline convert stands for, written by hand. */
async function runPipelineOf(files: string[], dims: Array<1 | 2>, out: string): Promise<void> {
  const streams = dims
    .map(
      (d) =>
        `  - {name: s${d}, endpoint: lumisection_histograms_${d}d, slice: {by: run}, output: {path: lumisection_histograms_${d}d, partition_by: [run]}}`,
    )
    .join('\n');
  const file = await writePipeline(
    dir,
    `version: 1\nname: by-hand\nsource: {type: ml4dqm-csv, files: ${JSON.stringify(files)}}\nstreams:\n${streams}\n`,
    `by-hand-${dims.join('')}.yaml`,
  );
  const r = await runCli(['run', file, '--out', out, '--no-progress'], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
}

function convert(args: string[], cwd = data) {
  return runCli(['convert', ...args, '--no-progress', '--log-level', 'warn'], { cwd, timeoutMs: 120_000 });
}

beforeAll(async () => {
  dir = await tempDir('dqm-convert-');
  data = join(dir, 'data');
  await mkdir(data);
  for (const [k, run0] of [330000, 331000].entries()) {
    const gen = join(dir, `gen-${k}`);
    await mkdir(gen);
    await writeCsvData(gen, { runs: 3, ls: 5, titles: 2, x1: 12, x2: 10, y2: 6, run0 });
    await writeFile(join(data, `era${k}_2D.csv`), await readFile(join(gen, 'small_2D.csv')));
    await writeFile(join(data, `era${k}_1D.csv`), await readFile(join(gen, 'small_1D.csv')));
  }
}, 180_000);

afterAll(async () => {
  closeDuckDB();
  await removeTempDirs();
});

describe('convert FILE... --out DIR', () => {
  it('one 2D file: DIR/lumisection_histograms_2d partitioned by run, a manifest, the rows of a run of the file', async () => {
    const out = join(dir, 'one');
    const r = await convert(['era0_2D.csv', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, D1))).toBe(false);
    const root = join(out, D2);
    expect(existsSync(join(root, '.dqm-export', '_SUCCESS'))).toBe(true);
    const parquet = (await listFiles(root)).filter((f) => f.endsWith('.parquet'));
    expect(parquet.map((f) => f.split('/')[0])).toEqual(['run=330000', 'run=330010', 'run=330020']);

    const ref = join(dir, 'one-run');
    await runPipelineOf([join(data, 'era0_2D.csv')], [2], ref);
    expect(await datasetChecksums(root)).toEqual(await datasetChecksums(join(ref, D2)));
    expect(await manifestShape(root)).toEqual(await manifestShape(join(ref, D2)));

    // The default layout (2D: a list of y rows of x values, float64) as DuckDB and apache-arrow read one file.
    const path = join(root, parquet[0]);
    const duck = await queryParquet(
      `SELECT count(*) AS n, min(len(data)) AS y, max(len(data[1])) AS x FROM read_parquet(${sqlString(path)})`,
    );
    expect(duck.rows[0]).toEqual({ n: 10n, y: 6n, x: 10n });
    const { readParquet } = await import('parquet-wasm');
    const table = tableFromIPC(readParquet(await readFile(path)).intoIPCStream());
    expect(table.numRows).toBe(10); // run is the hive partition (the directory), not a column
    expect(table.schema.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['id', 'lumisection', 'title', 'source_data_file', 'data']),
    );
    const cell = table.getChild('data')!.get(0) as { length: number; get(i: number): { length: number } };
    expect([cell.length, cell.get(0).length]).toEqual([6, 10]);
  }, 180_000);

  it('several files, named or as a glob the shell left alone: a dataset per dimensionality, as a run of the same files', async () => {
    const named = join(dir, 'named');
    const globbed = join(dir, 'globbed');
    const all = ['era0_1D.csv', 'era0_2D.csv', 'era1_1D.csv', 'era1_2D.csv'];
    expect((await convert([...all, '--out', named])).code).toBe(0);
    const g = await convert(['era*.csv', '--out', globbed]);
    expect(g.code, g.stderr).toBe(0);
    const ref = join(dir, 'several-run');
    await runPipelineOf(
      all.map((f) => join(data, f)),
      [1, 2],
      ref,
    );
    for (const d of [D1, D2]) {
      const want = await datasetChecksums(join(ref, d));
      expect(want.length).toBe(6);
      expect(await datasetChecksums(join(named, d))).toEqual(want);
      expect(await datasetChecksums(join(globbed, d))).toEqual(want);
      expect(await manifestShape(join(globbed, d))).toEqual(await manifestShape(join(ref, d)));
    }
  }, 240_000);
});

describe('convert: bad arguments and bad files', () => {
  async function nothingComplete(out: string): Promise<void> {
    const files = await listFiles(out);
    expect(
      files.filter((f) => f.endsWith('.parquet') || f.endsWith('_SUCCESS') || f.endsWith('manifest.json')),
    ).toEqual([]);
  }

  it('a missing file, and a glob that matches nothing: exit 2 naming the argument, nothing written', async () => {
    for (const [arg, message] of [
      ['nope_2D.csv', /^convert FILE\.\.\.: nope_2D\.csv: no such file \(resolved to .*nope_2D\.csv\)$/],
      ['nomatch-*.csv', /^convert FILE\.\.\.: nomatch-\*\.csv matches no file \(relative to /],
    ] as const) {
      const out = join(dir, `bad-${arg.replace(/\W/g, '')}`);
      const r = await convert(['era0_2D.csv', arg, '--out', out]);
      expect(r.code).toBe(2);
      expect(errorLine(r.stderr)).toMatchObject({ code: 'E_SOURCE_FILES' });
      expect(errorLine(r.stderr)!.message).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  }, 180_000);

  it('a file that is not ML4DQM CSV: exit 1 naming the file and the missing columns, nothing complete', async () => {
    const notCsv = join(data, 'notes.txt');
    await writeFile(notCsv, 'hello world\nthis is not a histogram file\n');
    const out = join(dir, 'bad-notcsv');
    const r = await convert(['era0_2D.csv', notCsv, '--out', out]);
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toMatchObject({ code: 'E_CSV_HEADER' });
    expect(errorLine(r.stderr)!.message).toMatch(new RegExp(`^${notCsv}:1: not an ML4DQM CSV header: missing column`));
    await nothingComplete(out);
  }, 180_000);

  it('a truncated last line (a file being copied): exit 1 naming file and line, nothing of any file exported', async () => {
    const text = await readFile(join(data, 'era1_2D.csv'), 'utf8');
    const copying = join(dir, 'copying_2D.csv');
    await writeFile(copying, text.slice(0, -40));
    const out = join(dir, 'bad-truncated');
    const r = await convert([join(data, 'era0_2D.csv'), copying, '--out', out]);
    expect(r.code).toBe(1);
    expect(errorLine(r.stderr)).toMatchObject({ code: 'E_CSV_TRUNCATED' });
    expect(errorLine(r.stderr)!.message).toMatch(
      new RegExp(
        `^${copying}:${text.split('\n').length - 1}: the last line ends inside a quoted field.*still being copied`,
      ),
    );
    await nothingComplete(out);
  }, 180_000);

  it('an --out that holds a dataset: exit 2 saying what to do, the dataset left as it was', async () => {
    const out = join(dir, 'exists');
    expect((await convert(['era0_2D.csv', '--out', out])).code).toBe(0);
    const before = await datasetChecksums(join(out, D2));
    const files = await listFiles(out);
    const r = await convert(['era0_2D.csv', '--out', out]);
    expect(r.code).toBe(2);
    expect(errorLine(r.stderr)).toMatchObject({ code: 'E_OUTPUT_EXISTS' });
    expect(errorLine(r.stderr)!.message).toMatch(/^convert: --out .* already holds a dataset .*add --resume/);
    expect(await listFiles(out)).toEqual(files);
    expect(await datasetChecksums(join(out, D2))).toEqual(before);
  }, 240_000);
});

describe('convert: what it prints', () => {
  it('--log-level when given; else info into a --log-file; else warn', () => {
    expect(convertLogLevel({})).toBe('warn');
    expect(convertLogLevel({ 'log-file': 'x.log' })).toBe('info');
    expect(convertLogLevel({ 'log-level': 'debug' })).toBe('debug');
    expect(convertLogLevel({ 'log-level': 'error', 'log-file': 'x.log' })).toBe('error');
  });

  it("piped, by default: run's summary line on stdout and no logs; --log-level info or --log-file for the logs", async () => {
    const quiet = join(dir, 'print-quiet');
    const r = await runCli(['convert', 'era0_1D.csv', '--out', quiet], { cwd: data, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      msg: 'summary',
      pipeline: 'convert',
      exitCode: 0,
      streams: [{ stream: D1, output: join(quiet, D1), records: 30, rejects: 0 }],
    });

    const r2 = await runCli(['convert', 'era0_1D.csv', '--out', join(dir, 'print-info'), '--log-level', 'info'], {
      cwd: data,
      timeoutMs: 120_000,
    });
    expect(r2.code, r2.stderr).toBe(0);
    const logs = r2.stderr
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['stream started', 'stream finished']));
    expect(r2.stdout.trimEnd().split('\n')).toHaveLength(1);

    const logFile = join(dir, 'print-file.log');
    const r3 = await runCli(['convert', 'era0_1D.csv', '--out', join(dir, 'print-file'), '--log-file', logFile], {
      cwd: data,
      timeoutMs: 120_000,
    });
    expect(r3.code, r3.stderr).toBe(0);
    expect(r3.stderr).toBe('');
    expect(await readFile(logFile, 'utf8')).toMatch(/"msg":"stream finished"/);
  }, 240_000);
});
