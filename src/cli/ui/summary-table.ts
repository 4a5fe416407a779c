/** Renders a RunSummary as an aligned text table (terminal) or one JSON line (logs, CI). */
import type { RunSummary } from '../../pipeline/summary.js';

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

/** Pads rows of cells into aligned columns; numeric-looking cells are right-aligned. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[\d.,]+( \w+)?$/.test(r[i] ?? '')));
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The per-stream summary table printed at the end of `run`. */
export function summaryTable(summary: RunSummary): string {
  const header = ['stream', 'records', 'rejects', 'dups dropped', 'retries', 'files', 'bytes', 'seconds'];
  const rows = summary.streams.map((s) => [
    s.stream,
    String(s.records),
    String(s.rejects),
    String(s.duplicatesDropped),
    String(s.retries),
    String(s.files),
    formatBytes(s.bytes),
    s.seconds.toFixed(1),
  ]);
  return renderTable(header, rows);
}

/** The same summary as one JSON line, for logs and CI. */
export function summaryJsonLine(summary: RunSummary): string {
  return JSON.stringify({ msg: 'summary', ...summary });
}
