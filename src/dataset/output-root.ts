/**
 * Preparing a stream's output root before a run, per `mode` and `--resume`:
 * - resume: keep what the journal committed, delete everything else (temporaries, and files a slice
 *   renamed into place but never committed), refuse if the pipeline changed since;
 * - error: refuse a non-empty root (hinting at --resume when an interrupted run is there);
 * - overwrite: delete the previous dataset, but only one that dqm-export wrote (never a foreign dir);
 * - append: keep the previous dataset's committed files and add to them.
 * A mode that cleans (resume, overwrite, append) refuses a non-empty directory that is not a
 * dqm-export dataset (E_OUTPUT_FOREIGN), and in any directory deletes only files dqm-export names
 * (`part-*` data files and `.tmp-*` temporaries, see `isOwnDataFile`): a user's own file is never deleted.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join, posix, sep } from 'node:path';
import { ConfigError, InputError } from '../errors.js';
import { removeFile, TEMP_PREFIX } from '../load/atomic.js';
import { readJournal, resetJournal, type JournalFile, type JournalState } from './journal.js';
import {
  MANIFEST_NAME,
  MANIFEST_PATH,
  migrateLegacyLayout,
  pathExists,
  STATE_DIR,
  SUCCESS_NAME,
  SUCCESS_PATH,
} from './layout.js';

export type OutputMode = 'overwrite' | 'error' | 'append';

/** Where a stream's run starts from. */
export interface PreparedOutput {
  /** Committed slices of the interrupted run being resumed (empty otherwise). */
  journal: JournalState;
  /** Files of a previous complete dataset kept by `append`. */
  keptFiles: JournalFile[];
}

/** Every regular file under root, relative and `/`-separated, except dqm-export's state dir. */
export async function listDatasetFiles(root: string): Promise<string[]> {
  if (!(await pathExists(root))) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    // `parentPath` is there from Node 20.12 (engines: >= 20.19).
    const rel = join(e.parentPath, e.name)
      .slice(root.length + 1)
      .split(sep)
      .join('/');
    if (rel === STATE_DIR || rel.startsWith(STATE_DIR + '/')) continue;
    out.push(rel);
  }
  return out.sort();
}

/** Files listed by a previous run's manifest, or [] when there is none. */
export async function readManifestFiles(root: string): Promise<JournalFile[]> {
  const path = join(root, MANIFEST_PATH);
  try {
    const manifest = JSON.parse(await readFile(path, 'utf8')) as { files?: JournalFile[] };
    return Array.isArray(manifest.files) ? manifest.files : [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new InputError('E_OUTPUT_MANIFEST', `cannot read the previous manifest ${path}: ${(err as Error).message}`, {
      file: path,
    });
  }
}

/**
 * Marks the dataset in `root` as being changed: the commit marker goes first, then (unless
 * `keepManifest`, for append, whose manifest names the kept files until the new one replaces it)
 * the manifest, so there is never a marker without its manifest.
 */
export async function uncommitDataset(root: string, options: { keepManifest: boolean }): Promise<void> {
  await removeFile(join(root, SUCCESS_PATH));
  if (!options.keepManifest) await removeFile(join(root, MANIFEST_PATH));
  // Temporaries of a manifest or marker whose writer was killed (they sit in .dqm-export/, which
  // listDatasetFiles leaves out). Nothing else writes them while a run or a shard is starting.
  const partial = [MANIFEST_NAME, SUCCESS_NAME].map((name) => `${TEMP_PREFIX}${name}-`);
  for (const name of await readdir(join(root, STATE_DIR)).catch(() => [] as string[])) {
    if (partial.some((p) => name.startsWith(p))) await removeFile(join(root, STATE_DIR, name));
  }
}

/**
 * True for a data file name dqm-export writes: `part-*` (every sink's prefix starts so: `part-<slice>`,
 * `part-<append tag>-`, `part-sNNNN-`) or a `.tmp-*` temporary. Only these are ever deleted.
 */
export function isOwnDataFile(rel: string): boolean {
  const name = posix.basename(rel);
  return name.startsWith('part-') || name.startsWith(TEMP_PREFIX);
}

/** Deletes every data file of dqm-export's under root that `keep` does not name, then empty dirs. */
async function removeUnlisted(root: string, keep: Set<string>): Promise<void> {
  for (const rel of await listDatasetFiles(root)) {
    if (isOwnDataFile(rel) && !keep.has(rel)) await removeFile(join(root, rel));
  }
  await removeEmptyDirs(root, root);
}

const MODE_VERB: Record<OutputMode, string> = { overwrite: 'overwrite', append: 'append to', error: 'write into' };

/**
 * Refuses to clean or add to `root` unless it is empty or a dqm-export dataset (a manifest in
 * `.dqm-export/`, the legacy top-level one having been migrated there, or a journal).
 */
function refuseForeign(root: string, existing: readonly string[], ours: boolean, mode: OutputMode): void {
  if (ours || existing.length === 0) return;
  throw new ConfigError(
    'E_OUTPUT_FOREIGN',
    `refusing to ${MODE_VERB[mode]} ${root}: it holds ${existing.length} files (e.g. ${existing[0]}) and no dqm-export manifest (${MANIFEST_PATH}) or journal; expected an empty directory or a dqm-export dataset: choose another output path`,
    { file: root },
  );
}

/** Removes empty directories under `dir` (never `root`'s state dir); true when `dir` itself ended up empty. */
export async function removeEmptyDirs(root: string, dir: string): Promise<boolean> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const e of entries) {
    if (e.isDirectory()) {
      if (e.name === STATE_DIR && dir === root) {
        empty = false;
        continue;
      }
      const sub = join(dir, e.name);
      if (await removeEmptyDirs(root, sub)) await rm(sub, { recursive: true, force: true });
      else empty = false;
    } else empty = false;
  }
  return empty;
}

/** Applies the mode / resume policy to a stream's output root. */
export async function prepareOutputRoot(
  root: string,
  options: { mode: OutputMode; resume: boolean; configHash: string; stream: string },
): Promise<PreparedOutput> {
  await migrateLegacyLayout(root);
  const journal = await readJournal(root);
  const existing = await listDatasetFiles(root);
  const started = journal.configHash !== null && !journal.done;
  // A run that committed nothing (e.g. its first request was refused) left nothing to continue:
  // its uncommitted files go, and it does not stand in the way of the next run, in any mode.
  if (started && journal.slices.size === 0 && !options.resume) {
    const kept = await readManifestFiles(root);
    // The manifest and marker (under .dqm-export/, never listed) stay as they were.
    await removeUnlisted(root, new Set(kept.map((f) => f.path)));
    await resetJournal(root);
    return prepareOutputRoot(root, options);
  }
  const interrupted = started;

  if (options.resume && journal.done && journal.configHash === options.configHash) {
    // This stream finished before the crash (a later stream was interrupted): keep it as it is.
    const committed = new Set([...journal.slices.values()].flatMap((e) => e.files.map((f) => f.path)));
    return { journal, keptFiles: (await readManifestFiles(root)).filter((f) => !committed.has(f.path)) };
  }
  if (options.resume && interrupted) {
    if (journal.configHash !== options.configHash) {
      throw new ConfigError(
        'E_RESUME_CONFIG_CHANGED',
        `cannot resume stream ${options.stream} in ${root}: the pipeline changed since the interrupted run (config hash ${String(journal.configHash).slice(0, 12)} vs ${options.configHash.slice(0, 12)}); run without --resume`,
        { file: root },
      );
    }
    const kept = options.mode === 'append' ? await readManifestFiles(root) : [];
    // The previous manifest stays until the new one replaces it atomically: it is what names the
    // kept files if this run is interrupted again.
    await uncommitDataset(root, { keepManifest: kept.length > 0 });
    const keep = new Set<string>(kept.map((f) => f.path));
    for (const entry of journal.slices.values()) for (const f of entry.files) keep.add(f.path);
    await removeUnlisted(root, keep);
    return { journal, keptFiles: kept };
  }

  const fresh: JournalState = { configHash: null, slices: new Map(), done: false };
  const hasManifest = await pathExists(join(root, MANIFEST_PATH));
  const hasDataset = existing.length > 0 || hasManifest;
  if (options.mode === 'error' && (hasDataset || interrupted)) {
    const hint = interrupted
      ? 'an interrupted run is there: add --resume to continue it'
      : 'set output.mode to overwrite or append';
    throw new ConfigError(
      'E_OUTPUT_EXISTS',
      `output ${root} for stream ${options.stream} is not empty (${existing.length} files); ${hint}`,
      {
        file: root,
      },
    );
  }
  refuseForeign(root, existing, hasManifest || journal.configHash !== null, options.mode);
  if (options.mode === 'overwrite' && hasDataset) {
    await uncommitDataset(root, { keepManifest: false });
    await removeUnlisted(root, new Set());
  }
  if (options.mode === 'append') {
    const kept = await readManifestFiles(root);
    await uncommitDataset(root, { keepManifest: kept.length > 0 });
    // Files of an interrupted append that never committed are not part of the dataset.
    await removeUnlisted(root, new Set(kept.map((f) => f.path)));
    await resetJournal(root);
    return { journal: fresh, keptFiles: kept };
  }
  await resetJournal(root);
  return { journal: fresh, keptFiles: [] };
}
