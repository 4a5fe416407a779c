/**
 * A shard's share of an output root. Shards of one export write into the same directory at the same
 * time (a shared filesystem: EOS, CephFS, NFS), so a shard touches only what carries its own tag:
 * part files `part-sNNNN-*`, its journal `.dqm-export/shard-sNNNN.jsonl` and its manifest
 * `.dqm-export/shards/sNNNN.json`. The dataset-level `.dqm-export/manifest.json` and `_SUCCESS` are
 * written by `finalize` only, and removed by any shard that starts writing (the dataset is no longer
 * complete then).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { ConfigError, InputError } from '../errors.js';
import { removeFile, TEMP_PREFIX, writeFileAtomic } from '../load/atomic.js';
import { VERSION } from '../version.js';
import { readJournal, resetJournal, type JournalFile, type JournalState } from './journal.js';
import { MANIFEST_PATH, migrateLegacyLayout, pathExists, SHARDS_DIR, shardTag, SUCCESS_PATH } from './layout.js';
import {
  isOwnDataFile,
  listDatasetFiles,
  uncommitDataset,
  type OutputMode,
  type PreparedOutput,
} from './output-root.js';

/** Journal file name of a shard. */
export function shardJournalName(index: number): string {
  return `shard-${shardTag(index)}.jsonl`;
}

/** Relative path of a shard's manifest. */
export function shardManifestPath(index: number): string {
  return `${SHARDS_DIR}/${shardTag(index)}.json`;
}

const SHARD_FILE = /^(?:\.tmp-)?part-s(\d{4,})-/;

/** The shard index in a data file name (`run=1/part-s0003-ab12-00000.parquet` -> 3), or null. */
export function shardOfFile(rel: string): number | null {
  const m = SHARD_FILE.exec(posix.basename(rel));
  return m ? Number(m[1]) : null;
}

/** What a shard records when it has committed every slice assigned to it. */
export interface ShardManifest {
  shardManifestVersion: 1;
  tool: { name: 'dqm-export'; version: string };
  stream: string;
  shard: number;
  shards: number;
  configHash: string;
  planHash: string;
  /** Token-free list URL of the stream's endpoint. */
  source: string;
  endpoint: string;
  /** Slices assigned to this shard, and the keys it committed (all of them: the manifest is written last). */
  assigned: number;
  slices: string[];
  files: JournalFile[];
  rows: number;
  rejects: number;
  /**
   * How each committed slice was proven complete (slice key -> proof, e.g. `lumisection-counts`), where
   * the source names one; `finalize` carries them into the dataset manifest. Absent in manifests of
   * older versions and for sources that name no proof.
   */
  completeness?: Record<string, string>;
  startedAt: string;
  finishedAt: string;
}

/** Writes a shard manifest atomically. */
export async function writeShardManifest(root: string, manifest: ShardManifest): Promise<void> {
  await writeFileAtomic(join(root, shardManifestPath(manifest.shard)), JSON.stringify(manifest, null, 2) + '\n');
}

/** Every shard manifest in the root, by shard index; unreadable ones are errors naming the file. */
export async function readShardManifests(root: string): Promise<Map<number, ShardManifest>> {
  const out = new Map<number, ShardManifest>();
  let names: string[];
  try {
    names = await readdir(join(root, SHARDS_DIR));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  for (const name of names.sort()) {
    if (!/^s\d{4,}\.json$/.test(name)) continue;
    const file = join(root, SHARDS_DIR, name);
    let m: ShardManifest;
    try {
      m = JSON.parse(await readFile(file, 'utf8')) as ShardManifest;
    } catch (err) {
      throw new InputError('E_SHARD_MANIFEST', `cannot read shard manifest ${file}: ${(err as Error).message}`, {
        file,
      });
    }
    if (
      m.shardManifestVersion !== 1 ||
      !Number.isInteger(m.shard) ||
      !Array.isArray(m.files) ||
      (m.completeness !== undefined && (typeof m.completeness !== 'object' || m.completeness === null))
    ) {
      throw new InputError('E_SHARD_MANIFEST', `${file} is not a dqm-export shard manifest`, { file });
    }
    out.set(m.shard, m);
  }
  return out;
}

/** Options of `prepareShardOutput`. */
export interface ShardPrepareOptions {
  mode: OutputMode;
  resume: boolean;
  configHash: string;
  planHash: string;
  stream: string;
  index: number;
  count: number;
}

/**
 * Applies mode / resume to this shard's share of the root and returns the committed slices to skip.
 * - resume (same config and plan): keep this shard's committed files, delete its uncommitted ones;
 * - error: refuse when this shard's files or a finalized dataset are there;
 * - overwrite: delete this shard's files and manifest, files of an unsharded dataset, and files of
 *   shards beyond the count; other shards' files are never touched.
 * In every case the dataset-level manifest and `_SUCCESS` go: the dataset is being changed.
 */
export async function prepareShardOutput(root: string, o: ShardPrepareOptions): Promise<PreparedOutput> {
  await migrateLegacyLayout(root);
  const journalName = shardJournalName(o.index);
  const journal = await readJournal(root, journalName);
  const files = await listDatasetFiles(root);
  const mine = (rel: string) => shardOfFile(rel) === o.index;
  const ownManifest = shardManifestPath(o.index);

  if (o.resume && journal.configHash !== null) {
    if (journal.configHash !== o.configHash || (journal.planHash ?? null) !== o.planHash) {
      throw new ConfigError(
        'E_RESUME_CONFIG_CHANGED',
        `cannot resume shard ${o.index} of stream ${o.stream} in ${root}: the pipeline or the plan changed since the interrupted run; run the shard without --resume`,
        { file: root },
      );
    }
    const keep = new Set<string>();
    for (const entry of journal.slices.values()) for (const f of entry.files) keep.add(f.path);
    // A shard that completed is left as it is (a batch engine retrying it changes nothing); one that
    // was interrupted loses its uncommitted files, and the dataset is no longer complete.
    if (!journal.done) {
      await uncommitDataset(root, { keepManifest: false });
      await removeFiles(
        root,
        files.filter((rel) => mine(rel) && !keep.has(rel)),
      );
    }
    return { journal, keptFiles: [] };
  }

  // A shard run that committed nothing (e.g. its first request was refused) left nothing to
  // continue: its own uncommitted files go, and it does not stand in the way of the next run.
  if (journal.configHash !== null && !journal.done && journal.slices.size === 0) {
    await removeFiles(root, files.filter(mine));
    await resetJournal(root, journalName);
    return prepareShardOutput(root, o);
  }
  const finalized = (await pathExists(join(root, SUCCESS_PATH))) || (await pathExists(join(root, MANIFEST_PATH)));
  if (o.mode === 'error' && (finalized || files.some(mine) || (await pathExists(join(root, ownManifest))))) {
    throw new ConfigError(
      'E_OUTPUT_EXISTS',
      `output ${root} for stream ${o.stream} already holds shard ${o.index}'s files or a finalized dataset; set output.mode to overwrite, or add --resume`,
      {
        file: root,
      },
    );
  }
  const foreign = files.filter((rel) => !isOwnDataFile(rel));
  // A directory with only foreign files is not ours to clean; one with our files may hold leftovers.
  if (foreign.length && foreign.length === files.length) {
    throw new ConfigError(
      'E_OUTPUT_FOREIGN',
      `refusing to write shard ${o.index} into ${root}: it holds files dqm-export did not write (e.g. ${foreign[0]}); choose an empty or dqm-export output path`,
      {
        file: root,
      },
    );
  }
  const stale = (rel: string) => {
    const shard = shardOfFile(rel);
    if (shard !== null) return shard === o.index || shard >= o.count;
    // Another shard's temporary is not ours to delete.
    if (posix.basename(rel).startsWith(TEMP_PREFIX)) return false;
    // A file of an unsharded dataset: not part of the new one. A foreign file is never deleted.
    return isOwnDataFile(rel);
  };
  await uncommitDataset(root, { keepManifest: false });
  const staleManifests = [...(await readShardManifestNames(root)).entries()]
    .filter(([shard]) => shard === o.index || shard >= o.count)
    .map(([, rel]) => rel);
  await removeFiles(root, [...staleManifests, ...files.filter(stale)]);
  await resetJournal(root, journalName);
  return { journal: { configHash: null, slices: new Map(), done: false } satisfies JournalState, keptFiles: [] };
}

/** Shard index -> relative path of every shard manifest in the root (temporaries excluded). */
async function readShardManifestNames(root: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const names = await readdir(join(root, SHARDS_DIR)).catch(() => [] as string[]);
  for (const name of names) {
    const m = /^s(\d{4,})\.json$/.exec(name);
    if (m) out.set(Number(m[1]), `${SHARDS_DIR}/${name}`);
  }
  return out;
}

async function removeFiles(root: string, rels: readonly string[]): Promise<void> {
  for (const rel of rels) await removeFile(join(root, rel));
}

/** Builds this shard's manifest. */
export function shardManifest(
  input: Omit<ShardManifest, 'shardManifestVersion' | 'tool' | 'rows' | 'finishedAt'>,
): ShardManifest {
  const { completeness, ...rest } = input;
  const out: ShardManifest = {
    shardManifestVersion: 1,
    tool: { name: 'dqm-export', version: VERSION },
    ...rest,
    rows: input.files.reduce((n, f) => n + f.rows, 0),
    finishedAt: new Date().toISOString(),
  };
  // Only the proofs of this shard's committed slices, in key order (stable bytes for equal runs).
  const committed = new Set(input.slices);
  const proofs = Object.entries(completeness ?? {})
    .filter(([key]) => committed.has(key))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (proofs.length) out.completeness = Object.fromEntries(proofs);
  return out;
}
