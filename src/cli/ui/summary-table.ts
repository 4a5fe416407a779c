/**
 * Renders a RunSummary as an aligned text table (terminal) or one JSON line (logs, CI). Tables go
 * through the one table renderer of the CLI (src/cli/output/table.ts).
 */
import type { RunSummary, StreamSummary } from '../../pipeline/summary.js';
import { renderTable, type Column } from '../output/table.js';

/** Human-friendly byte count (1024-based, one decimal). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} ${units[u]}` : `${v.toFixed(1)} ${units[u]}`;
}

const SUMMARY_COLUMNS: Column<StreamSummary>[] = [
  { header: 'stream', value: (s) => s.stream },
  { header: 'records', value: (s) => s.records, align: 'right' },
  { header: 'rejects', value: (s) => String(s.rejects), align: 'right' },
  { header: 'dups dropped', value: (s) => String(s.duplicatesDropped), align: 'right' },
  { header: 'retries', value: (s) => String(s.retries), align: 'right' },
  { header: 'files', value: (s) => String(s.files), align: 'right' },
  { header: 'bytes', value: (s) => formatBytes(s.bytes), align: 'right' },
  { header: 'seconds', value: (s) => s.seconds.toFixed(1), align: 'right' },
];

/** The per-stream summary table printed at the end of `run` (no trailing newline). */
export function summaryTable(summary: RunSummary): string {
  return renderTable(SUMMARY_COLUMNS, summary.streams).trimEnd();
}

/** The same summary as one JSON line, for logs and CI. */
export function summaryJsonLine(summary: RunSummary): string {
  return JSON.stringify({ msg: 'summary', ...summary });
}
