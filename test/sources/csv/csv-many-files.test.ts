/**
 * A glob of 50 CSV files. Memory: run in process with the garbage collector exposed, the memory the
 * main thread still holds after each file's commit (V8 heap plus ArrayBuffers, after a full GC) stays
 * flat from the 10th file to the 50th, far below the CSV bytes in between: nothing of a committed
 * file is kept. (Peak RSS was tried first and is too noisy for a test: 235 vs 298 MB and 264 vs
 * 275 MB for 50 vs 100 files in two runs at load 15-21, as V8 sizes its heap by the run's length.)
 * Resume: the built CLI SIGKILLed after the 20th file's commit, then `--resume`, gives the
 * in-process run's dataset; the journal shows every file committed exactly once, the 20 committed
 * files kept from before the kill and not read again (the resumed run's input bytes are those of
 * the other 30).
 */
import { statSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/log.js';
import { runCsvStream } from '../../../src/pipeline/run-csv-stream.js';
import { csvSessionOf, openCsvSession } from '../../../src/sources/csv/session.js';
import { closeDuckDB } from '../../helpers/duckdb.js';
import {
  datasetChecksums,
  removeTempDirs,
  runCli,
  tempDir,
  writeCsvData,
  writePipeline,
  summaryLine,
} from '../../reliability/helpers.js';

const FILES = 50;
const KILL_AFTER = 20;
const STREAM = `streams:\n  - {name: h2d, endpoint: lumisection_histograms_2d, slice: {by: run}, transform: {layout: tensor, dtype: float32}, output: {path: h2d, partition_by: [run]}}\n`;

let dir: string;
let data: string;
let clean: string;
let all: string;

const name = (k: number) => `part-${String(k).padStart(2, '0')}_2D.csv`;
const files = () => Array.from({ length: FILES }, (_, k) => join(data, name(k)));

interface JournalLine {
  type: string;
  key?: string;
}

async function journal(out: string): Promise<JournalLine[]> {
  const text = await readFile(join(out, 'h2d', '.dqm-export', 'journal.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalLine);
}

beforeAll(async () => {
  dir = await tempDir('dqm-csv-many-');
  data = join(dir, 'data');
  await mkdir(data);
  // 50 files of about 0.6 MB, two runs each (runs differ between files).
  for (let k = 0; k < FILES; k++) {
    const gen = join(dir, `gen-${k}`);
    await mkdir(gen);
    await writeCsvData(gen, { runs: 2, ls: 30, titles: 2, x1: 4, x2: 40, y2: 30, run0: 330000 + k * 20 });
    await copyFile(join(gen, 'small_2D.csv'), join(data, name(k)));
  }
  clean = join(dir, 'clean');
  all = await writePipeline(
    data,
    `version: 1\nname: all\nsource: {type: ml4dqm-csv, files: ["part-*_2D.csv"]}\n${STREAM}`,
    'all.yaml',
  );
}, 240_000);

afterAll(async () => {
  closeDuckDB();
  await removeTempDirs();
});

describe('a glob of 100 CSV files', () => {
  it('in process: what the main thread holds after a file is committed stays flat over the files', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const held = (): number => {
      gc();
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const loaded = await loadPipeline(all, { env: {} });
    const client = openCsvSession({
      files: files(),
      root: data,
      baseUrl: pathToFileURL(data).href,
      description: 'test',
    });
    const after: number[] = [];
    try {
      const session = csvSessionOf(client)!;
      const s = await runCsvStream(loaded.pipeline.streams[0], {
        ...session.options,
        pool: session.pool(),
        outRoot: clean,
        configHash: loaded.configHash,
        resume: false,
        logger: silentLogger,
        // One call with pages: 1 per file, right after its commit.
        onProgress: (d) => void (d.pages === 1 && after.push(held())),
      });
      expect(s.records).toBe(FILES * 2 * 30 * 2);
    } finally {
      await client.close();
    }
    expect(after.length).toBe(FILES);
    const csvMB =
      files()
        .slice(10)
        .reduce((n, f) => n + statSync(f).size, 0) /
      2 ** 20;
    const grewMB = (after[FILES - 1] - after[9]) / 2 ** 20;
    // Holding the 40 files' bytes, rows or batches would add tens of MB; a journal entry per file is a few KB.
    expect(
      grewMB,
      `held after file 10: ${(after[9] / 2 ** 20).toFixed(1)} MB, after file 50: ${(after[FILES - 1] / 2 ** 20).toFixed(1)} MB; CSV in between ${csvMB.toFixed(0)} MB`,
    ).toBeLessThan(csvMB / 20);
  }, 600_000);

  it('SIGKILL after the 20th file, then --resume: the dataset of the in-process run above; committed files kept, not read again', async () => {
    const pipeline = all;
    const out = join(dir, 'killed');
    const killed = await runCli(['run', pipeline, '--out', out, '--no-progress'], {
      env: { DQM_EXPORT_CRASH_AT: `commit:${KILL_AFTER}` },
      timeoutMs: 240_000,
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const before = (await journal(out)).filter((l) => l.type === 'slice').map((l) => l.key);
    expect(before).toEqual(Array.from({ length: KILL_AFTER }, (_, k) => `file=${name(k)}`));

    const resumed = await runCli(['run', pipeline, '--out', out, '--no-progress', '--resume'], { timeoutMs: 240_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    const lines = await journal(out);
    const after = lines.filter((l) => l.type === 'slice').map((l) => l.key);
    // The kill's lines kept as they were, then the other files, each once; then done.
    expect(after).toEqual(Array.from({ length: FILES }, (_, k) => `file=${name(k)}`));
    expect(lines.at(-1)!.type).toBe('done');
    const summary = summaryLine<{ streams: { bytesIn: number }[] }>(resumed);
    const rest = Array.from({ length: FILES - KILL_AFTER }, (_, k) => statSync(join(data, name(k + KILL_AFTER))).size);
    expect(summary.streams[0].bytesIn).toBe(rest.reduce((a, b) => a + b));
    expect(await datasetChecksums(join(out, 'h2d'))).toEqual(await datasetChecksums(join(clean, 'h2d')));
  }, 600_000);
});
