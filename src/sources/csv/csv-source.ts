/**
 * Opens an `ml4dqm-csv` pipeline source: expands `source.files` and opens a CSV session
 * (src/sources/csv/session.ts): histogram streams are streamed from the files by worker threads,
 * runs and lumisections are served in process by the embedded server's handlers, so the rows are
 * the same rows `dqm-export serve --data DIR` would serve for those files.
 */
import { dirname, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CsvSource } from '../../config/index.js';
import type { DqmClient } from '../../extract/index.js';
import type { Logger } from '../../log.js';
import { openCsvSession } from '../../sources/csv/session.js';
import { expandFiles, type FilesOrigin } from './csv-files.js';

/** What opening a CSV source needs besides the source itself. */
export interface CsvSourceOptions {
  /** Logs what was loaded. */
  logger: Logger;
  /** Page concurrency of extractions (`--concurrency`); default 4. */
  concurrency?: number;
  /** Parse worker threads (default: the machine's parallelism). */
  workers?: number;
}

/** The deepest directory holding every one of `files` (absolute paths). */
export function commonDirectory(files: readonly string[]): string {
  const holds = (dir: string, file: string): boolean => file.startsWith(dir.endsWith(sep) ? dir : dir + sep);
  let common = dirname(files[0]);
  for (const file of files.slice(1)) {
    while (!holds(common, file) && dirname(common) !== common) common = dirname(common);
  }
  return common;
}

/**
 * Opens the source. `baseUrl` (provenance: `${baseUrl}/api/<endpoint>/`) is the file:// URL of the
 * deepest directory holding all the files: the directory `dqm-export serve --data` would be given.
 * Throws ConfigError E_SOURCE_FILES (missing file, glob matching nothing); the files are read when a
 * stream runs.
 */
export async function openCsvSource(
  source: CsvSource,
  origin: FilesOrigin,
  options: CsvSourceOptions,
): Promise<DqmClient> {
  const files = await expandFiles(source.files, origin);
  const root = commonDirectory(files);
  options.logger.info({ files: files.length, dir: root }, 'ml4dqm-csv source opened');
  return openCsvSession({
    files,
    root,
    baseUrl: pathToFileURL(root).href.replace(/\/+$/, ''),
    description: `${origin.file}: source (ml4dqm-csv)`,
    dim: source.dimensionality,
    badRows: source.bad_rows,
    workers: options.workers,
    concurrency: options.concurrency,
  });
}
