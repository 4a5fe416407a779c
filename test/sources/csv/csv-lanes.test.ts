/**
 * Lanes (src/sources/csv/lanes.ts): a file's ranges split into contiguous lanes exported side by side.
 * The split itself, the file order of what lanes append (bad rows, rejects), and end to end: a file
 * exported in three lanes gives the dataset of one lane, reports the first bad row of the file in
 * `fail` mode whichever lane meets a bad row first, and lists rejected rows in file order.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../src/config/index.js';
import { silentLogger } from '../../../src/log.js';
import { runCsvStream } from '../../../src/pipeline/run-csv-stream.js';
import {
  LaneOrderedAppends,
  defaultLaneCount,
  defaultParseWorkers,
  splitLanes,
} from '../../../src/sources/csv/lanes.js';
import type { ParseTask } from '../../../src/sources/csv/parse-range.js';
import { csvSessionOf, openCsvSession } from '../../../src/sources/csv/session.js';
import { closeDuckDB } from '../../helpers/duckdb.js';
import {
  datasetChecksums,
  listFiles,
  removeTempDirs,
  tempDir,
  writeCsvData,
  writePipeline,
} from '../../reliability/helpers.js';

/** A task whose route has `routed` rows in a slice and `skipped` filtered-out rows. */
function task(start: number, routed: number, skipped = 0): ParseTask {
  const route = new Int32Array(routed + skipped).fill(-1);
  route.fill(0, 0, routed);
  return { start, route } as ParseTask;
}

describe('splitLanes', () => {
  it('cuts the tasks into contiguous lanes of about equal routed rows, in file order', () => {
    const tasks = [task(0, 10), task(1, 10), task(2, 10), task(3, 10), task(4, 10), task(5, 10)];
    expect(splitLanes(tasks, 2).map((l) => l.map((t) => t.start))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(splitLanes(tasks, 3).map((l) => l.map((t) => t.start))).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
  });

  it('weighs tasks by the rows they parse, not by their number', () => {
    // A first range holding most of the routed rows, then ranges mostly filtered out.
    const tasks = [task(0, 60), task(1, 1, 59), task(2, 1, 59), task(3, 1, 59), task(4, 1, 59), task(5, 1, 59)];
    expect(splitLanes(tasks, 2).map((l) => l.map((t) => t.start))).toEqual([[0], [1, 2, 3, 4, 5]]);
  });

  it('gives no empty lane: fewer tasks than lanes give fewer lanes, none gives none', () => {
    expect(splitLanes([task(0, 5)], 2)).toHaveLength(1);
    expect(splitLanes([task(0, 100), task(1, 1)], 4).map((l) => l.length)).toEqual([1, 1]);
    expect(splitLanes([task(0, 0, 3), task(1, 0, 3), task(2, 0, 3)], 3).map((l) => l.length)).toEqual([1, 1, 1]);
    expect(splitLanes([], 2)).toEqual([]);
  });
});

describe('default threads', () => {
  it('gives two lanes from 2 cores on, and parse workers the cores the lanes leave (at least 1, at most 8)', () => {
    expect([1, 2, 3, 4, 16].map((c) => defaultLaneCount(c))).toEqual([1, 2, 2, 2, 2]);
    expect([1, 2, 3, 4, 16].map((c) => defaultParseWorkers(c))).toEqual([1, 1, 1, 2, 8]);
  });
});

describe('LaneOrderedAppends', () => {
  it('writes each lane after the lanes before it have ended, and a ready lane at once', async () => {
    const written: string[] = [];
    const appends = new LaneOrderedAppends<string>(3, async (entries) => {
      await new Promise((resolve) => setImmediate(resolve));
      written.push(...entries);
    });
    await appends.append(2, ['c1']);
    await appends.append(1, ['b1']);
    await appends.append(0, ['a1']);
    await appends.append(1, ['b2']);
    await appends.end(0);
    expect(written).toEqual(['a1', 'b1', 'b2']);
    await appends.append(1, ['b3']);
    await appends.append(2, ['c2']);
    await appends.end(1);
    await appends.append(2, ['c3']);
    await appends.end(2);
    await appends.drain();
    expect(written).toEqual(['a1', 'b1', 'b2', 'b3', 'c1', 'c2', 'c3']);
  });
});

describe('a file in three lanes', () => {
  let dir: string;
  let data: string;
  let lines: string[];
  const H2D = `streams:\n  - {name: h2d, endpoint: lumisection_histograms_2d, slice: {by: run}, transform: {layout: tensor, dtype: float32}, output: {path: h2d, partition_by: [run]}}\n`;

  beforeAll(async () => {
    dir = await tempDir('dqm-csv-lanes-');
    data = join(dir, 'data');
    await mkdir(data);
    // 720 histograms of 40 x 30, about 4 MB: 64 KiB ranges make about 60 of them.
    await writeCsvData(data, { runs: 6, ls: 40, titles: 3, x1: 50, x2: 40, y2: 30 });
    lines = (await readFile(join(data, 'small_2D.csv'), 'utf8')).split('\n');
  });

  afterAll(async () => {
    closeDuckDB();
    await removeTempDirs();
  });

  /** Exports `path` (one 2D stream) with `lanes` lanes and 64 KiB ranges. */
  async function exportLanes(path: string, out: string, lanes: number, badRows: 'fail' | 'reject' = 'fail') {
    const pipeline = await writePipeline(
      dir,
      `version: 1\nname: lanes\nsource:\n  type: ml4dqm-csv\n  files: [${JSON.stringify(path)}]\n${H2D}`,
      `lanes-${lanes}-${badRows}.yaml`,
    );
    const loaded = await loadPipeline(pipeline, { env: {} });
    const root = join(path, '..');
    const client = openCsvSession({
      files: [path],
      root,
      baseUrl: pathToFileURL(root).href,
      description: 'test',
      workers: 3,
      badRows,
    });
    try {
      const session = csvSessionOf(client)!;
      return await runCsvStream(loaded.pipeline.streams[0], {
        ...session.options,
        pool: session.pool(),
        outRoot: out,
        configHash: loaded.configHash,
        resume: false,
        logger: silentLogger,
        lanes,
        batchRows: 7,
        read: { rangeBytes: 64 << 10, blockBytes: 16 << 10 },
      });
    } finally {
      await client.close();
    }
  }

  /** The file with bad rows at `at` (1-based lines): a histo one value too long. */
  async function withBadRows(name: string, at: number[]): Promise<string> {
    const copy = [...lines];
    for (const l of at) copy[l - 1] = copy[l - 1].replace('"[', '"[1, ');
    const path = join(dir, name);
    await writeFile(path, copy.join('\n'));
    return path;
  }

  it('gives the dataset of one lane', async () => {
    const path = join(data, 'small_2D.csv');
    const one = await exportLanes(path, join(dir, 'out-1'), 1);
    const three = await exportLanes(path, join(dir, 'out-3'), 3);
    expect(three.records).toBe(720);
    expect(one.records).toBe(720);
    const a = await datasetChecksums(join(dir, 'out-1', 'h2d'));
    expect(a.length).toBe(6);
    expect(await datasetChecksums(join(dir, 'out-3', 'h2d'))).toEqual(a);
  }, 120_000);

  it('fails on the first bad row of the file, even when a later lane meets its bad row first', async () => {
    // Line 600 is in the third lane (rows 480-719), line 200 deep in the first (rows 0-239).
    const path = await withBadRows('bad-lanes.csv', [200, 600]);
    const out = join(dir, 'out-bad-fail');
    const err = await exportLanes(path, out, 3).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_CSV_ROW', context: { file: path, line: 200 } });
    // Slices that ended before the failure (run 1 in the first lane, others in the second) left no file.
    expect((await listFiles(join(out, 'h2d'))).filter((f) => f.endsWith('.parquet'))).toEqual([]);
  }, 120_000);

  it('lists rejected rows in file order', async () => {
    const bad = [3, 250, 480, 700];
    const path = await withBadRows('reject-lanes.csv', bad);
    const out = join(dir, 'out-bad-reject');
    const summary = await exportLanes(path, out, 3, 'reject');
    expect([summary.records, summary.rejects]).toEqual([720 - bad.length, bad.length]);
    const rejects = (await readFile(join(out, 'h2d', '.dqm-export', 'rejects.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { line: number }).line);
    expect(rejects).toEqual(bad);
  }, 120_000);
});
