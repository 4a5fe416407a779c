/**
 * `source.files` of an ml4dqm-csv source to a list of files: paths and globs relative to the pipeline
 * file's directory, expanded, deduplicated and sorted the way the server orders what it discovers
 * (so ids come out as `dqm-export serve --data DIR` would assign them over the same files).
 *
 * Globs go through tinyglobby (picomatch syntax: `*`, `?`, `[...]`, `**`, `{a,b}`); like shells,
 * wildcards do not match a leading `.`. Node 20 has no fs glob of its own (`fs.promises.glob` is
 * Node 22).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError } from '../../errors.js';
import { GLOB_OPTIONS, mayBeGlob } from './scan-ahead.js';

/** Where the list came from, for messages: the pipeline file and its directory. */
export interface FilesOrigin {
  /** The pipeline file (named in every error). */
  file: string;
  /** Relative patterns resolve here. */
  dir: string;
}

/**
 * True if `pattern` has a wildcard, i.e. is a glob rather than a path. tinyglobby (and picomatch,
 * ~20 ms of module initialisation on the main thread, before a CSV run's first scan) is loaded only
 * for a pattern with a character a glob needs.
 */
export async function isGlob(pattern: string): Promise<boolean> {
  return mayBeGlob(pattern) && (await import('tinyglobby')).isDynamicPattern(pattern);
}

/** The files one glob matches, absolute (relative patterns, `..` included, resolve against `baseDir`). */
export async function expandGlob(pattern: string, baseDir: string): Promise<string[]> {
  const { glob } = await import('tinyglobby');
  return glob(pattern, { ...GLOB_OPTIONS, cwd: resolve(baseDir) });
}

function filesError(origin: FilesOrigin, message: string, path: string): ConfigError {
  return new ConfigError('E_SOURCE_FILES', `${origin.file}: source.files: ${message}`, {
    file: origin.file,
    field: 'source.files',
    path,
  });
}

/**
 * Every file named or matched by `patterns`, absolute, each once, sorted by path (the order in
 * which the server would register them). Throws ConfigError E_SOURCE_FILES naming the entry when a
 * path is missing or not a file, or a glob matches no file.
 */
export async function expandFiles(patterns: readonly string[], origin: FilesOrigin): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    if (await isGlob(pattern)) {
      let matches: string[];
      try {
        matches = await expandGlob(pattern, origin.dir);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw filesError(
          origin,
          `cannot expand ${pattern}: ${e.code ?? e.message} while listing ${e.path ?? origin.dir}`,
          pattern,
        );
      }
      if (matches.length === 0)
        throw filesError(origin, `${pattern} matches no file (relative to ${origin.dir})`, pattern);
      for (const m of matches) found.add(m);
      continue;
    }
    const path = resolve(origin.dir, pattern);
    let isFile: boolean;
    try {
      isFile = (await stat(path)).isFile();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' || code === 'ENOTDIR'
          ? 'no such file'
          : `cannot access it (${code ?? (err as Error).message})`;
      throw filesError(origin, `${pattern}: ${why} (resolved to ${path})`, pattern);
    }
    if (!isFile)
      throw filesError(
        origin,
        `${pattern} is not a file (resolved to ${path}); name CSV files or a glob such as dir/*.csv`,
        pattern,
      );
    found.add(path);
  }
  return [...found].sort();
}
