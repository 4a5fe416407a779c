/**
 * Atomic file publication: write under a dot-prefixed temporary name in the target directory, fsync,
 * rename, fsync the directory. Readers (and globbers of `*.parquet`) never see a partial file, and an
 * interrupted run leaves only `.tmp-*` names, which `cleanTemporaries` removes.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { DqmExportError, toDqmError } from '../errors.js';
import { crashPoint, type CrashPointName } from '../crash-points.js';
import { KeyedGroupFlush } from '../group-flush.js';

/** Prefix of every temporary file and directory we create. */
export const TEMP_PREFIX = '.tmp-';

/** True for names made by `temporaryPathFor` (and so never part of an output). */
export function isTemporaryName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

/** A fresh temporary path next to `finalPath`: `.tmp-<name>-<random>` in the same directory (same filesystem, so rename is atomic). */
export function temporaryPathFor(finalPath: string): string {
  return join(dirname(finalPath), `${TEMP_PREFIX}${basename(finalPath)}-${randomBytes(6).toString('hex')}`);
}

/**
 * `toDqmError` for a failed file operation, naming `path` when the system error does not: write,
 * fsync and close errors carry no path, and "ENOSPC: no space left on device, write" alone does not
 * say which output filled up.
 */
export function fsError(err: unknown, path: string): DqmExportError {
  const e = err as NodeJS.ErrnoException | undefined;
  if (!(err instanceof DqmExportError) && e && typeof e === 'object' && typeof e.code === 'string' && !e.path) {
    return toDqmError(Object.assign(new Error(`cannot write ${path}: ${e.message}`), { code: e.code, path }));
  }
  return toDqmError(err);
}

/**
 * `mkdir -p` whose error says why: Node's recursive mkdir reports ENOENT when the directory cannot
 * be made because its parent is on a read-only filesystem (EROFS), which reads as "missing". On
 * ENOENT the first missing component is made alone, whose error is the real one. Throws E_FS_*.
 */
export async function ensureDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw toDqmError(err);
    let missing = dir;
    while (
      dirname(missing) !== missing &&
      !(await stat(dirname(missing)).then(
        () => true,
        () => false,
      ))
    )
      missing = dirname(missing);
    try {
      await mkdir(missing);
      await mkdir(dir, { recursive: true });
    } catch (real) {
      throw toDqmError(real);
    }
  }
}

/** Whether a directory's fsync failed only because the filesystem does not do it (not an error). */
function directorySyncRefused(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EINVAL' || code === 'EISDIR' || code === 'EPERM' || code === 'EBADF';
}

/** fsyncs a directory so a rename in it survives a crash. Some filesystems refuse; that is not an error. */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch (err) {
    if (!directorySyncRefused(err)) throw toDqmError(err);
  } finally {
    await handle?.close();
  }
}

/** `syncDirectory`, blocking (writeFileAtomic's). */
function syncDirectoryNow(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch (err) {
    if (!directorySyncRefused(err)) throw toDqmError(err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Directory syncs of `commitFile`, grouped per directory: files renamed into one directory while
 * its last sync ran share the next one (src/group-flush.ts).
 */
const directorySyncs = new KeyedGroupFlush(syncDirectory);

/** Renames a finished, synced temporary file to its final name and syncs the directory. */
export async function commitFile(temporaryPath: string, finalPath: string): Promise<void> {
  try {
    await rename(temporaryPath, finalPath);
  } catch (err) {
    throw toDqmError(err);
  }
  crashPoint('rename');
  await directorySyncs.request(dirname(finalPath));
}

/**
 * Removes a file, ignoring one that is already gone. `unlink`, not `rm(path, { force: true })`:
 * Node's `rm` loads its rimraf module even for one file, ~1 ms of a one-record `run` (compiled
 * without its code cache, the command's V8 flags being set by then).
 */
export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw toDqmError(err);
  });
}

/** Removes a temporary file, ignoring one that is already gone. */
export async function removeTemporary(path: string): Promise<void> {
  await removeFile(path);
}

/**
 * Writes `data` to `path` atomically (temporary name, fsync, rename, directory fsync). `crashAt`
 * names the crash point reached between the synced temporary file and the rename (tests only).
 * The steps after the directory exists are blocking calls: what this writes (manifests, `_SUCCESS`,
 * plans, reports) is written once a stream or command has nothing else in flight, and each awaited
 * step was a round trip through libuv's thread pool: the last ~5 ms of a one-record `run`
 * (docs/decisions.md, "CLI start-up: a run's last small files written with blocking calls").
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  crashAt?: CrashPointName,
): Promise<void> {
  await ensureDirectory(dirname(path));
  const tmp = temporaryPathFor(path);
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (crashAt) crashPoint(crashAt);
    renameSync(tmp, path);
    crashPoint('rename');
    syncDirectoryNow(dirname(path));
  } catch (err) {
    await removeTemporary(tmp).catch(() => {});
    throw fsError(err, path);
  }
}

/**
 * Removes every `.tmp-*` file or directory under `root` (left by an interrupted run) and returns their
 * paths relative to `root`. A missing root is not an error. Run it only while nothing writes into
 * `root` (e.g. before shards start): an active writer's temporaries look the same.
 */
export async function cleanTemporaries(root: string): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw toDqmError(err);
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (isTemporaryName(entry.name)) {
        await rm(path, { recursive: true, force: true });
        removed.push(relative(root, path).split(sep).join('/'));
      } else if (entry.isDirectory()) {
        await walk(path);
      }
    }
  };
  await walk(root);
  return removed.sort();
}
