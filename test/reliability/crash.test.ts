/**
 * Crashes: the built CLI is killed with SIGKILL (no handler runs, nothing is flushed) at named points
 * (during a fetch, mid row group, between a rename and its journal commit, in the middle of a
 * multi-file slice, while the manifest or `_SUCCESS` is being written) via DQM_EXPORT_CRASH_AT, and
 * at seeded random times. After each kill the output directory must hold no visible temporary or
 * partial file and no `_SUCCESS` over an inconsistent manifest; `run --resume` must then produce a
 * dataset identical, partition checksum for partition checksum, to an uninterrupted run's, skipping
 * exactly the slices the journal had committed.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { CRASH_ENV } from '../../src/crash-points.js';
import { closeDuckDB } from '../helpers/duckdb.js';
import {
  completeDatasetViolations,
  datasetChecksums,
  datasetViolations,
  listFiles,
  pipelineYaml,
  runCli,
  runInProcess,
  soakScale,
  removeTempDirs,
  tempDir,
  visibleDataFiles,
  writeCsvData,
  writePipeline,
  type CliResult,
  type PartitionChecksum,
  type StreamYaml,
} from './helpers.js';

// 2D histograms of the real shape (56 x 72, float64: 32 KB per record), 34 per run: each h2d file
// holds two row groups (1 MiB is 32 records), so a kill can land between them. h2d slices span two runs, so a
// slice commits two partition files and a kill can land between their renames.
const SHAPE = { runs: 3, ls: 17, titles: 2, x1: 20, x2: 56, y2: 72 };
const STREAMS: StreamYaml[] = [
  { name: 'h1d', endpoint: 'lumisection_histograms_1d', slice: '{by: run}', partitionBy: ['run'] },
  {
    name: 'h2d',
    endpoint: 'lumisection_histograms_2d',
    slice: '{by: run-range, size: 2}',
    partitionBy: ['run'],
    outputExtra: 'row_group_mb: 1',
  },
];
const NAMES = STREAMS.map((s) => s.name);

/** Journal lines of a stream root. */
async function journal(root: string): Promise<{ type: string; key?: string; files?: { path: string }[] }[]> {
  const path = join(root, '.dqm-export', 'journal.jsonl');
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return []; // a torn last line
      }
    });
}

/** What a named crash point must have left behind, checked on the killed run's output. */
type Landing = (out: string) => Promise<void>;

/** `.tmp-part-*` files with content. */
async function nonEmptyTemporaries(root: string): Promise<string[]> {
  const temps = (await listFiles(root)).filter((p) => /(^|\/)\.tmp-part-/.test(p));
  const sizes = await Promise.all(temps.map(async (p) => (await stat(join(root, p))).size));
  return temps.filter((_, i) => sizes[i] > 0);
}

const tmpNamed = async (root: string, name: string): Promise<boolean> =>
  (await listFiles(root)).some((p) => p.startsWith(`.tmp-${name}-`));

interface Scenario {
  name: string;
  /** DQM_EXPORT_CRASH_AT value, or a delay in ms after spawn. */
  crash: string | number;
  /**
   * Resume with the CLI (`run --resume`, a new process); otherwise in this process through the same
   * `runPipeline(..., {resume: true})` that the command calls, which saves a process start-up.
   */
  cliResume?: boolean;
  landed?: Landing;
}

/** A tiny seeded PRNG (mulberry32) for the random kill times. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Soak-only named points (CI keeps ten named kills plus the timed ones). */
const SOAK_NAMED: Scenario[] = [
  { name: 'a batch handed to the Parquet encoder', crash: 'batch:2' },
  {
    name: 'after the manifest rename, before _SUCCESS',
    crash: 'rename:4',
    landed: async (out) => {
      expect(existsSync(join(out, 'h1d', '.dqm-export', 'manifest.json'))).toBe(true);
      expect(existsSync(join(out, 'h1d', '.dqm-export', '_SUCCESS'))).toBe(false);
    },
  },
];

const NAMED: Scenario[] = [
  { name: 'the first request (planning)', crash: 'fetch:1' },
  { name: 'a fetch in the middle of the h1d export', crash: 'fetch:9' },
  {
    name: 'with the first Parquet bytes in a temporary h1d file',
    crash: 'row-group:1',
    landed: async (out) => expect(await nonEmptyTemporaries(join(out, 'h1d'))).not.toEqual([]),
  },
  {
    // h1d files are one chunk each (occurrences 1-3); each h2d file is two row groups (4-9).
    name: 'mid-file: an h2d file with a row group on disk and more to come',
    crash: 'row-group:5',
    landed: async (out) => expect(await nonEmptyTemporaries(join(out, 'h2d'))).not.toEqual([]),
  },
  {
    name: 'after the first rename, before its journal commit',
    crash: 'rename:1',
    cliResume: true,
    landed: async (out) => {
      const committed = (await journal(join(out, 'h1d'))).flatMap((e) => e.files ?? []).map((f) => f.path);
      const visible = await visibleDataFiles(join(out, 'h1d'));
      // That file, and perhaps another slice's renamed meanwhile: slices commit beside the export
      // (src/pipeline/commit-queue.ts), and a rename the kill interrupted may have landed.
      expect(visible.filter((p) => !committed.includes(p)).length).toBeGreaterThanOrEqual(1);
      expect(committed).toEqual([]);
    },
  },
  {
    name: 'right after the second h1d slice committed',
    crash: 'commit:2',
    landed: async (out) => {
      // The second, and perhaps more of the same group commit (slices committing together share a
      // journal write, src/group-flush.ts).
      expect((await journal(join(out, 'h1d'))).filter((e) => e.type === 'slice').length).toBeGreaterThanOrEqual(2);
      expect(existsSync(join(out, 'h1d', '.dqm-export', '_SUCCESS'))).toBe(false);
    },
  },
  {
    name: 'between the renames of a two-partition h2d slice',
    crash: 'rename:7',
    landed: async (out) => expect((await visibleDataFiles(join(out, 'h2d'))).length).toBeGreaterThan(0),
  },
  {
    name: 'while writing the h1d manifest',
    crash: 'manifest:1',
    landed: async (out) => {
      expect(await tmpNamed(join(out, 'h1d', '.dqm-export'), 'manifest.json')).toBe(true);
      expect(existsSync(join(out, 'h1d', '.dqm-export', 'manifest.json'))).toBe(false);
    },
  },
  {
    name: 'while writing _SUCCESS',
    crash: 'success:1',
    landed: async (out) => expect(await tmpNamed(join(out, 'h1d', '.dqm-export'), '_SUCCESS')).toBe(true),
  },
  {
    name: 'while writing the h2d manifest (h1d complete)',
    crash: 'manifest:2',
    cliResume: true,
    landed: async (out) => {
      expect(existsSync(join(out, 'h1d', '.dqm-export', '_SUCCESS'))).toBe(true);
      expect(await tmpNamed(join(out, 'h2d', '.dqm-export'), 'manifest.json')).toBe(true);
    },
  },
  {
    name: 'after the last _SUCCESS, before the journal says done',
    crash: 'rename:10',
    landed: async (out) => expect(existsSync(join(out, 'h2d', '.dqm-export', '_SUCCESS'))).toBe(true),
  },
];

const TIMED = soakScale(2, 30);
/** Generous: a test may wait for the two-at-a-time limiter before its own minute of work. */
const TEST_TIMEOUT_MS = 300_000;

describe('SIGKILL at any point, then run --resume', () => {
  let server: RunningServer;
  let pipeline = '';
  let env: NodeJS.ProcessEnv = {};
  const reference: Record<string, PartitionChecksum[]> = {};
  let cleanMs = 0;
  const scenarios: Scenario[] = [...NAMED, ...soakScale<Scenario[]>([], SOAK_NAMED)];

  beforeAll(async () => {
    const dir = await tempDir();
    await writeCsvData(dir, SHAPE);
    // A little latency so that a run lasts long enough for kills at random times to land inside it.
    server = await startServer({ port: 0, dataDirs: [dir], pageSize: 12, latencyMs: 5, jitterMs: 10 });
    pipeline = await writePipeline(dir, pipelineYaml(STREAMS, { concurrency: 4 }));
    env = { DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: server.userToken };
    const out = await tempDir();
    const clean = await runCli(['run', pipeline, '--out', out], { env });
    expect(clean.code, clean.stderr).toBe(0);
    cleanMs = clean.ms;
    for (const name of NAMES) {
      expect(await completeDatasetViolations(join(out, name))).toEqual([]);
      reference[name] = await datasetChecksums(join(out, name));
    }
    expect(reference.h2d.map((p) => p.rows)).toEqual([34, 34, 34]);
  });

  afterAll(async () => {
    await server?.close();
    closeDuckDB();
    await removeTempDirs();
  });

  async function crashAndResume(scenario: Scenario): Promise<void> {
    const out = await tempDir();
    const args = ['run', pipeline, '--out', out];
    let killed: CliResult;
    if (typeof scenario.crash === 'string') {
      killed = await runCli(args, { env: { ...env, [CRASH_ENV]: scenario.crash } });
    } else {
      killed = await runCli(args, { env, killAfterMs: scenario.crash });
    }
    if (typeof scenario.crash === 'string' || killed.signal !== null) {
      expect(killed.signal, `${scenario.crash}: ${killed.stderr}`).toBe('SIGKILL');
    } else {
      expect(killed.code, killed.stderr).toBe(0); // the run beat the timer: nothing to resume, still must be right
    }
    // Right after the kill: nothing temporary or partial is visible, no _SUCCESS over a bad manifest.
    for (const name of NAMES) expect(await datasetViolations(join(out, name)), name).toEqual([]);
    await scenario.landed?.(out);
    const committed = Object.fromEntries(
      await Promise.all(
        NAMES.map(async (n) => [n, (await journal(join(out, n))).filter((e) => e.type === 'slice').length] as const),
      ),
    );
    const done = Object.fromEntries(
      await Promise.all(
        NAMES.map(async (n) => [n, (await journal(join(out, n))).some((e) => e.type === 'done')] as const),
      ),
    );

    let summary: { streams: { stream: string; slicesSkipped: number }[] };
    if (scenario.cliResume) {
      const resumed = await runCli([...args, '--resume'], { env });
      expect(resumed.code, resumed.stderr).toBe(0);
      summary = JSON.parse(resumed.stdout.trim().split('\n').pop()!) as typeof summary;
    } else {
      summary = await runInProcess(pipeline, { url: server.url, token: server.userToken, outDir: out, resume: true });
    }
    for (const name of NAMES) {
      const root = join(out, name);
      expect(await completeDatasetViolations(root), name).toEqual([]);
      expect(await datasetChecksums(root), name).toEqual(reference[name]);
      // An interrupted stream skips exactly what its journal committed.
      if (!done[name])
        expect(summary.streams.find((s) => s.stream === name)!.slicesSkipped, name).toBe(committed[name]);
    }
  }

  // Two scenarios at a time: each is mostly a child process, and the machine has two cores.
  const limit = pLimit(2);
  for (const scenario of scenarios) {
    it.concurrent(
      `killed ${scenario.name} (${scenario.crash})`,
      () => limit(() => crashAndResume(scenario)),
      TEST_TIMEOUT_MS,
    );
  }

  const random = prng(20251126);
  for (let i = 0; i < TIMED; i++) {
    // Process start-up takes about half of a clean run: later kills land in the export itself.
    const fraction = 0.5 + 0.48 * random();
    it.concurrent(
      `killed at a random time #${i + 1} (${Math.round(fraction * 100)} % of a clean run)`,
      () =>
        limit(() =>
          crashAndResume({ name: `random #${i + 1}`, crash: Math.round(fraction * cleanMs), cliResume: i === 0 }),
        ),
      TEST_TIMEOUT_MS,
    );
  }
});
