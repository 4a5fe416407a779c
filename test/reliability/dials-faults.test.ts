/**
 * DIALS under faults: seeded runs against `serve --api dials` (the captures' fixture data) that fail
 * requests (500/502/503/429), reset connections mid-body, truncate bodies and add latency; in one
 * profile, th2 pages over 150 kB also answer the gateway's 504 or 502, so every th2 walk shrinks its
 * `page_size` at the same cursor position and grows it back after fast pages. Every run's dataset
 * must equal a fault-free run's, partition by partition (DuckDB checksums over every value), with no
 * natural key twice and the same completeness proof for every slice. One seed runs the real thing:
 * `dqm-export serve --api dials` with the fault flags and `dqm-export run`.
 *
 * In-process runs, two at a time (the CI machine has two cores); SOAK=1 runs more seeds.
 */
import { join } from 'node:path';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer, ServerOptions } from '../../src/server/index.js';
import { DIALS_MAP, startDialsFixtureServer, writeDialsCsv, CAPTURE_TOKEN } from '../helpers/dials.js';
import { closeDuckDB } from '../helpers/duckdb.js';
import { spawnServeCli } from '../helpers/server.js';
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
import { completeDatasetViolations, removeTempDirs, runCli, soakScale, tempDir, writePipeline } from './helpers.js';

const TRANSPORT: ServerOptions = { failRate: 0.1, resetRate: 0.03, truncateRate: 0.03, latencyMs: 2, jitterMs: 10 };
/** th2 pages of 20 fixture records are ~250 kB: over the limit, so every walk shrinks and grows back. */
const GATEWAY: ServerOptions = { ...TRANSPORT, gatewayTimeoutBytes: 150_000 };

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
const PROFILES: Array<{ name: string; faults: ServerOptions; seeds: number[] }> = [
  { name: 'fail, reset, truncate, latency', faults: TRANSPORT, seeds: range(1, soakScale(3, 20)) },
  { name: 'the same plus 504/502s on big th2 pages', faults: GATEWAY, seeds: range(101, soakScale(3, 20)) },
];
const TEST_TIMEOUT_MS = soakScale(240_000, 900_000);

let clean: RunningServer;
const reference: Record<string, DialsChecksum[]> = {};
const proofs: Record<string, Record<string, string> | undefined> = {};

beforeAll(async () => {
  clean = await startDialsFixtureServer();
  const dir = await tempDir('dials-faults-clean-');
  const summary = await runDialsInProcess(await writePipeline(dir, dialsPipeline(clean.url)), dir);
  expect(summary.exitCode).toBe(0);
  for (const name of DIALS_STREAMS) {
    reference[name] = await dialsChecksums(join(dir, name));
    proofs[name] = await manifestProofs(join(dir, name));
  }
  expect(reference.th2.map((p) => p.rows)).toEqual([120, 120, 120, 120, 120]);
  expect(Object.values(proofs.th2 ?? {})).toEqual(Array(5).fill('lumisection-counts'));
}, 120_000);

afterAll(async () => {
  await clean?.close();
  closeDuckDB();
  await removeTempDirs();
});

/** The dataset under `out` equals the clean run's, stream by stream, proofs included. */
async function expectClean(out: string, label: string): Promise<void> {
  for (const name of DIALS_STREAMS) {
    const root = join(out, name);
    expect(await completeDatasetViolations(root), `${label} ${name}`).toEqual([]);
    const got = await dialsChecksums(root);
    expect(got, `${label} ${name}`).toEqual(reference[name]);
    for (const p of got) expect(p.keys, `${label} ${name} ${p.partition}`).toBe(p.rows);
    expect(await manifestProofs(root), `${label} ${name}`).toEqual(proofs[name]);
  }
}

describe('DIALS: seeded faults, each run equal to a fault-free one', () => {
  const limit = pLimit(2);
  for (const profile of PROFILES) {
    for (const seed of profile.seeds) {
      it.concurrent(
        `${profile.name}, seed ${seed}`,
        () =>
          limit(async () => {
            const server = await startDialsFixtureServer({ ...profile.faults, seed });
            try {
              const out = await tempDir('dials-faults-');
              const summary = await runDialsInProcess(await writePipeline(out, dialsPipeline(server.url)), out);
              expect(summary.exitCode).toBe(0);
              await expectClean(out, `seed ${seed}`);
              const retries = summary.streams.reduce((n, s) => n + s.retries, 0);
              expect(retries, 'faults were injected and retried').toBeGreaterThan(0);
              if (profile.faults.gatewayTimeoutBytes) {
                // Every th2 slice met the gateway and walked on with smaller pages.
                const reports = (await journalLines(join(out, 'th2'))).filter((l) => l.type === 'slice');
                expect(reports).toHaveLength(5);
                for (const r of reports) expect(Number(r.report?.pageSizeReductions), r.key).toBeGreaterThan(0);
              }
            } finally {
              await server.close();
            }
          }),
        TEST_TIMEOUT_MS,
      );
    }
  }

  it.concurrent(
    'the real commands: serve --api dials with fault flags, run',
    () =>
      limit(async () => {
        const data = await tempDir('dials-faults-data-');
        writeDialsCsv(data);
        const serve = await spawnServeCli([
          '--api',
          'dials',
          '--data',
          data,
          '--dials-map',
          DIALS_MAP,
          '--dials-token',
          CAPTURE_TOKEN,
          '--fail-rate',
          '0.1',
          '--reset-rate',
          '0.03',
          '--truncate-rate',
          '0.03',
          '--gateway-timeout-bytes',
          '150000',
          '--seed',
          '42',
        ]);
        try {
          const out = await tempDir('dials-faults-cli-');
          const file = await writePipeline(out, dialsPipeline(serve.url));
          const r = await runCli(['run', file, '--out', out, '--log-level', 'warn'], {
            env: DIALS_ENV,
            timeoutMs: 180_000,
          });
          expect(r.code, r.stderr).toBe(0);
          await expectClean(out, 'cli');
        } finally {
          await serve.close();
        }
      }),
    TEST_TIMEOUT_MS,
  );
});
