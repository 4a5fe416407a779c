/**
 * What the DIALS reliability tests share: the pipeline (th1 and th2 by run, partitioned; lumisections
 * by dataset, proven by `count/`), an in-process run with the captures' token, and what a dataset is
 * compared on: per-partition checksums over every column with the natural key distinct, the
 * manifest's completeness proofs, and the journal's slice reports.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPipeline } from '../../src/config/index.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import type { RunSummary } from '../../src/pipeline/summary.js';
import { CAPTURE_TOKEN } from '../helpers/dials.js';
import { sqlString } from '../helpers/duckdb.js';
import { captureLogger, duck } from './helpers.js';

/** The streams of the DIALS reliability pipeline. */
export const DIALS_STREAMS = ['th1', 'th2', 'ls'] as const;

/** The pipeline against `url`: 20-record pages, so each run slice is several pages. */
export function dialsPipeline(url: string, o: { concurrency?: number; retries?: number } = {}): string {
  return `version: 1
name: dials-reliability
source:
  type: dials
  url: '${url}'
  page_size: 20
  retries: ${o.retries ?? 10}
  concurrency: ${o.concurrency ?? 4}
streams:
  - name: th1
    endpoint: th1
    slice: {by: run}
    output: {path: th1, partition_by: [run_number]}
  - name: th2
    endpoint: th2
    slice: {by: run}
    output: {path: th2, partition_by: [run_number]}
  - name: ls
    endpoint: lumisection
    slice: {by: dataset}
    output: {path: ls}
`;
}

/** The environment a DIALS run needs (the captures' token). */
export const DIALS_ENV = { DIALS_TOKEN: CAPTURE_TOKEN };

/** Runs the pipeline file in this process (the same `runPipeline` the `run` command calls). */
export async function runDialsInProcess(file: string, outDir: string, resume = false): Promise<RunSummary> {
  const env = { ...process.env, ...DIALS_ENV };
  const loaded = await loadPipeline(file, { env });
  return runPipeline(loaded, { logger: captureLogger([], 'info'), env, outDir, resume });
}

/** One partition (or the whole unpartitioned stream) as DuckDB reads it back. */
export interface DialsChecksum {
  partition: string;
  rows: number;
  /** Distinct natural keys (equals `rows` when nothing is duplicated). */
  keys: number;
  /** md5 over the sorted md5s of every row, all columns. */
  checksum: string;
}

/** Per-partition checksums of a stream's dataset. */
export async function dialsChecksums(root: string): Promise<DialsChecksum[]> {
  const glob = sqlString(join(root, '**', '*.parquet'));
  const partitioned = !root.endsWith('ls');
  const key = partitioned ? "'run_number=' || CAST(run_number AS VARCHAR)" : "'all'";
  const natural = partitioned ? '(dataset_id, run_number, ls_number, me_id)' : '(dataset_id, run_number, ls_number)';
  const { rows } = await duck(
    `SELECT ${key} AS partition, count(*) AS rows, count(DISTINCT ${natural}) AS keys,
            md5(string_agg(h, ',' ORDER BY h)) AS checksum
       FROM (SELECT *, md5(CAST(t AS VARCHAR)) AS h FROM read_parquet(${glob}, hive_partitioning = ${partitioned}) t)
      GROUP BY 1 ORDER BY 1`,
  );
  return rows.map((r) => ({
    partition: String(r.partition),
    rows: Number(r.rows),
    keys: Number(r.keys),
    checksum: String(r.checksum),
  }));
}

/** The completeness proofs a dataset's manifest records (slice key -> proof). */
export async function manifestProofs(root: string): Promise<Record<string, string> | undefined> {
  const m = JSON.parse(await readFile(join(root, '.dqm-export', 'manifest.json'), 'utf8')) as {
    completeness?: Record<string, string>;
  };
  return m.completeness;
}

/** Journal lines of a stream root (a torn last line skipped). */
export async function journalLines(
  root: string,
): Promise<Array<{ type: string; key?: string; report?: Record<string, unknown> }>> {
  const path = join(root, '.dqm-export', 'journal.jsonl');
  if (!existsSync(path)) return [];
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { type: string; key?: string; report?: Record<string, unknown> }];
      } catch {
        return [];
      }
    });
}
