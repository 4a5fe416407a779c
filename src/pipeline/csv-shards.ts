/**
 * Sharding a CSV histogram stream: the unit is a file (as it is the unit of commit of an unsharded
 * CSV export), each file run whole by one shard. A plan file (`plan --shards N`) scans every file
 * once, records what each scan found (rows, runs, titles, size, modification time) and assigns the
 * files to shards balanced by the bytes of their rows the stream exports; a shard then reads only
 * its own files, and plans and numbers ids from the recorded facts of the others. Without a plan
 * file (`--shard I/N`), the files are assigned by size (a `stat`, no read) and every shard scans the
 * files of the others for those facts. Why files and not run slices: docs/decisions.md.
 */
import { stat } from 'node:fs/promises';
import type { LoadedPipeline, Stream } from '../config/index.js';
import type { ShardRun } from '../dataset/targets.js';
import { ConfigError, InputError } from '../errors.js';
import type { CommittedFileReport } from '../sources/csv/file-scans.js';
import type { CsvSession } from '../sources/csv/session.js';
import { checkShardable } from './assignment.js';
import type { CsvFileUnit } from './csv-stream-plan.js';
import { planHash, type PlanFile, type PlanStream } from './plan-file.js';
import { fileKey } from './run-csv-stream.js';
import { assignShards, type ShardIndex } from './shards.js';

/**
 * Cost of scanning a file relative to exporting its rows, per byte: measured on the 26 MB bench file,
 * the scan took 0.12 s CPU where the whole export of the 517 MB file took 11.6 s CPU (0.58 s per
 * 26 MB), about 0.2 (BENCHMARKS.md, streamed CSV). A shard scans every file it owns, even one the
 * stream takes no row of (a 1D file in a 2D stream), so that cost counts in the balance too.
 */
export const CSV_SCAN_SHARE = 0.2;

/** Balancing weight of a sharded CSV file unit: the bytes of its exported rows plus its scan; undefined for other slices. */
export function csvUnitWeight(slice: { estimate?: { bytes: number }; csv?: CommittedFileReport }): number | undefined {
  if (!slice.csv) return undefined;
  return (slice.estimate?.bytes ?? 0) + CSV_SCAN_SHARE * slice.csv.size;
}

/** What one shard of a CSV stream runs. */
export interface CsvShardAssignment {
  shard: ShardRun;
  /** Indexes (in the source's file list) of the files this shard exports. */
  owned: ReadonlySet<number>;
  /** Scan facts of files from the plan file, by index (none without a plan file). */
  known: ReadonlyMap<number, CommittedFileReport>;
}

/** The plan stream of a sharded CSV stream: one slice per file, no filters of its own (the stream's apply). */
export function csvPlanStream(stream: Stream, units: readonly CsvFileUnit[]): PlanStream {
  return {
    name: stream.name,
    endpoint: stream.endpoint,
    output: stream.output.path,
    slices: units.map((u) => ({ key: u.key, filters: {}, partition: {}, estimate: u.estimate, csv: u.csv })),
  };
}

/**
 * This shard's files of a CSV stream, from the plan file's assignment, else balanced by file size.
 * Undefined when the run is not sharded. Throws E_PLAN_STALE when the plan lists other files than
 * the source has now, and the usual E_SHARD_UNSUPPORTED for settings that need one process.
 */
export async function csvShardAssignment(
  loaded: LoadedPipeline,
  stream: Stream,
  session: CsvSession,
  o: { plan?: PlanFile; shard?: ShardIndex },
): Promise<CsvShardAssignment | undefined> {
  if (!o.shard) return undefined;
  checkShardable(loaded, stream);
  const { files, root } = session.options;
  const keys = files.map((f) => fileKey(root, f));
  const { index, count } = o.shard;
  let shards: number[];
  const known = new Map<number, CommittedFileReport>();
  let hash: string;
  if (o.plan) {
    const ps = o.plan.streams.find((s) => s.name === stream.name);
    const byKey = new Map((ps?.slices ?? []).map((s) => [s.key, s]));
    const same = ps !== undefined && ps.slices.length === keys.length && keys.every((k) => byKey.get(k)?.csv);
    if (!same) {
      throw new ConfigError(
        'E_PLAN_STALE',
        `the plan file's stream ${stream.name} does not list the files the source has now (${keys.length} files, e.g. ${keys[0] ?? '-'}); write the plan again with plan --shards N --write-plan`,
        { field: `streams.${stream.name}` },
      );
    }
    shards = keys.map((k) => byKey.get(k)!.shard ?? 0);
    keys.forEach((k, i) => known.set(i, byKey.get(k)!.csv!));
    await Promise.all(files.map((f, i) => checkedFacts(f, known.get(i)!)));
    hash = o.plan.planHash;
  } else {
    // No plan: every shard computes the same assignment from the sizes alone.
    const sizes = await Promise.all(
      files.map((f) =>
        stat(f).then(
          (s) => s.size,
          (err: Error) => {
            throw new InputError('E_CSV_READ', `${f}: ${err.message}`, { file: f }, { cause: err });
          },
        ),
      ),
    );
    shards = assignShards(sizes, count);
    hash = planHash(loaded.configHash, count, [
      { name: stream.name, slices: keys.map((key, i) => ({ key, filters: {}, shard: shards[i] })) },
    ]);
  }
  const owned = new Set(shards.flatMap((s, i) => (s === index ? [i] : [])));
  return { shard: { index, count, planHash: hash, assigned: owned.size }, owned, known };
}

/**
 * The planning summary facts of a file this process does not export, from the plan file: refused
 * (E_CSV_CHANGED) when the file's size or modification time changed since the plan was written (its
 * rows may differ, and with them the ids of every later file).
 */
export async function checkedFacts(path: string, facts: CommittedFileReport): Promise<CommittedFileReport> {
  const now = await stat(path).catch((err: Error) => {
    throw new InputError('E_CSV_READ', `${path}: ${err.message}`, { file: path }, { cause: err });
  });
  if (now.size !== facts.size || now.mtimeMs !== facts.mtimeMs) {
    throw new InputError(
      'E_CSV_CHANGED',
      `${path}: changed since the plan was written (size ${facts.size} -> ${now.size} bytes); write the plan again and rerun every shard`,
      { file: path },
    );
  }
  return facts;
}
