/**
 * Resume and append across streams: when a run stops after stream 1 finished and during stream 2,
 * `--resume` keeps stream 1 exactly as it is (in every output mode) and completes stream 2 equal to a
 * clean run. Two append runs give a manifest that lists exactly the files on disk, with the second
 * run's files next to (never over) the first's.
 */
import { existsSync } from 'node:fs';
import { rename, stat, readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { closeDuckDB } from '../helpers/duckdb.js';
import { envelope, histogram1d, startScriptedServer } from './scripted-server.js';
import {
  completeDatasetViolations,
  datasetChecksums,
  HISTOGRAM_STREAMS,
  listFiles,
  pipelineYaml,
  removeTempDirs,
  runInProcess,
  tempDir,
  writeCsvData,
  writePipeline,
} from './helpers.js';

let server: RunningServer;

beforeAll(async () => {
  const data = await tempDir();
  await writeCsvData(data, { runs: 3, ls: 4, titles: 2, x1: 5, x2: 4, y2: 3 });
  server = await startServer({ port: 0, dataDirs: [data] });
});
afterAll(async () => {
  await server?.close();
  await removeTempDirs();
  closeDuckDB();
});

/** Makes stream `name` look interrupted: its last committed slice and the `done` line dropped, no `_SUCCESS`. */
async function interrupt(root: string): Promise<void> {
  const journal = join(root, '.dqm-export', 'journal.jsonl');
  const lines = (await readFile(journal, 'utf8')).trim().split('\n');
  const kept = lines.filter((l) => JSON.parse(l).type !== 'done');
  kept.pop(); // the last slice line: that slice was not committed
  await writeFile(journal, kept.join('\n') + '\n');
  await rm(join(root, '.dqm-export', '_SUCCESS'));
  await rm(join(root, '.dqm-export', 'manifest.json'));
}

async function snapshot(root: string): Promise<string[]> {
  return Promise.all((await listFiles(root)).map(async (f) => `${f}:${(await stat(join(root, f))).mtimeMs}`));
}

describe('resume after a finished stream', () => {
  it.each(['error', 'overwrite', 'append'] as const)(
    'mode %s: the finished stream is kept, the interrupted one completed',
    async (mode) => {
      const dir = await tempDir();
      const file = await writePipeline(dir, pipelineYaml(HISTOGRAM_STREAMS.map((s) => ({ ...s, mode }))));
      const opts = { url: server.url, token: server.userToken, outDir: join(dir, 'out') };
      await runInProcess(file, opts);
      const clean = {
        h1d: await datasetChecksums(join(dir, 'out', 'h1d')),
        h2d: await datasetChecksums(join(dir, 'out', 'h2d')),
      };
      await interrupt(join(dir, 'out', 'h2d'));
      const h1dBefore = await snapshot(join(dir, 'out', 'h1d'));

      const summary = await runInProcess(file, { ...opts, resume: true });
      expect(summary.streams[0].slicesSkipped).toBe(summary.streams[0].slices);
      expect(summary.streams[1].slicesSkipped).toBe(summary.streams[1].slices - 1);
      expect(await snapshot(join(dir, 'out', 'h1d'))).toEqual(h1dBefore);
      for (const s of ['h1d', 'h2d'] as const) {
        expect(await completeDatasetViolations(join(dir, 'out', s))).toEqual([]);
        expect(await datasetChecksums(join(dir, 'out', s))).toEqual(clean[s]);
      }
    },
  );
});

describe('append', () => {
  it('a second run adds files next to the first, and the manifest lists exactly the files on disk', async () => {
    const dir = await tempDir();
    const stream = {
      ...HISTOGRAM_STREAMS[1],
      mode: 'append' as const,
      filters: '{lumisection__run__run_number: 320000}',
    };
    const file = await writePipeline(dir, pipelineYaml([stream]));
    const opts = { url: server.url, token: server.userToken, outDir: join(dir, 'out') };
    const root = join(dir, 'out', 'h2d');
    await runInProcess(file, opts);
    const first = await datasetChecksums(root);
    const firstFiles = (await listFiles(root)).filter((f) => f.endsWith('.parquet'));
    await runInProcess(file, opts);
    expect(await completeDatasetViolations(root)).toEqual([]);
    const files = (await listFiles(root)).filter((f) => f.endsWith('.parquet'));
    expect(files).toHaveLength(2 * firstFiles.length);
    for (const f of firstFiles) expect(files).toContain(f);
    const manifest = JSON.parse(await readFile(join(root, '.dqm-export', 'manifest.json'), 'utf8'));
    expect(manifest.rows).toBe(2 * first.reduce((n, p) => n + p.rows, 0));
  });

  it('appends to a dataset written by version 0.1 (manifest.json and _SUCCESS at the top), moving them under .dqm-export/', async () => {
    const dir = await tempDir();
    const stream = {
      ...HISTOGRAM_STREAMS[1],
      mode: 'append' as const,
      filters: '{lumisection__run__run_number: 320000}',
    };
    const file = await writePipeline(dir, pipelineYaml([stream]));
    const opts = { url: server.url, token: server.userToken, outDir: join(dir, 'out') };
    const root = join(dir, 'out', 'h2d');
    await runInProcess(file, opts);
    const firstFiles = (await listFiles(root)).filter((f) => f.endsWith('.parquet'));
    await rename(join(root, '.dqm-export', 'manifest.json'), join(root, 'manifest.json'));
    await rename(join(root, '.dqm-export', '_SUCCESS'), join(root, '_SUCCESS'));
    await runInProcess(file, opts);
    expect(await completeDatasetViolations(root)).toEqual([]);
    expect(existsSync(join(root, 'manifest.json')) || existsSync(join(root, '_SUCCESS'))).toBe(false);
    const manifest = JSON.parse(await readFile(join(root, '.dqm-export', 'manifest.json'), 'utf8')) as {
      files: { path: string }[];
    };
    expect(manifest.files).toHaveLength(2 * firstFiles.length);
    for (const f of firstFiles) expect(manifest.files.map((x) => x.path)).toContain(f);
  });

  it('each append run keeps its own rejects file, named by its manifest', async () => {
    // One valid and one bad record (3 values for 4 bins) per run; the second run serves new ids.
    let round = 0;
    const scripted = await startScriptedServer((_req, url) => {
      if (url.pathname === '/api/runs/')
        return { status: 200, body: envelope([{ run_number: 315705, date: '2018-04-20T00:00:00Z' }]) };
      const base = round * 10;
      return { status: 200, body: envelope([histogram1d(base + 1), histogram1d(base + 2, { data: [1.0, 2.0, 3.0] })]) };
    });
    try {
      const dir = await tempDir();
      const file = await writePipeline(
        dir,
        pipelineYaml([{ name: 'h1d', endpoint: 'lumisection_histograms_1d', slice: '{by: none}', mode: 'append' }]),
      );
      const root = join(dir, 'out', 'h1d');
      const seen: string[] = [];
      for (round = 0; round < 2; round++) {
        const summary = await runInProcess(file, {
          url: scripted.url,
          token: 'x'.repeat(40),
          outDir: join(dir, 'out'),
        });
        expect(summary.exitCode).toBe(3);
        const manifest = JSON.parse(await readFile(join(root, '.dqm-export', 'manifest.json'), 'utf8')) as {
          rejects: { count: number; file: string };
        };
        expect(manifest.rejects.count).toBe(1);
        const lines = (await readFile(join(root, manifest.rejects.file), 'utf8')).trim().split('\n');
        expect(lines.map((l) => JSON.parse(l).id)).toEqual([round * 10 + 2]);
        seen.push(manifest.rejects.file);
      }
      expect(new Set(seen).size).toBe(2);
      for (const f of seen) expect((await readFile(join(root, f), 'utf8')).trim().split('\n')).toHaveLength(1);
    } finally {
      await scripted.close();
    }
  });
});

describe('a run that committed nothing', () => {
  it.each(['error', 'overwrite', 'append'] as const)(
    'mode %s: a wrong token, then the right one, runs without --resume',
    async (mode) => {
      const dir = await tempDir();
      // Unsliced list streams: no planning request, so the refused request is the stream's first, after its journal started.
      const streams = [
        { name: 'runs', endpoint: 'runs', mode },
        { name: 'ls', endpoint: 'lumisections', mode },
      ];
      const file = await writePipeline(dir, pipelineYaml(streams));
      const out = join(dir, 'out');
      await expect(
        runInProcess(file, { url: server.url, token: 'tok-wrong-0123456789', outDir: out }),
      ).rejects.toMatchObject({ code: 'E_AUTH_UNAUTHORIZED' });
      expect(existsSync(join(out, 'runs', '.dqm-export', 'journal.jsonl'))).toBe(true);
      const summary = await runInProcess(file, { url: server.url, token: server.userToken, outDir: out });
      expect(summary.streams.map((s) => s.slicesSkipped)).toEqual([0, 0]);
      for (const name of ['runs', 'ls']) expect(await completeDatasetViolations(join(out, name)), name).toEqual([]);
    },
  );
});
