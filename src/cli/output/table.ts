/**
 * Aligned text tables for a person at a terminal. Columns have natural widths; when the table is
 * wider than the terminal, only the columns marked `shrink` (titles, paths) give up characters,
 * largest first, so ids and numbers are never cut.
 */
import { truncate, type ShrinkAt } from './text.js';

/** One table column. */
export interface Column<T> {
  /** Header text. */
  header: string;
  /** Cell text for one row; null and undefined print as `-`. */
  value: (row: T) => string | number | null | undefined;
  /** Numbers read best right-aligned; default left. */
  align?: 'left' | 'right';
  /** Where this column may be shortened to fit the width; columns without it keep their width. */
  shrink?: ShrinkAt;
  /** Narrowest a shrinking column may become (default 12, never below the header). */
  minWidth?: number;
}

/** Options of renderTable. */
export interface TableOptions {
  /** Total width available (terminal columns); unlimited when absent. */
  maxWidth?: number;
}

const GAP = '  ';

/** Renders `rows` as header + one line per row, each line ending in `\n`. */
export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[], options: TableOptions = {}): string {
  const cells = rows.map((row) =>
    columns.map((c) => {
      const v = c.value(row);
      return v === null || v === undefined || v === '' ? '-' : String(v);
    }),
  );
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i].length)));
  fitWidths(columns, widths, options.maxWidth);
  const line = (texts: readonly string[]): string =>
    texts
      .map((t, i) => {
        const c = columns[i];
        const s = truncate(t, widths[i], c.shrink ?? 'end');
        return c.align === 'right' ? s.padStart(widths[i]) : s.padEnd(widths[i]);
      })
      .join(GAP)
      .trimEnd() + '\n';
  return line(columns.map((c) => c.header)) + cells.map(line).join('');
}

/** Narrows shrinkable columns, widest first, until the table fits `maxWidth` or none can give more. */
function fitWidths<T>(columns: readonly Column<T>[], widths: number[], maxWidth: number | undefined): void {
  if (!maxWidth) return;
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1);
  const floor = columns.map((c) => Math.max(c.header.length, c.minWidth ?? 12));
  let excess = total() - maxWidth;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < columns.length; i++) {
      if (columns[i].shrink && widths[i] > floor[i] && (widest < 0 || widths[i] > widths[widest])) widest = i;
    }
    if (widest < 0) return;
    widths[widest]--;
    excess--;
  }
}
