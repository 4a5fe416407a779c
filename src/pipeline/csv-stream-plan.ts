/**
 * `plan` for a histogram stream of CSV files: the slices, and per slice the records and bytes from
 * the fast scans (rows counted per run, lumisection and title; no `histo` parsed), so a plan and the
 * progress bar have exact totals before anything is exported.
 */
import type { Stream } from '../config/index.js';
import { planCsvSlices, routeRows } from '../sources/csv/csv-plan.js';
import { DEFAULT_READ_SETTINGS, scanFiles, summaryOfScan } from '../sources/csv/file-scans.js';
import type { CsvSession } from '../sources/csv/session.js';
import type { Slice } from '../extract/index.js';
import type { SliceEstimate } from '../sources/source.js';
import { streamSpecFor } from '../sources/playground/stream-plan.js';

/** The slices of a CSV histogram stream with exact record counts and byte estimates (the CSV bytes of their rows). */
export async function planCsvStream(
  stream: Stream,
  session: CsvSession,
  o: { minRun?: number } = {},
): Promise<{ slices: Slice[]; estimates: SliceEstimate[] }> {
  const { files, dim: forced, description } = session.options;
  const dim = stream.endpoint === 'lumisection_histograms_1d' ? 1 : 2;
  const scans = await scanFiles(session.pool(), files, forced, DEFAULT_READ_SETTINGS);
  const summaries = scans.map((scan, i) => summaryOfScan(files[i], i + 1, scan, forced));
  const planned = planCsvSlices(streamSpecFor(stream, o.minRun), summaries, description);
  const records = new Array<number>(planned.length).fill(0);
  const bytes = new Array<number>(planned.length).fill(0);
  scans.forEach((scan, i) => {
    const { counts } = routeRows(scan, i + 1, dim, planned);
    counts.forEach((c, s) => {
      records[s] += c;
      bytes[s] += Math.round((scan.size * c) / Math.max(1, scan.rows));
    });
  });
  // "pages" are the server's; a CSV export reads no pages.
  return {
    slices: planned.map((p) => p.slice),
    estimates: records.map((r, s) => ({ records: r, pages: 0, bytes: bytes[s] })),
  };
}
