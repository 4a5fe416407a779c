/**
 * DIALS crashes: the built CLI, exporting from `serve --api dials` (the captures' fixture data), is
 * killed with SIGKILL at every named crash point (src/crash-points.ts: a fetch, a batch handed to the
 * encoder, a row group on disk, between a rename and its journal commit, right after a commit, while
 * a manifest or `_SUCCESS` is written), once more in the third stream and once against a faulty
 * server. Right after each kill no visible file is temporary or partial and no `_SUCCESS` stands over
 * an inconsistent manifest; `--resume` (in process, or the CLI) then skips exactly the committed
 * slices and produces a dataset equal to a clean run's, row for row, proofs included. The DIALS
 * counterpart of crash.test.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_ENV, CRASH_POINTS } from '../../src/crash-points.js';
import type { RunningServer } from '../../src/server/index.js';
import { startDialsFixtureServer } from '../helpers/dials.js';
import { closeDuckDB } from '../helpers/duckdb.js';
import {
  DIALS_ENV,
  DIALS_STREAMS,
  dialsChecksums,
  dialsPipeline,
  journalLines,
  manifestProofs,
  runDialsInProcess,
  type DialsChecksum,
} from './dials-helpers.js';
import {
  completeDatasetViolations,
  datasetViolations,
  removeTempDirs,
  runCli,
  tempDir,
  writePipeline,
} from './helpers.js';

interface Scenario {
  name: string;
  /** DQM_EXPORT_CRASH_AT value. */
  crash: string;
  /** Resume with `run --resume` (a new process) instead of in process. */
  cliResume?: boolean;
  /** Export from the faulty server (the killed run and the resume). */
  faulty?: boolean;
  /** What the kill must have left behind. */
  landed?: (out: string) => Promise<void>;
}

const success = (out: string, stream: string): boolean => existsSync(join(out, stream, '.dqm-export', '_SUCCESS'));
const slicesCommitted = async (out: string, stream: string): Promise<number> =>
  (await journalLines(join(out, stream))).filter((l) => l.type === 'slice').length;
/**
 * Slices committed when the kill came at the `n`th commit of a stream: that one and those before it,
 * and perhaps the next ones of the same group commit (slices committing together share a journal
 * write, src/group-flush.ts), never more than the stream's `of`.
 */
const committedAtLeast = async (out: string, stream: string, n: number, of: number): Promise<void> => {
  const committed = await slicesCommitted(out, stream);
  expect(committed).toBeGreaterThanOrEqual(n);
  expect(committed).toBeLessThanOrEqual(of);
};

// The run: th1 (5 run slices, a file each), th2 (the same), ls (2 dataset slices). Renames count data
// files, then each stream's manifest and _SUCCESS: th1's are renames 6 and 7.
const SCENARIOS: Scenario[] = [
  { name: 'the first request (workspace check)', crash: `${CRASH_POINTS.fetch}:1` },
  { name: 'a fetch in the middle of th1', crash: `${CRASH_POINTS.fetch}:20` },
  { name: 'a batch handed to the Parquet encoder', crash: `${CRASH_POINTS.batch}:3` },
  { name: 'a row group in a temporary file', crash: `${CRASH_POINTS.rowGroup}:2` },
  {
    name: 'after the first rename, before its journal commit',
    crash: `${CRASH_POINTS.rename}:1`,
    cliResume: true,
    landed: async (out) => expect(await slicesCommitted(out, 'th1')).toBe(0),
  },
  {
    name: 'right after the second th1 slice committed',
    crash: `${CRASH_POINTS.commit}:2`,
    landed: async (out) => {
      await committedAtLeast(out, 'th1', 2, 5);
      expect(success(out, 'th1')).toBe(false);
    },
  },
  {
    name: 'while writing the th1 manifest',
    crash: `${CRASH_POINTS.manifest}:1`,
    landed: async (out) => expect(existsSync(join(out, 'th1', '.dqm-export', 'manifest.json'))).toBe(false),
  },
  {
    name: 'after the th1 manifest rename, before _SUCCESS',
    crash: `${CRASH_POINTS.rename}:6`,
    landed: async (out) => {
      expect(existsSync(join(out, 'th1', '.dqm-export', 'manifest.json'))).toBe(true);
      expect(success(out, 'th1')).toBe(false);
    },
  },
  { name: 'while writing th1 _SUCCESS', crash: `${CRASH_POINTS.success}:1` },
  {
    name: 'in th2, th1 complete',
    crash: `${CRASH_POINTS.commit}:8`,
    cliResume: true,
    landed: async (out) => {
      expect(success(out, 'th1')).toBe(true);
      await committedAtLeast(out, 'th2', 3, 5);
    },
  },
  {
    name: 'in the lumisection stream, th1 and th2 complete',
    crash: `${CRASH_POINTS.commit}:11`,
    landed: async (out) => {
      expect(success(out, 'th2')).toBe(true);
      await committedAtLeast(out, 'ls', 1, 2);
    },
  },
  {
    name: 'under faults (fail, reset, truncate, 504/502s on big pages)',
    crash: `${CRASH_POINTS.commit}:7`,
    faulty: true,
  },
];

const TEST_TIMEOUT_MS = 300_000;

describe('DIALS: SIGKILL at every crash point, then --resume, equals a clean run', () => {
  let clean: RunningServer;
  let faulty: RunningServer;
  const reference: Record<string, DialsChecksum[]> = {};
  const proofs: Record<string, Record<string, string> | undefined> = {};

  beforeAll(async () => {
    clean = await startDialsFixtureServer();
    faulty = await startDialsFixtureServer({
      failRate: 0.1,
      resetRate: 0.03,
      truncateRate: 0.03,
      gatewayTimeoutBytes: 150_000,
      seed: 7,
    });
    const dir = await tempDir('dials-crash-clean-');
    const summary = await runDialsInProcess(await writePipeline(dir, dialsPipeline(clean.url)), dir);
    expect(summary.exitCode).toBe(0);
    for (const name of DIALS_STREAMS) {
      reference[name] = await dialsChecksums(join(dir, name));
      proofs[name] = await manifestProofs(join(dir, name));
    }
  }, 240_000);

  afterAll(async () => {
    await clean?.close();
    await faulty?.close();
    closeDuckDB();
    await removeTempDirs();
  });

  it('covers every crash point', () => {
    const covered = new Set(SCENARIOS.map((s) => s.crash.split(':')[0]));
    expect([...covered].sort()).toEqual(Object.values(CRASH_POINTS).sort());
  });

  async function crashAndResume(scenario: Scenario): Promise<void> {
    const out = await tempDir('dials-crash-');
    const file = await writePipeline(out, dialsPipeline((scenario.faulty ? faulty : clean).url));
    const args = ['run', file, '--out', out, '--log-level', 'warn'];
    const killed = await runCli(args, { env: { ...DIALS_ENV, [CRASH_ENV]: scenario.crash }, timeoutMs: 180_000 });
    expect(killed.signal, `${scenario.crash}: ${killed.stderr}`).toBe('SIGKILL');
    for (const name of DIALS_STREAMS) expect(await datasetViolations(join(out, name)), name).toEqual([]);
    await scenario.landed?.(out);
    const committed: Record<string, number> = {};
    const done: Record<string, boolean> = {};
    for (const name of DIALS_STREAMS) {
      const lines = await journalLines(join(out, name));
      committed[name] = lines.filter((l) => l.type === 'slice').length;
      done[name] = lines.some((l) => l.type === 'done');
    }

    let summary: { streams: Array<{ stream: string; slicesSkipped: number }> };
    if (scenario.cliResume) {
      const resumed = await runCli([...args, '--resume'], { env: DIALS_ENV, timeoutMs: 180_000 });
      expect(resumed.code, resumed.stderr).toBe(0);
      summary = JSON.parse(resumed.stdout.trim().split('\n').pop()!) as typeof summary;
    } else {
      summary = await runDialsInProcess(file, out, true);
    }
    for (const name of DIALS_STREAMS) {
      const root = join(out, name);
      expect(await completeDatasetViolations(root), name).toEqual([]);
      const got = await dialsChecksums(root);
      expect(got, name).toEqual(reference[name]);
      for (const p of got) expect(p.keys, `${name} ${p.partition}`).toBe(p.rows);
      expect(await manifestProofs(root), name).toEqual(proofs[name]);
      // An interrupted stream skips exactly what its journal committed.
      if (!done[name])
        expect(summary.streams.find((s) => s.stream === name)!.slicesSkipped, name).toBe(committed[name]);
    }
  }

  // Two scenarios at a time: each is mostly a child process, and the CI machine has two cores.
  const limit = pLimit(2);
  for (const scenario of SCENARIOS) {
    it.concurrent(
      `killed ${scenario.name} (${scenario.crash})`,
      () => limit(() => crashAndResume(scenario)),
      TEST_TIMEOUT_MS,
    );
  }
});
