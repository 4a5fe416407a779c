/**
 * A DIALS pipeline against `serve --api dials` with faults (fail, reset, truncate, gateway timeouts of
 * big pages) and SIGKILLs at crash points, then `--resume` until it succeeds, equals a clean run, row
 * for row (DuckDB checksums per partition, natural keys distinct). The DIALS counterpart of crash.test.ts.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_ENV } from '../../src/crash-points.js';
import type { RunningServer } from '../../src/server/index.js';
import { CAPTURE_TOKEN, startDialsFixtureServer } from '../helpers/dials.js';
import { sqlString } from '../helpers/duckdb.js';
import { duck, removeTempDirs, runCli, tempDir, writePipeline } from './helpers.js';

const PIPELINE = (url: string) => `version: 1
name: dials-reliability
source:
  type: dials
  url: '${url}'
  page_size: 20
  retries: 8
  concurrency: 4
streams:
  - name: th1
    endpoint: th1
    slice: {by: run}
    output: {path: th1, partition_by: [run_number]}
  - name: th2
    endpoint: th2
    slice: {by: run}
    output: {path: th2, partition_by: [run_number]}
`;

/** Per-run checksums over every column, and whether natural keys are distinct. */
async function checksums(root: string): Promise<Array<Record<string, unknown>>> {
  const glob = sqlString(join(root, '**', '*.parquet'));
  const { rows } = await duck(
    `SELECT run_number, count(*) AS n, count(DISTINCT (dataset_id, run_number, ls_number, me_id)) AS k,
            md5(string_agg(h, ',' ORDER BY h)) AS sum
       FROM (SELECT run_number, dataset_id, ls_number, me_id, md5(CAST(t AS VARCHAR)) AS h FROM read_parquet(${glob}, hive_partitioning = true) t)
      GROUP BY run_number ORDER BY run_number`,
  );
  return rows;
}

let clean: RunningServer;
let faulty: RunningServer;

beforeAll(async () => {
  clean = await startDialsFixtureServer();
  faulty = await startDialsFixtureServer({
    failRate: 0.1,
    resetRate: 0.05,
    truncateRate: 0.05,
    seed: 7,
    gatewayTimeoutBytes: 150_000,
  });
}, 120_000);

afterAll(async () => {
  await clean?.close();
  await faulty?.close();
  await removeTempDirs();
});

describe('DIALS: faults and kills, then --resume, equal a clean run', () => {
  it('crashes at fetch and commit, resumes through faults, and matches', async () => {
    const env = { DIALS_TOKEN: CAPTURE_TOKEN };
    const cleanDir = await tempDir('dials-rel-clean-');
    const ok = await runCli(
      ['run', await writePipeline(cleanDir, PIPELINE(clean.url)), '--out', cleanDir, '--log-level', 'warn'],
      { env, timeoutMs: 120_000 },
    );
    expect(ok.code, ok.stderr).toBe(0);

    const dir = await tempDir('dials-rel-faulty-');
    const file = await writePipeline(dir, PIPELINE(faulty.url));
    const first = await runCli(['run', file, '--out', dir, '--log-level', 'warn'], {
      env: { ...env, [CRASH_ENV]: 'commit:3' },
      timeoutMs: 120_000,
    });
    expect(first.signal ?? first.code).not.toBe(0);
    const second = await runCli(['run', file, '--out', dir, '--resume', '--log-level', 'warn'], {
      env: { ...env, [CRASH_ENV]: 'fetch:15' },
      timeoutMs: 120_000,
    });
    expect(second.signal ?? second.code).not.toBe(0);
    let last = await runCli(['run', file, '--out', dir, '--resume', '--log-level', 'warn'], {
      env,
      timeoutMs: 180_000,
    });
    for (let i = 0; i < 3 && last.code !== 0; i++)
      last = await runCli(['run', file, '--out', dir, '--resume', '--log-level', 'warn'], { env, timeoutMs: 180_000 });
    expect(last.code, last.stderr).toBe(0);

    for (const stream of ['th1', 'th2']) {
      const want = await checksums(join(cleanDir, stream));
      const got = await checksums(join(dir, stream));
      expect(got).toEqual(want);
      for (const r of got) expect(r.k).toBe(r.n);
    }
  }, 600_000);
});
