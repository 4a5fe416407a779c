/**
 * The scans of a stream's files, and what a resumed run knows of the files it committed (from their
 * journal lines: a committed file is not read again). Scan problems become InputErrors naming the
 * file and line.
 */
import type { CodeOf } from '../../error-codes.js';
import { InputError } from '../../errors.js';
import type { FileSummary } from './csv-plan.js';
import type { FileScanResult } from './scan-file.js';
import type { CsvWorkerPool } from './worker-pool.js';
import type { CsvReadSettings } from './read-settings.js';

export { DEFAULT_READ_SETTINGS, type CsvReadSettings } from './read-settings.js';

/** What the journal line of a committed file records about it (`report.csv`). */
export interface CommittedFileReport {
  size: number;
  mtimeMs: number;
  dim: 1 | 2 | null;
  rows: number;
  runs: number[];
  titles: string[];
}

/** A file's dimensionality from its scan: the forced one, else its first good row's. */
export function scanDim(scan: FileScanResult, forced: 1 | 2 | undefined): 1 | 2 | null {
  if (forced) return forced;
  for (let i = 0; i < scan.rows; i++) if (scan.dims[i] !== 0) return scan.dims[i] as 1 | 2;
  return null;
}

/** The planning summary of a scanned file. */
export function summaryOfScan(
  path: string,
  fileId: number,
  scan: FileScanResult,
  forced: 1 | 2 | undefined,
): FileSummary & CommittedFileReport {
  const runs = new Set<number>();
  const titles = new Set<string>();
  for (let i = 0; i < scan.rows; i++) {
    if (scan.dims[i] === 0) continue;
    runs.add(scan.run[i]);
    titles.add(scan.titles[scan.title[i]]);
  }
  return {
    path,
    fileId,
    size: scan.size,
    mtimeMs: scan.mtimeMs,
    dim: scanDim(scan, forced),
    rows: scan.rows,
    runs: [...runs].sort((a, b) => a - b),
    titles: [...titles],
  };
}

/** Scans `files` on the pool (all at once; the pool runs as many as it has workers). Throws InputError. */
export async function scanFiles(
  pool: CsvWorkerPool,
  files: readonly string[],
  dim: 1 | 2 | undefined,
  settings: CsvReadSettings,
): Promise<FileScanResult[]> {
  const scans = await Promise.all(
    files.map((path) =>
      pool
        .scan(path, { dim, blockBytes: settings.blockBytes, rangeBytes: settings.rangeBytes })
        .catch((err: Error & { code?: string }) => {
          throw new InputError('E_CSV_READ', `${path}: ${err.message}`, { file: path }, { cause: err });
        }),
    ),
  );
  scans.forEach((scan, i) => {
    const p = scan.problem;
    if (!p) return;
    const hint = p.code === 'E_CSV_TRUNCATED' ? '; is the file still being copied? Nothing of it was exported' : '';
    throw new InputError(
      p.code as CodeOf<'input'>,
      `${files[i]}${p.line === undefined ? '' : `:${p.line}`}: ${p.message}${hint}`,
      { file: files[i], line: p.line },
    );
  });
  return scans;
}

/**
 * The summary of a committed file from its journal report. Throws InputError E_CSV_CHANGED when the
 * file's size or modification time differ from the committed run's (its rows may have changed, and
 * with them the ids of every later file).
 */
export function summaryOfCommitted(
  path: string,
  fileId: number,
  report: CommittedFileReport,
  now: { size: number; mtimeMs: number },
): FileSummary {
  if (report.size !== now.size || report.mtimeMs !== now.mtimeMs) {
    throw new InputError(
      'E_CSV_CHANGED',
      `${path}: changed since the interrupted run exported it (size ${report.size} -> ${now.size} bytes); run again without --resume`,
      { file: path },
    );
  }
  return { path, fileId, dim: report.dim, rows: report.rows, runs: report.runs, titles: report.titles };
}
