/**
 * Sharded exports of ml4dqm-csv sources (the built CLI): `plan --shards 3 --write-plan` assigns whole
 * files to shards; three `run --plan --shard I` processes, one of them SIGKILLed after its first
 * file's commit and rerun with `--resume` (reading only the file it had not committed), then
 * `finalize --verify`: the dataset equals a single run's, row for row (DuckDB). Without a plan file,
 * `--shard I/N` assigns files by size and gives the same dataset.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDuckDB } from '../helpers/duckdb.js';
import {
  datasetChecksums,
  removeTempDirs,
  runCli,
  tempDir,
  writeCsvData,
  writePipeline,
  summaryLine,
} from '../reliability/helpers.js';

const STREAMS = `streams:
  - {name: h1d, endpoint: lumisection_histograms_1d, slice: {by: run}, output: {path: h1d, partition_by: [run]}}
  - name: h2d
    endpoint: lumisection_histograms_2d
    slice: {by: run}
    filters: {title: [PXLayer_0, PXLayer_2]}
    transform: {layout: tensor, dtype: float32}
    output: {path: h2d, partition_by: [run]}
`;

interface PlanJson {
  shards: number;
  streams: {
    name: string;
    slices: { key: string; shard: number; estimate: { records: number }; csv: { rows: number; runs: number[] } }[];
  }[];
}

let dir: string;
let data: string;
let pipeline: string;
let reference: { h1d: unknown; h2d: unknown };
const FILES = 6;

async function checksums(out: string): Promise<{ h1d: unknown; h2d: unknown }> {
  return { h1d: await datasetChecksums(join(out, 'h1d')), h2d: await datasetChecksums(join(out, 'h2d')) };
}

beforeAll(async () => {
  dir = await tempDir('dqm-csv-shards-');
  data = join(dir, 'data');
  await mkdir(data);
  // Six files of different sizes: three 2D and three 1D, runs overlapping between two of them.
  for (let k = 0; k < FILES / 2; k++) {
    const gen = join(dir, `gen-${k}`);
    await mkdir(gen);
    await writeCsvData(gen, { runs: 2 + k, ls: 6, titles: 3, x1: 20, x2: 16, y2: 8, run0: 330000 + k * 10 });
    await copyFile(join(gen, 'small_2D.csv'), join(data, `era-${k}_2D.csv`));
    await copyFile(join(gen, 'small_1D.csv'), join(data, `era-${k}_1D.csv`));
  }
  pipeline = await writePipeline(
    data,
    `version: 1\nname: csv-shards\nsource: {type: ml4dqm-csv, files: ["*.csv"]}\n${STREAMS}`,
  );
  const out = join(dir, 'single');
  const single = await runCli(['run', pipeline, '--out', out, '--no-progress']);
  expect(single.code, single.stderr).toBe(0);
  reference = await checksums(out);
  expect((reference.h2d as unknown[]).length).toBeGreaterThan(3);
}, 240_000);

afterAll(async () => {
  closeDuckDB();
  await removeTempDirs();
});

describe('sharded CSV export', () => {
  it('plan --shards 3: one unit per file with its scan facts, every file in one shard, records as a run writes them', async () => {
    const planFile = join(dir, 'plan.json');
    const r = await runCli(['plan', pipeline, '--shards', '3', '--write-plan', planFile, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(await readFile(planFile, 'utf8')) as PlanJson;
    expect(JSON.parse(r.stdout)).toMatchObject({ shards: 3 });
    expect(plan.shards).toBe(3);
    for (const s of plan.streams) {
      expect(s.slices.map((x) => x.key).sort()).toEqual(
        Array.from({ length: FILES / 2 }, (_, k) => [`file=era-${k}_1D.csv`, `file=era-${k}_2D.csv`])
          .flat()
          .sort(),
      );
      for (const x of s.slices) expect(x.csv.rows).toBeGreaterThan(0);
    }
    // Shards balanced by the bytes a stream exports: every shard gets 2D rows to parse.
    const h2d = plan.streams.find((s) => s.name === 'h2d')!;
    expect(new Set(h2d.slices.filter((x) => x.estimate.records > 0).map((x) => x.shard))).toEqual(new Set([0, 1, 2]));
    const rows = (p: unknown) => (p as { rows: number }[]).reduce((n, x) => n + x.rows, 0);
    expect(h2d.slices.reduce((n, x) => n + x.estimate.records, 0)).toBe(rows(reference.h2d));
    const h1d = plan.streams.find((s) => s.name === 'h1d')!;
    expect(h1d.slices.reduce((n, x) => n + x.estimate.records, 0)).toBe(rows(reference.h1d));
  }, 180_000);

  it('3 shards, one SIGKILLed after its first file and rerun with --resume, then finalize --verify: the single run, row for row', async () => {
    const planFile = join(dir, 'plan.json');
    const plan = JSON.parse(await readFile(planFile, 'utf8')) as PlanJson;
    const out = join(dir, 'sharded');
    const shardRun = (i: number, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
      runCli(['run', pipeline, '--out', out, '--no-progress', '--plan', planFile, '--shard', String(i), ...extra], {
        env,
        timeoutMs: 120_000,
      });
    // The victim: a shard with two or more files in the first stream, killed after committing one.
    const h1d = plan.streams[0];
    const victim = [0, 1, 2].find((i) => h1d.slices.filter((s) => s.shard === i).length >= 2)!;
    expect(victim).toBeDefined();
    for (const i of [0, 1, 2].filter((i) => i !== victim)) {
      const r = await shardRun(i);
      expect(r.code, r.stderr).toBe(0);
    }
    const killed = await shardRun(victim, [], { DQM_EXPORT_CRASH_AT: 'commit:1' });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const early = await runCli(['finalize', pipeline, '--out', out, '--plan', planFile]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(new RegExp(`E_FINALIZE_INCOMPLETE.*missing shards: ${victim}\\b`));
    expect(existsSync(join(out, 'h1d', '.dqm-export', '_SUCCESS'))).toBe(false);

    const resumed = await shardRun(victim, ['--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    // The file committed before the kill was not read again: the stream read only the others of the shard.
    const mine = h1d.slices.filter((s) => s.shard === victim).map((s) => join(data, s.key.slice('file='.length)));
    const summary = summaryLine<{ streams: { bytesIn: number }[] }>(resumed);
    const committedFirst = JSON.parse(
      (await readFile(join(out, 'h1d', '.dqm-export', `shard-s${String(victim).padStart(4, '0')}.jsonl`), 'utf8'))
        .split('\n')
        .find((l) => l.includes('"type":"slice"'))!,
    ) as { key: string };
    const rest = mine.filter((p) => !p.endsWith(committedFirst.key.slice('file='.length)));
    expect(rest.length).toBe(mine.length - 1);
    expect(summary.streams[0].bytesIn).toBe(rest.reduce((n, p) => n + statSync(p).size, 0));

    const done = await runCli(['finalize', pipeline, '--out', out, '--plan', planFile, '--verify']);
    expect(done.code, done.stderr).toBe(0);
    expect(existsSync(join(out, 'h2d', '.dqm-export', '_SUCCESS'))).toBe(true);
    expect(await checksums(out)).toEqual(reference);
  }, 300_000);

  it('--shard I/N without a plan file assigns files by size; finalize --shards N gives the single run', async () => {
    const out = join(dir, 'hashed');
    for (const i of [0, 1]) {
      const r = await runCli(['run', pipeline, '--out', out, '--no-progress', '--shard', `${i}/2`], {
        timeoutMs: 120_000,
      });
      expect(r.code, r.stderr).toBe(0);
    }
    const f = await runCli(['finalize', pipeline, '--out', out, '--shards', '2', '--verify']);
    expect(f.code, f.stderr).toBe(0);
    expect(await checksums(out)).toEqual(reference);
  }, 300_000);

  it('refuses a plan whose files are no longer those of the source, and settings that need one process', async () => {
    const planFile = join(dir, 'plan.json');
    const extra = join(data, 'era-9_2D.csv');
    await copyFile(join(data, 'era-0_2D.csv'), extra);
    const stale = await runCli(['run', pipeline, '--out', join(dir, 'stale'), '--plan', planFile, '--shard', '0']);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/E_PLAN_STALE.*does not list the files the source has now/);
    const { rm } = await import('node:fs/promises');
    await rm(extra);
    const capped = await writePipeline(
      data,
      `version: 1\nname: capped\nsource: {type: ml4dqm-csv, files: ["*.csv"]}\nstreams:\n  - {name: h2d, endpoint: lumisection_histograms_2d, max_records: 5, output: {path: h2d}}\n`,
      'capped.yaml',
    );
    const r = await runCli(['plan', capped, '--shards', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/E_SHARD_UNSUPPORTED.*max_records/);
  }, 240_000);
});
