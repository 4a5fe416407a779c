/**
 * Where a dataset's bookkeeping lives. Everything that is not data goes under `.dqm-export/`, a name
 * every reader skips (pyarrow and pandas skip `.` and `_` prefixes, Hugging Face `datasets` only `.`,
 * polars reads a bare directory only when every file in it is Parquet): the manifest, the commit
 * marker, the journals, the shard manifests, rejects and the incremental cursor. So a dataset opens
 * by its directory path alone (README "Reading the output").
 *
 * Versions up to 0.1 wrote `manifest.json`, `_SUCCESS` and `_shards/` at the top of the dataset.
 * `migrateLegacyLayout` moves them into place when a run, a shard or `finalize` opens such a dataset,
 * so `--resume`, `append` and `finalize` keep working on them.
 */
import { readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDirectory, syncDirectory } from '../load/atomic.js';
import { toDqmError } from '../errors.js';

/** The bookkeeping directory inside a dataset root. */
export const STATE_DIR = '.dqm-export';
/** The dataset manifest, relative to the root. */
export const MANIFEST_PATH = `${STATE_DIR}/manifest.json`;
/** The commit marker, relative to the root: written last, its presence means the dataset is complete. */
export const SUCCESS_PATH = `${STATE_DIR}/_SUCCESS`;
/** The directory of the shard manifests (`sNNNN.json`), relative to the root. */
export const SHARDS_DIR = `${STATE_DIR}/shards`;

/** The names versions up to 0.1 used, at the top of the root. */
export const LEGACY = { manifest: 'manifest.json', success: '_SUCCESS', shardsDir: '_shards' } as const;

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
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

/** Moves `from` to `to` unless `to` exists (then `from` is a stale copy and goes). */
async function moveInto(from: string, to: string): Promise<void> {
  if (await exists(to)) await rm(from, { force: true });
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
  const success = ours && (await exists(join(root, LEGACY.success)));
  let shardNames: string[] = [];
  try {
    shardNames = (await readdir(legacyShards)).filter((n) => /^s\d{4,}\.json$/.test(n)).sort();
  } catch {
    shardNames = [];
  }
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
