/**
 * Scans started before the run asks for them. For `run FILE` of an ml4dqm-csv pipeline, src/cli/bin.ts
 * starts the CSV worker before the CLI bundle loads (early-worker.ts) and tells it the pipeline file:
 * the worker reads the file list from the pipeline's text itself and scans those files at once, on the
 * second core, while the main thread loads the CLI, the pipeline and the run machinery (~0.3 s that
 * core was idle). The scans are kept in the worker; a `scan` request of the run for the same path and
 * options is answered from them, any other is scanned as before. So the guess is never trusted: the run
 * still loads, validates and expands the pipeline itself, and a wrong guess costs only the scans it
 * made (docs/decisions.md, "CSV exports: the first file is scanned before the CLI loads").
 *
 * Imports no package (the worker runs from the TypeScript sources in tests): the YAML parser and the
 * glob matcher are loaded by URL, as given by bin.js, and only when the text needs them.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CsvReadSettings } from './read-settings.js';
import type { FileScanResult, ScanOptions } from './scan-file.js';

/** What the worker is told to scan ahead (its `workerData.ahead`): a pipeline's files, or `convert`'s. */
export interface ScanAheadSpec {
  /** The pipeline file, absolute: its `source.files` are scanned. */
  pipeline?: string;
  /** Or paths and globs as `convert FILE...` got them, relative to `dir`. */
  files?: string[];
  /** Where `files` resolve (the working directory). */
  dir?: string;
  /** Read settings of the scans (the run's defaults). */
  read: CsvReadSettings;
  /** URL of the `yaml` package's Node entry (for a pipeline that is not JSON). */
  yamlUrl?: string;
  /** URL of the `tinyglobby` package's entry, as Node resolves it from the CLI (for `files` with globs). */
  globUrl?: string;
}

/** The files a pipeline names and its forced dimensionality, as the run will expand them. */
export interface AheadFiles {
  files: string[];
  dim?: 1 | 2;
}

/**
 * Options of a glob expansion of `source.files` (src/sources/csv/csv-files.ts uses the same): like
 * shells, no leading dots; files only; symbolic links followed.
 */
export const GLOB_OPTIONS = {
  absolute: true,
  onlyFiles: true,
  dot: false,
  expandDirectories: false,
  followSymbolicLinks: true,
} as const;

/** Characters without which a `files` entry is a plain path for picomatch (tinyglobby). */
const MAYBE_GLOB = /[*?[\]{}()!+@]/;

/** False when `entry` is certainly a plain path (no character a glob needs): no matcher to load. */
export function mayBeGlob(entry: string): boolean {
  return MAYBE_GLOB.test(entry);
}

/** How the ahead guess loads what it needs (injected by tests). */
export interface AheadLoaders {
  readText?: (file: string) => string;
  /** Parses YAML text (only called for text JSON.parse rejects). */
  parseYaml?: (text: string) => Promise<unknown>;
  /** Expands a glob relative to `cwd` (GLOB_OPTIONS); isGlob tells a glob from a path. */
  glob?: () => Promise<{ isGlob: (p: string) => boolean; expand: (p: string, cwd: string) => Promise<string[]> }>;
}

/** Loaders from the spec's URLs. */
export function loadersOf(spec: ScanAheadSpec): AheadLoaders {
  return {
    parseYaml: spec.yamlUrl
      ? async (text) => ((await import(spec.yamlUrl!)) as { parse: (t: string) => unknown }).parse(text)
      : undefined,
    glob: spec.globUrl
      ? async () => {
          const m = (await import(spec.globUrl!)) as {
            glob: (p: string, o: object) => Promise<string[]>;
            isDynamicPattern: (p: string) => boolean;
          };
          return { isGlob: m.isDynamicPattern, expand: (p, cwd) => m.glob(p, { ...GLOB_OPTIONS, cwd }) };
        }
      : undefined,
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The files of an ml4dqm-csv pipeline, sorted and distinct as the run orders them, or null when the
 * text is not such a pipeline or leaves any doubt (`${VAR}`, a missing file, a glob matching nothing,
 * a parser not given): then nothing is scanned ahead.
 */
export async function aheadFiles(pipeline: string, loaders: AheadLoaders): Promise<AheadFiles | null> {
  const text = (loaders.readText ?? ((f: string) => readFileSync(f, 'utf8')))(pipeline);
  if (!text.includes('ml4dqm-csv')) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    if (!loaders.parseYaml) return null;
    doc = await loaders.parseYaml(text);
  }
  const source = (doc as { source?: { type?: unknown; files?: unknown; dimensionality?: unknown } } | null)?.source;
  if (!source || source.type !== 'ml4dqm-csv') return null;
  const entries = typeof source.files === 'string' ? [source.files] : source.files;
  if (!Array.isArray(entries) || entries.length === 0) return null;
  if (!entries.every((e): e is string => typeof e === 'string' && e.length > 0 && !e.includes('${'))) return null;
  let dim: 1 | 2 | undefined;
  if (source.dimensionality !== undefined) {
    const d = Number(source.dimensionality);
    if (d !== 1 && d !== 2) return null;
    dim = d;
  }
  const files = await expandAhead(entries, dirname(pipeline), loaders);
  return files && { files, dim };
}

/**
 * Paths and globs expanded as `expandFiles` (csv-files.ts) expands them, relative to `dir`, sorted
 * and distinct; null when one is a missing file or a glob matching nothing, or needs the matcher and
 * none is given.
 */
export async function expandAhead(
  entries: readonly string[],
  dir: string,
  loaders: AheadLoaders,
): Promise<string[] | null> {
  const globs = entries.some((e) => MAYBE_GLOB.test(e)) ? await loaders.glob?.() : undefined;
  const found = new Set<string>();
  for (const entry of entries) {
    if (MAYBE_GLOB.test(entry) && !globs) return null;
    if (globs?.isGlob(entry)) {
      const matches = await globs.expand(entry, resolve(dir));
      if (matches.length === 0) return null;
      for (const m of matches) found.add(m);
      continue;
    }
    const path = resolve(dir, entry);
    if (!isFile(path)) return null;
    found.add(path);
  }
  return [...found].sort();
}

/** The key of a scan: what makes two scans of a file the same. */
function scanKey(path: string, o: ScanOptions): string {
  return `${o.dim ?? ''}:${o.blockBytes}:${o.rangeBytes}:${path}`;
}

/**
 * The worker's scans made ahead: the files still to scan, in order, and the scans made, each handed
 * out once. A request for a file still waiting takes it off the list (the request scans it).
 */
export class AheadScans {
  private readonly waiting: Array<{ path: string; key: string }> = [];
  private readonly done = new Map<string, FileScanResult>();
  private options: ScanOptions | null = null;

  /** Plans scans of `files` with `options`. */
  plan(files: readonly string[], options: ScanOptions): void {
    this.options = options;
    this.waiting.push(...files.map((path) => ({ path, key: scanKey(path, options) })));
  }

  /** The next file to scan ahead, taken off the list; undefined when none is left. */
  next(): { path: string; options: ScanOptions; key: string } | undefined {
    const next = this.waiting.shift();
    return next && this.options ? { ...next, options: this.options } : undefined;
  }

  /** Keeps a scan made ahead. */
  keep(key: string, result: FileScanResult): void {
    this.done.set(key, result);
  }

  /**
   * The scan made ahead for this request, handed out once; undefined when there is none (and the
   * file, if it was still waiting, is no longer scanned ahead: the request scans it).
   */
  take(path: string, options: ScanOptions): FileScanResult | undefined {
    const key = scanKey(path, options);
    const result = this.done.get(key);
    if (result) {
      this.done.delete(key);
      return result;
    }
    const i = this.waiting.findIndex((w) => w.key === key);
    if (i >= 0) this.waiting.splice(i, 1);
    return undefined;
  }
}

/**
 * Scans the pipeline's files ahead, one file per turn of the worker's event loop so that a request
 * arriving meanwhile is answered between two files. Any failure (an unreadable pipeline, a file
 * that cannot be read) ends the guessing quietly: the run's own requests report what is wrong.
 */
export async function scanAhead(
  spec: ScanAheadSpec,
  scans: AheadScans,
  scan: (path: string, options: ScanOptions) => FileScanResult,
  loaders: AheadLoaders = loadersOf(spec),
): Promise<void> {
  try {
    const ahead = spec.pipeline
      ? await aheadFiles(spec.pipeline, loaders)
      : spec.files && { files: await expandAhead(spec.files, spec.dir ?? process.cwd(), loaders), dim: undefined };
    if (!ahead?.files) return;
    scans.plan(ahead.files, { dim: ahead.dim, blockBytes: spec.read.blockBytes, rangeBytes: spec.read.rangeBytes });
    for (let next = scans.next(); next; next = scans.next()) {
      scans.keep(next.key, scan(next.path, next.options));
      await new Promise((r) => setImmediate(r));
    }
  } catch {
    // A guess: the run scans for itself whatever was not scanned here.
  }
}
