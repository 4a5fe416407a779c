/**
 * The streamed CSV export end to end: the same dataset whatever the number of workers, batch and
 * range sizes (order kept, ids and values identical); bad rows failing with file:line or going to
 * the rejects file; a truncated last line reported with nothing exported; and a multi-file export
 * killed (SIGKILL at a crash point, by the built CLI) then resumed equal to a clean run, without
 * reading the committed files again.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/log.js';
import { runCsvStream } from '../../../src/pipeline/run-csv-stream.js';
import { runPipeline } from '../../../src/pipeline/run-pipeline.js';
import { csvSessionOf, openCsvSession } from '../../../src/sources/csv/session.js';
import { closeDuckDB } from '../../helpers/duckdb.js';
import {
  datasetChecksums,
  listFiles,
  removeTempDirs,
  runCli,
  tempDir,
  writeCsvData,
  writePipeline,
  summaryLine,
} from '../../reliability/helpers.js';

const STREAMS = `streams:
  - name: h1d
    endpoint: lumisection_histograms_1d
    slice: {by: run}
    output: {path: h1d, partition_by: [run]}
  - name: h2d
    endpoint: lumisection_histograms_2d
    slice: {by: run}
    transform: {layout: tensor, dtype: float32}
    output: {path: h2d, partition_by: [run]}
  - name: h2d_flat
    endpoint: lumisection_histograms_2d
    filters: {lumisection__ls_number__gte: 3, title: [PXLayer_1, PXLayer_2]}
    slice: {by: title}
    transform: {layout: flat}
    output: {path: h2d_flat}
`;

function pipelineText(files: string[], extra = '', streams = STREAMS): string {
  return `version: 1\nname: csv\nsource:\n  type: ml4dqm-csv\n  files: ${JSON.stringify(files)}\n${extra}${streams}`;
}

/** One 2D stream: the bad-row tests look at the rows a 2D export parses. */
const H2D_ONLY = `streams:\n  - {name: h2d, endpoint: lumisection_histograms_2d, slice: {by: run}, output: {path: h2d, partition_by: [run]}}\n`;

let dir: string;
let data: string;

beforeAll(async () => {
  dir = await tempDir('dqm-csv-export-');
  data = join(dir, 'data');
  await mkdir(data);
  // About 4 MB of 2D rows (720 histograms of 40 x 30) and their 1D twins.
  await writeCsvData(data, { runs: 6, ls: 40, titles: 3, x1: 50, x2: 40, y2: 30 });
});

afterAll(async () => {
  closeDuckDB();
  await removeTempDirs();
});

describe('workers, batches and ranges do not change the dataset', () => {
  it('3 workers, 3-row batches, 64 KiB ranges and 4 KiB reads give the dataset of 1 worker with defaults', async () => {
    const files = [join(data, 'small_1D.csv'), join(data, 'small_2D.csv')];
    const file = await writePipeline(dir, pipelineText(files), 'workers.yaml');
    const loaded = await loadPipeline(file, { env: {} });
    const outs: string[] = [];
    for (const [k, o] of [
      { workers: 1 },
      { workers: 3, batchRows: 3, ahead: 5, read: { rangeBytes: 64 << 10, blockBytes: 4096 } },
    ].entries()) {
      const out = join(dir, `out-workers-${k}`);
      const client = openCsvSession({
        files,
        root: data,
        baseUrl: pathToFileURL(data).href,
        description: 'test',
        workers: o.workers,
      });
      try {
        for (const stream of loaded.pipeline.streams) {
          const session = csvSessionOf(client)!;
          const s = await runCsvStream(stream, {
            ...session.options,
            pool: session.pool(),
            outRoot: out,
            configHash: loaded.configHash,
            resume: false,
            logger: silentLogger,
            batchRows: o.batchRows,
            ahead: o.ahead,
            read: o.read,
          });
          expect(s.records).toBeGreaterThan(0);
        }
      } finally {
        await client.close();
      }
      outs.push(out);
    }
    for (const [stream, partitions] of [
      ['h1d', ['run']],
      ['h2d', ['run']],
      ['h2d_flat', []],
    ] as const) {
      const a = await datasetChecksums(join(outs[0], stream), [...partitions]);
      const b = await datasetChecksums(join(outs[1], stream), [...partitions]);
      expect(a.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
      for (const p of a) expect(p.ids).toBe(p.rows);
    }
  }, 240_000);
});

describe('bad rows and truncated files', () => {
  const BAD_LINES = [3, 7];

  async function badFile(name: string): Promise<string> {
    const lines = (await readFile(join(data, 'small_2D.csv'), 'utf8')).split('\n');
    lines[BAD_LINES[0] - 1] = lines[BAD_LINES[0] - 1].replace('"[', '"[1, ');
    lines[BAD_LINES[1] - 1] = lines[BAD_LINES[1] - 1].replace(/^\d+,/, 'x,');
    const path = join(dir, name);
    await writeFile(path, lines.join('\n'));
    return path;
  }

  it('a bad row fails the run with file:line and the reason; nothing is committed', async () => {
    const path = await badFile('bad-fail.csv');
    const out = join(dir, 'out-bad-fail');
    const file = await writePipeline(dir, pipelineText([path], '', H2D_ONLY), 'bad-fail.yaml');
    const err = await runPipeline(await loadPipeline(file, { env: {} }), { logger: silentLogger, outDir: out }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'E_CSV_ROW', kind: 'input', context: { file: path, line: 3 } });
    expect((err as Error).message).toMatch(
      new RegExp(`^${path}:3: histo has \\d+ values, expected \\d+ .*source.bad_rows: reject`),
    );
    expect((await listFiles(join(out, 'h2d'))).filter((f) => f.endsWith('.parquet'))).toEqual([]);
  });

  it('bad_rows: reject exports the other rows and lists the bad ones in the rejects file (exit code 3)', async () => {
    const path = await badFile('bad-reject.csv');
    const out = join(dir, 'out-bad-reject');
    const file = await writePipeline(dir, pipelineText([path], '  bad_rows: reject\n', H2D_ONLY), 'bad-reject.yaml');
    const summary = await runPipeline(await loadPipeline(file, { env: {} }), { logger: silentLogger, outDir: out });
    expect(summary.exitCode).toBe(3);
    const h2d = summary.streams.find((s) => s.stream === 'h2d')!;
    expect([h2d.records, h2d.rejects]).toEqual([720 - 2, 2]);
    const rejects = (await readFile(join(out, 'h2d', '.dqm-export', 'rejects.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejects.map((r) => [r.line, r.file])).toEqual(BAD_LINES.map((l) => [l, path]));
    expect(String(rejects[0].reason)).toMatch(/^histo has \d+ values/);
    expect(String(rejects[1].reason)).toMatch(/^fromrun is not a number/);
  });

  it('a truncated last line (a file being copied) is reported, and nothing of the file is exported', async () => {
    const text = await readFile(join(data, 'small_2D.csv'), 'utf8');
    const path = join(dir, 'copying.csv');
    await writeFile(path, text.slice(0, text.length - 2000));
    const out = join(dir, 'out-truncated');
    const file = await writePipeline(dir, pipelineText([path], '', H2D_ONLY), 'truncated.yaml');
    const err = await runPipeline(await loadPipeline(file, { env: {} }), { logger: silentLogger, outDir: out }).catch(
      (e: unknown) => e,
    );
    const lines = text.split('\n').length - 1;
    expect(err).toMatchObject({ code: 'E_CSV_TRUNCATED', kind: 'input', context: { file: path, line: lines } });
    expect((err as Error).message).toMatch(/the last line ends inside a quoted field .*still being copied/);
    expect((await listFiles(out)).filter((f) => f.endsWith('.parquet'))).toEqual([]);
  });
});

describe('many files: kill and --resume', () => {
  it('SIGKILL after the 2nd file is committed (and mid-file), then --resume: the clean run dataset, committed files not read again', async () => {
    const files = join(dir, 'many');
    await mkdir(files);
    for (let k = 0; k < 4; k++) {
      const sub = join(dir, `gen-${k}`);
      await mkdir(sub);
      await writeCsvData(sub, { runs: 2, ls: 10, titles: 2, x1: 20, x2: 20, y2: 10, run0: 330000 + k * 100 });
      await copyFile(join(sub, 'small_2D.csv'), join(files, `part-${k}_2D.csv`));
    }
    const stream = `streams:\n  - {name: h2d, endpoint: lumisection_histograms_2d, slice: {by: run}, transform: {layout: tensor, dtype: float32}, output: {path: h2d, partition_by: [run]}}\n`;
    const pipeline = await writePipeline(
      files,
      `version: 1\nname: many\nsource: {type: ml4dqm-csv, files: ["*.csv"]}\n${stream}`,
    );
    const clean = join(dir, 'out-clean');
    expect((await runCli(['run', pipeline, '--out', clean, '--no-progress'])).code).toBe(0);
    for (const crash of ['commit:2', 'batch:3']) {
      const out = join(dir, `out-${crash.replace(':', '-')}`);
      const killed = await runCli(['run', pipeline, '--out', out, '--no-progress'], {
        env: { DQM_EXPORT_CRASH_AT: crash },
      });
      expect(killed.signal, killed.stderr).toBe('SIGKILL');
      const resumed = await runCli(['run', pipeline, '--out', out, '--no-progress', '--resume']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await datasetChecksums(join(out, 'h2d'))).toEqual(await datasetChecksums(join(clean, 'h2d')));
      const summary = summaryLine<{ streams: { bytesIn: number }[] }>(resumed);
      const sizes = [0, 1, 2, 3].map((k) => statSync(join(files, `part-${k}_2D.csv`)).size);
      // commit:2 dies after the second file's commit: the resumed run reads only files 3 and 4.
      if (crash === 'commit:2') expect(summary.streams[0].bytesIn).toBe(sizes[2] + sizes[3]);
      expect(
        existsSync(join(out, 'h2d', '.dqm-export', 'manifest.json')) || existsSync(join(out, 'h2d', 'manifest.json')),
      ).toBe(true);
    }
    await rm(files, { recursive: true, force: true });
  }, 300_000);
});
