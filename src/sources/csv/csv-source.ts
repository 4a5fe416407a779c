/**
 * Opens an `ml4dqm-csv` pipeline source: expands `source.files`, parses the files into the embedded
 * server's tables and returns a `DqmClient` answering from them in process, so planning, extraction
 * and the runner are the same code as for a DQM Playground server, and the rows are the same rows
 * `dqm-export serve --data DIR` would serve for those files.
 */
import { dirname, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CsvSource } from '../../config/index.js';
import type { DqmClient } from '../../extract/index.js';
import type { Logger } from '../../log.js';
import { createCsvClient } from './csv-client.js';
import { expandFiles, type FilesOrigin } from './csv-files.js';
import { loadCsvTables } from './csv-tables.js';

/** What opening a CSV source needs besides the source itself. */
export interface CsvSourceOptions {
  /** Logs what was loaded. */
  logger: Logger;
  /** Page concurrency of extractions (`--concurrency`); default 4. */
  concurrency?: number;
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
 * Throws ConfigError E_SOURCE_FILES (missing file, glob matching nothing) or InputError (E_CSV_ROW,
 * E_CSV_HEADER, E_CSV_READ) naming the file.
 */
export async function openCsvSource(source: CsvSource, origin: FilesOrigin, options: CsvSourceOptions): Promise<DqmClient> {
  const started = Date.now();
  const files = await expandFiles(source.files, origin);
  const data = await loadCsvTables(files, { dim: source.dimensionality });
  const root = commonDirectory(files);
  options.logger.info({ files: files.length, dir: root, ms: Date.now() - started }, 'ml4dqm-csv source loaded');
  return createCsvClient(data, {
    baseUrl: pathToFileURL(root).href,
    concurrency: options.concurrency,
    description: `${origin.file}: source (ml4dqm-csv)`,
  });
}
