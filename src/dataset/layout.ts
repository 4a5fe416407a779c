/**
 * The names of a dataset directory's own files, in one place, and where they live. A dataset `D`
 * holds its data files (`D/run=315705/part-*.parquet`, `.tmp-*` while being written) and, under
 * `D/.dqm-export/`, dqm-export's bookkeeping: the manifest and the commit marker (written last:
 * present means complete), the journals, the shard manifests of a sharded run, rejects and the
 * incremental cursor. `.dqm-export/` is a name every reader skips (pyarrow and pandas skip `.` and
 * `_` prefixes, Hugging Face `datasets` only `.`, polars reads a bare directory only when every
 * file in it is Parquet), so a dataset opens by its directory path alone (README "Reading the output").
 *
 * Versions up to 0.1 wrote `manifest.json`, `_SUCCESS` and `_shards/` at the top of the dataset.
 * `migrateLegacyLayout` moves them into place when a run, a shard or `finalize` opens such a dataset,
 * so `--resume`, `append` and `finalize` keep working on them.
 */
import { readdir, readFile, rename, rmdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Stream } from '../config/index.js';
import { toDqmError } from '../errors.js';
import { ensureDirectory, removeFile, syncDirectory } from '../load/atomic.js';

/** Directory for dqm-export's own bookkeeping inside an output root. */
export const STATE_DIR = '.dqm-export';

/** Default journal file name; a shard keeps its own (`shard-0003.jsonl`) so shards never share one. */
export const JOURNAL_NAME = 'journal.jsonl';

/** File name of the dataset manifest written at the end of a run. */
export const MANIFEST_NAME = 'manifest.json';

/** File name of the commit marker, written after the manifest: its presence means the dataset is complete. */
export const SUCCESS_NAME = '_SUCCESS';

/** The dataset manifest, relative to the root. */
export const MANIFEST_PATH = `${STATE_DIR}/${MANIFEST_NAME}`;

/** The commit marker, relative to the root. */
export const SUCCESS_PATH = `${STATE_DIR}/${SUCCESS_NAME}`;

/** Directory of the shard manifests (`sNNNN.json`), relative to the root. */
export const SHARDS_DIR = `${STATE_DIR}/shards`;

/** The names versions up to 0.1 used, at the top of the root. */
export const LEGACY = { manifest: MANIFEST_NAME, success: SUCCESS_NAME, shardsDir: '_shards' } as const;

/** `sNNNN`: the shard id in file names; zero-padded so names sort by shard. */
export function shardTag(index: number): string {
  return 's' + String(index).padStart(4, '0');
}

/** Absolute output root of a stream. */
export function streamRoot(stream: Stream, outRoot: string): string {
  return isAbsolute(stream.output.path) ? stream.output.path : resolve(outRoot, stream.output.path);
}

/** True when `path` holds a manifest that dqm-export wrote (a foreign `manifest.json` is left alone). */
async function isOurManifest(path: string): Promise<boolean> {
  try {
    const m = JSON.parse(await readFile(path, 'utf8')) as { tool?: { name?: unknown } };
    return m.tool?.name === 'dqm-export';
  } catch {
    return false;
  }
}

/** True when something (file, directory, link target) exists at `path`; any stat error counts as absent. */
export async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Moves `from` to `to` unless `to` exists (then `from` is a stale copy and goes). */
async function moveInto(from: string, to: string): Promise<void> {
  if (await pathExists(to)) await removeFile(from);
  else await rename(from, to);
}

/**
 * Moves the bookkeeping of a dataset written by version 0.1 (top-level `manifest.json`, `_SUCCESS`,
 * `_shards/sNNNN.json`) under `.dqm-export/`. The manifest moves before the marker, so a crash in
 * between leaves a dataset that the next call finishes migrating, and a complete dataset stays
 * complete. Idempotent; returns the relative paths it moved. Throws E_FS_* on a filesystem error.
 */
export async function migrateLegacyLayout(root: string): Promise<string[]> {
  const moved: string[] = [];
  const manifest = join(root, LEGACY.manifest);
  const legacyShards = join(root, LEGACY.shardsDir);
  const legacyManifest = await isOurManifest(manifest);
  // `_SUCCESS` alone is no proof that the dataset is ours: it moves only with (or after) our manifest.
  const ours = legacyManifest || (await isOurManifest(join(root, MANIFEST_PATH)));
  const success = ours && (await pathExists(join(root, LEGACY.success)));
  // No legacy shard directory (the usual case) reads as no shard manifests to move.
  const shardNames = (await readdir(legacyShards).catch(() => [] as string[]))
    .filter((n) => /^s\d{4,}\.json$/.test(n))
    .sort();
  if (!legacyManifest && !success && shardNames.length === 0) return moved;
  try {
    await ensureDirectory(join(root, STATE_DIR));
    if (shardNames.length) {
      await ensureDirectory(join(root, SHARDS_DIR));
      for (const name of shardNames) {
        await moveInto(join(legacyShards, name), join(root, SHARDS_DIR, name));
        moved.push(`${LEGACY.shardsDir}/${name}`);
      }
      await syncDirectory(join(root, SHARDS_DIR));
      await rmdir(legacyShards).catch(() => {});
    }
    if (legacyManifest) {
      await moveInto(manifest, join(root, MANIFEST_PATH));
      moved.push(LEGACY.manifest);
      await syncDirectory(join(root, STATE_DIR));
    }
    if (success) {
      await moveInto(join(root, LEGACY.success), join(root, SUCCESS_PATH));
      moved.push(LEGACY.success);
      await syncDirectory(join(root, STATE_DIR));
    }
    await syncDirectory(root);
  } catch (err) {
    throw toDqmError(err);
  }
  return moved;
}
