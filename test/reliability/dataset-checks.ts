/**
 * The reliability suite's checks of an output directory: DuckDB reads (serialised per test file),
 * per-partition checksums, file listings, and the invariants every output directory must keep (no
 * temporary or partial file visible, `_SUCCESS` only over a manifest that matches the files on disk).
 * Re-exported by helpers.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { queryParquet, sqlString } from '../helpers/duckdb.js';

// One DuckDB connection per test file: concurrent tests take turns on it.
let duckQueue: Promise<unknown> = Promise.resolve();

/** `queryParquet`, serialised (tests of a file may run concurrently; the connection is shared). */
export function duck(sql: string): ReturnType<typeof queryParquet> {
  const result = duckQueue.then(() => queryParquet(sql));
  duckQueue = result.catch(() => {});
  return result;
}

/** One partition of a dataset as DuckDB reads it back. */
export interface PartitionChecksum {
  /** `run=315705` (hive partition values), or `all` for an unpartitioned dataset. */
  partition: string;
  rows: number;
  /** Distinct `id` values (equals `rows` when nothing is duplicated). */
  ids: number;
  /** md5 over the sorted md5s of every row (all columns, partition columns included). */
  checksum: string;
}

/**
 * Per-partition checksums of the Parquet dataset under `root`, read by DuckDB with hive partitioning:
 * independent of how rows are spread over files and row groups, sensitive to every value of every row.
 */
export async function datasetChecksums(root: string, partitionBy: string[] = ['run']): Promise<PartitionChecksum[]> {
  const glob = sqlString(join(root, '**', '*.parquet'));
  const key = partitionBy.length
    ? `concat_ws('/', ${partitionBy.map((c) => `'${c}=' || CAST(${c} AS VARCHAR)`).join(', ')})`
    : `'all'`;
  const { rows } = await duck(
    `SELECT ${key} AS partition, count(*) AS rows, count(DISTINCT id) AS ids, md5(string_agg(h, ',' ORDER BY h)) AS checksum
     FROM (SELECT *, md5(CAST(t AS VARCHAR)) AS h FROM read_parquet(${glob}, hive_partitioning = ${partitionBy.length > 0}) t)
     GROUP BY 1 ORDER BY 1`,
  );
  return rows.map((r) => ({
    partition: String(r.partition),
    rows: Number(r.rows),
    ids: Number(r.ids),
    checksum: String(r.checksum),
  }));
}

/** Every regular file under `root` (hidden ones included), relative and `/`-separated, sorted. */
export async function listFiles(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

/** Paths with a segment starting with `.` or `_` are hidden from dataset readers (Spark, pyarrow, DuckDB globs of `*.parquet`). */
function isHidden(path: string): boolean {
  return path.split('/').some((segment) => segment.startsWith('.') || segment.startsWith('_'));
}

/** Files under `root` named like dqm-export temporaries (`.tmp-*`). */
export async function temporaryFiles(root: string): Promise<string[]> {
  return (await listFiles(root)).filter((p) => p.split('/').some((s) => s.startsWith('.tmp-')));
}

/** The files a reader of the dataset sees: not hidden (the manifest and marker are, under .dqm-export/). */
export async function visibleDataFiles(root: string): Promise<string[]> {
  return (await listFiles(root)).filter((p) => !isHidden(p));
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The invariants of an output directory at ANY moment, even right after a SIGKILL: every visible file
 * is a final data file (`part-*.parquet` under hive directories, never a temporary or partial name)
 * whose footer DuckDB reads, and `_SUCCESS` exists only over a manifest listing exactly the
 * visible data files with their sizes and SHA-256. Returns a list of violations (empty = fine).
 */
export async function datasetViolations(root: string): Promise<string[]> {
  const problems: string[] = [];
  const visible = await visibleDataFiles(root);
  for (const path of visible) {
    if (!/(^|\/)part-([A-Za-z0-9]+-)?[0-9a-f]{12}-\d{5}\.parquet$/.test(path))
      problems.push(`unexpected visible file ${path}`);
    try {
      // A partial file has no valid footer: reading the row count from it fails.
      await duck(`SELECT count(*) AS n FROM read_parquet(${sqlString(join(root, path))})`);
    } catch (err) {
      problems.push(`unreadable data file ${path}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (existsSync(join(root, '.dqm-export', '_SUCCESS'))) {
    if (!existsSync(join(root, '.dqm-export', 'manifest.json'))) problems.push('_SUCCESS without manifest.json');
    else {
      const manifest = JSON.parse(await readFile(join(root, '.dqm-export', 'manifest.json'), 'utf8')) as {
        files: { path: string; bytes: number; sha256: string }[];
        rows: number;
      };
      const listed = manifest.files.map((f) => f.path).sort();
      if (JSON.stringify(listed) !== JSON.stringify(visible))
        problems.push(`manifest lists ${listed.length} files, ${visible.length} visible`);
      for (const f of manifest.files) {
        if (!existsSync(join(root, f.path))) continue;
        const bytes = await readFile(join(root, f.path));
        if (bytes.length !== f.bytes || sha256(bytes) !== f.sha256)
          problems.push(`${f.path} differs from its manifest entry`);
      }
    }
  }
  return problems;
}

/** A finished dataset: no violations, no temporaries left, `_SUCCESS` present, journal ending in `done`. */
export async function completeDatasetViolations(root: string): Promise<string[]> {
  const problems = await datasetViolations(root);
  if (!existsSync(join(root, '.dqm-export', '_SUCCESS'))) problems.push('no _SUCCESS');
  const temps = await temporaryFiles(root);
  if (temps.length) problems.push(`temporaries left: ${temps.join(', ')}`);
  return problems;
}

/** Files under `root` whose bytes contain `needle` (paths relative to `root`). */
export async function filesContaining(root: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const bytes = Buffer.from(needle);
  for (const path of await listFiles(root)) {
    if ((await readFile(join(root, path))).includes(bytes)) hits.push(path);
  }
  return hits;
}
