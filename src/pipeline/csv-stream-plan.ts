/**
 * `plan` for a histogram stream of CSV files: the slices, and per slice the records and bytes from
 * the fast scans (rows counted per run, lumisection and title; no `histo` parsed), so a plan and the
 * progress bar have exact totals before anything is exported. A sharded plan takes the same counts
 * per file instead (a file is the unit of a CSV shard: src/pipeline/csv-shards.ts).
 */
import type { Stream } from '../config/index.js';
import { planCsvSlices, routeRows } from '../sources/csv/csv-plan.js';
import {
  DEFAULT_READ_SETTINGS,
  scanFiles,
  summaryOfScan,
  type CommittedFileReport,
} from '../sources/csv/file-scans.js';
import type { CsvSession } from '../sources/csv/session.js';
import type { Slice } from '../extract/index.js';
import type { SliceEstimate } from '../sources/source.js';
import { streamSpecFor } from '../sources/playground/stream-plan.js';
import { fileKey } from './run-csv-stream.js';

/** One file as the unit of a sharded CSV stream: its key, what the stream takes of it, its scan facts. */
export interface CsvFileUnit {
  /** Journal key, `file=<path relative to the files' common directory>`. */
  key: string;
  estimate: SliceEstimate;
  csv: CommittedFileReport;
}

/** The slices of a CSV histogram stream with exact record counts and byte estimates, and the same per file. */
export async function planCsvStream(
  stream: Stream,
  session: CsvSession,
  o: { minRun?: number } = {},
): Promise<{ slices: Slice[]; estimates: SliceEstimate[]; files: CsvFileUnit[] }> {
  const { files, dim: forced, description, root } = session.options;
  const dim = stream.endpoint === 'lumisection_histograms_1d' ? 1 : 2;
  const scans = await scanFiles(session.pool(), files, forced, DEFAULT_READ_SETTINGS);
  const summaries = scans.map((scan, i) => summaryOfScan(files[i], i + 1, scan, forced));
  const planned = planCsvSlices(streamSpecFor(stream, o.minRun), summaries, description);
  const records = new Array<number>(planned.length).fill(0);
  const bytes = new Array<number>(planned.length).fill(0);
  const units = scans.map((scan, i): CsvFileUnit => {
    const { counts } = routeRows(scan, i + 1, dim, planned);
    const unit = { records: 0, pages: 0, bytes: 0 };
    counts.forEach((c, s) => {
      const b = Math.round((scan.size * c) / Math.max(1, scan.rows));
      records[s] += c;
      bytes[s] += b;
      unit.records += c;
      unit.bytes += b;
    });
    const { path: _path, fileId: _id, ...facts } = summaries[i];
    return { key: fileKey(root, files[i]), estimate: unit, csv: facts };
  });
  // "pages" are the server's; a CSV export reads no pages.
  return {
    slices: planned.map((p) => p.slice),
    estimates: records.map((r, s) => ({ records: r, pages: 0, bytes: bytes[s] })),
    files: units,
  };
}
