/**
 * `source.files` of an ml4dqm-csv source to a list of files: paths and globs relative to the pipeline
 * file's directory, expanded, deduplicated and sorted the way the server orders what it discovers
 * (so ids come out as `dqm-export serve --data DIR` would assign them over the same files).
 *
 * Node 20 has no fs glob (`fs.promises.glob` is Node 22; `path.matchesGlob` prints an
 * ExperimentalWarning on 20) and no glob package is a runtime dependency, so this is a small
 * segment matcher: `*`, `?`, `[...]` / `[!...]` within a path segment and `**` as a whole segment
 * (any number of directories). Like shells, wildcards do not match a leading `.`. Braces are literal.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, parse, resolve, sep } from 'node:path';
import { ConfigError } from '../../errors.js';

/** Where the list came from, for messages: the pipeline file and its directory. */
export interface FilesOrigin {
  /** The pipeline file (named in every error). */
  file: string;
  /** Relative patterns resolve here. */
  dir: string;
}

const MAGIC = /[*?[]/;

/** True if `pattern` has a wildcard (`*`, `?` or `[`), i.e. is a glob rather than a path. */
export function isGlob(pattern: string): boolean {
  return MAGIC.test(pattern);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * The RegExp matching one path segment against one glob segment (no `/` inside). `*` is any run of
 * characters, `?` one character, `[abc]`, `[a-z]`, `[!a]` / `[^a]` a class; an unclosed `[` is
 * literal. A name starting with `.` only matches a segment that starts with a literal `.`.
 */
export function segmentRegExp(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) {
        source += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negate = body[0] === '!' || body[0] === '^';
      if (negate) body = body.slice(1);
      source += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
    } else source += escapeRegExp(c);
  }
  const hidden = segment.startsWith('.') ? '' : '(?!\\.)';
  return new RegExp(`^${hidden}${source}$`);
}

async function entriesOf(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A directory that is not there (or is a file) just matches nothing.
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

/** True for a file, or a symbolic link to one. */
async function isFileEntry(dir: string, entry: Dirent): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  return stat(join(dir, entry.name)).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Appends to `out` the files under `dir` matching `segments[i..]`. Symlinked directories are not followed by `**` (no cycles). */
async function walk(dir: string, segments: readonly string[], i: number, out: string[]): Promise<void> {
  const segment = segments[i];
  const last = i === segments.length - 1;
  if (segment === '**') {
    if (last) {
      // A trailing `**` means every file below.
      for (const entry of await entriesOf(dir)) {
        if (entry.name.startsWith('.')) continue;
        if (entry.isDirectory()) await walk(join(dir, entry.name), segments, i, out);
        else if (await isFileEntry(dir, entry)) out.push(join(dir, entry.name));
      }
      return;
    }
    await walk(dir, segments, i + 1, out);
    for (const entry of await entriesOf(dir)) {
      if (entry.isDirectory() && !entry.name.startsWith('.')) await walk(join(dir, entry.name), segments, i, out);
    }
    return;
  }
  if (!isGlob(segment)) {
    const path = join(dir, segment);
    if (last) {
      if (await stat(path).then((s) => s.isFile(), () => false)) out.push(path);
    } else await walk(path, segments, i + 1, out);
    return;
  }
  const re = segmentRegExp(segment);
  for (const entry of await entriesOf(dir)) {
    if (!re.test(entry.name)) continue;
    const path = join(dir, entry.name);
    if (last) {
      if (await isFileEntry(dir, entry)) out.push(path);
    } else if (entry.isDirectory() || (entry.isSymbolicLink() && (await stat(path).then((s) => s.isDirectory(), () => false)))) {
      await walk(path, segments, i + 1, out);
    }
  }
}

/** The files one glob matches, absolute; `..` and literal segments are joined as they are. */
export async function expandGlob(pattern: string, baseDir: string): Promise<string[]> {
  const start = isAbsolute(pattern) ? parse(pattern).root : resolve(baseDir);
  const rest = isAbsolute(pattern) ? pattern.slice(start.length) : pattern;
  const segments = rest.split(sep === '\\' ? /[\\/]/ : '/').filter((s) => s !== '' && s !== '.');
  const out: string[] = [];
  if (segments.length > 0) await walk(start, segments, 0, out);
  return out;
}

function filesError(origin: FilesOrigin, message: string, path: string): ConfigError {
  return new ConfigError('E_SOURCE_FILES', `${origin.file}: source.files: ${message}`, { file: origin.file, field: 'source.files', path });
}

/**
 * Every file named or matched by `patterns`, absolute, each once, sorted by path (the order in
 * which the server would register them). Throws ConfigError E_SOURCE_FILES naming the entry when a
 * path is missing or not a file, or a glob matches no file.
 */
export async function expandFiles(patterns: readonly string[], origin: FilesOrigin): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of patterns) {
    if (isGlob(pattern)) {
      let matches: string[];
      try {
        for (const segment of pattern.split('/')) segmentRegExp(segment);
      } catch (err) {
        throw filesError(origin, `${pattern} is not a valid glob (${(err as Error).message.replace(/^.*: /, '').toLowerCase()})`, pattern);
      }
      try {
        matches = await expandGlob(pattern, origin.dir);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw filesError(origin, `cannot expand ${pattern}: ${e.code ?? e.message} while listing ${e.path ?? origin.dir}`, pattern);
      }
      if (matches.length === 0) throw filesError(origin, `${pattern} matches no file (relative to ${origin.dir})`, pattern);
      for (const m of matches) found.add(m);
      continue;
    }
    const path = resolve(origin.dir, pattern);
    let isFile: boolean;
    try {
      isFile = (await stat(path)).isFile();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file' : `cannot access it (${code ?? (err as Error).message})`;
      throw filesError(origin, `${pattern}: ${why} (resolved to ${path})`, pattern);
    }
    if (!isFile) throw filesError(origin, `${pattern} is not a file (resolved to ${path}); name CSV files or a glob such as dir/*.csv`, pattern);
    found.add(path);
  }
  return [...found].sort();
}
