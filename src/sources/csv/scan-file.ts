/**
 * The fast scan of one ML4DQM CSV file: every record cut and every field checked except `histo`,
 * whose cell is only skipped (one memchr for the closing quote). It gives what planning, ids,
 * routing and the progress total need before any histogram is parsed: per data row its run,
 * lumisection, title, entries and dimensionality, and cut points at record boundaries for
 * splitting the file over worker threads. A truncated last line (a file still being copied) is
 * found here, before anything is written. Runs in a worker thread (synchronous reads).
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { convertFields, mapColumns, ML4DQM_COLUMNS, type ColumnMap } from '../../csv/row.js';
import type { Cells } from './record-cut.js';
import { forEachRecord } from './record-loop.js';

/** A scan's problem with the file as a whole (the caller turns it into an InputError). */
export interface ScanProblem {
  /** E_CSV_HEADER, E_CSV_TRUNCATED or E_CSV_READ. */
  code: string;
  /** One line, without the file name and line. */
  message: string;
  line?: number;
}

/** A byte range of data rows, cut at record boundaries. */
export interface ScanRange {
  start: number;
  end: number;
  /** 1-based line of its first record. */
  line: number;
  /** Index (among the file's data rows) of its first record. */
  row: number;
  /** Data rows in it. */
  rows: number;
}

/** What the scan of a file found; plain data (typed arrays), posted from the worker. */
export interface FileScanResult {
  size: number;
  mtimeMs: number;
  /** The header's column positions. */
  columns: ColumnMap;
  /** Data rows (records after the header), bad ones included. */
  rows: number;
  /** Per row: 1 or 2 (its dimensionality), or 0 for a row whose fields (other than histo) are bad. */
  dims: Uint8Array;
  run: Int32Array;
  ls: Int32Array;
  /** Index into `titles`. */
  title: Int32Array;
  entries: Float64Array;
  /** Kept histogram values of the first good row (Xbins, or Xbins * Ybins), for sizing batches. */
  valuesPerRow: number;
  /** Distinct titles in order of first appearance. */
  titles: string[];
  ranges: ScanRange[];
  problem: ScanProblem | null;
}

/** Options of `scanFile`. */
export interface ScanOptions {
  /** Parse every row as this dimensionality (source.dimensionality). */
  dim?: 1 | 2;
  /** Read size. */
  blockBytes: number;
  /** Target size of a range handed to one worker. */
  rangeBytes: number;
}

class Growing {
  dims = new Uint8Array(1024);
  run = new Int32Array(1024);
  ls = new Int32Array(1024);
  title = new Int32Array(1024);
  entries = new Float64Array(1024);
  n = 0;
  grow(): void {
    const cap = this.dims.length * 2;
    const g = <T extends Uint8Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a as never);
      return b;
    };
    this.dims = g(this.dims, (n) => new Uint8Array(n));
    this.run = g(this.run, (n) => new Int32Array(n));
    this.ls = g(this.ls, (n) => new Int32Array(n));
    this.title = g(this.title, (n) => new Int32Array(n));
    this.entries = g(this.entries, (n) => new Float64Array(n));
  }
}

/** Cells of a record as strings, the histo cell left empty (never decoded). */
export function cellTexts(buf: Buffer, cells: Cells, histo: number): string[] {
  const out = new Array<string>(cells.count);
  const stored = Math.min(cells.count, cells.starts.length);
  for (let i = 0; i < cells.count; i++) out[i] = i === histo || i >= stored ? '' : cells.text(buf, i);
  return out;
}

/** True when the histo cell's text ends with `]` (after spaces): a cut-off cell does not. */
function histoClosed(buf: Buffer, cells: Cells, histo: number): boolean {
  if (histo >= cells.count || histo >= cells.starts.length) return false;
  let e = cells.ends[histo] - 1;
  while (e >= cells.starts[histo] && (buf[e] === 32 || buf[e] === 13 || buf[e] === 10)) e--;
  return e >= cells.starts[histo] && buf[e] === 93;
}

/** Scans the file at `path`. Read errors throw (the caller names the file). */
export function scanFile(path: string, o: ScanOptions): FileScanResult {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    const rows = new Growing();
    const titles: string[] = [];
    const titleIndex = new Map<string, number>();
    const ranges: ScanRange[] = [];
    let columns: ColumnMap | null = null;
    let problem: ScanProblem | null = null;
    let fileDim: 1 | 2 | undefined = o.dim;
    let valuesPerRow = 0;
    let range: ScanRange | null = null;
    let lastRecord: { line: number; closed: boolean; count: number } | null = null;
    const end = forEachRecord(
      { fd, start: 0, end: st.size, line: 1, blockBytes: o.blockBytes },
      (buf, cells, line, offset) => {
        if (problem) return;
        if (!columns) {
          const header = cellTexts(buf, cells, -1);
          const mapped = mapColumns(header, o.dim);
          if ('missing' in mapped) {
            problem = {
              code: 'E_CSV_HEADER',
              line,
              message: `not an ML4DQM CSV header: missing column(s) ${mapped.missing.join(', ')}; expected ${ML4DQM_COLUMNS.join(',')}`,
            };
            return;
          }
          columns = mapped;
          return;
        }
        const recordEnd = offset; // start of this record = end of the previous one
        if (!range || recordEnd - range.start >= o.rangeBytes) {
          if (range) {
            range.end = recordEnd;
            ranges.push(range);
          }
          range = { start: offset, end: offset, line, row: rows.n, rows: 0 };
        }
        range.rows++;
        if (rows.n === rows.dims.length) rows.grow();
        const i = rows.n++;
        lastRecord = { line, closed: histoClosed(buf, cells, columns.histo), count: cells.count };
        if (cells.malformed) {
          rows.dims[i] = 0;
          return;
        }
        const fields = convertFields(cellTexts(buf, cells, columns.histo), columns, line, o.dim);
        if (typeof fields === 'string') {
          rows.dims[i] = 0;
          return;
        }
        fileDim ??= fields.dim;
        if (valuesPerRow === 0)
          valuesPerRow = fields.base.x_bin * (fields.dim === 2 ? (fields.base.y_bin as number) : 1);
        let t = titleIndex.get(fields.base.title);
        if (t === undefined) {
          t = titles.length;
          titles.push(fields.base.title);
          titleIndex.set(fields.base.title, t);
        }
        // A row of the other dimensionality is a bad row (the server stops parsing the file there).
        rows.dims[i] = fields.dim === fileDim ? fields.dim : 0;
        rows.run[i] = fields.base.run;
        rows.ls[i] = fields.base.lumisection;
        rows.title[i] = t;
        rows.entries[i] = fields.base.entries;
      },
    );
    if (range) {
      (range as ScanRange).end = st.size;
      ranges.push(range);
    }
    if (!problem && !columns) problem = { code: 'E_CSV_HEADER', message: 'empty file, expected an ML4DQM CSV header' };
    if (!problem && end.unfinishedLine !== null) {
      problem = {
        code: 'E_CSV_TRUNCATED',
        line: end.unfinishedLine,
        message: `the last line ends inside a quoted field (no closing quote, no line end)`,
      };
    }
    const last = lastRecord as { line: number; closed: boolean; count: number } | null;
    if (
      !problem &&
      !end.endsWithNewline &&
      last &&
      columns &&
      (last.count !== (columns as ColumnMap).width || !last.closed)
    ) {
      problem = {
        code: 'E_CSV_TRUNCATED',
        line: last.line,
        message: `the last line is incomplete (no line end, ${last.count} of ${(columns as ColumnMap).width} columns or an unclosed histo array)`,
      };
    }
    return {
      size: st.size,
      mtimeMs: st.mtimeMs,
      columns: columns ?? ({ width: 0 } as ColumnMap),
      rows: rows.n,
      dims: rows.dims.slice(0, rows.n),
      run: rows.run.slice(0, rows.n),
      ls: rows.ls.slice(0, rows.n),
      title: rows.title.slice(0, rows.n),
      entries: rows.entries.slice(0, rows.n),
      titles,
      valuesPerRow,
      ranges,
      problem,
    };
  } finally {
    closeSync(fd);
  }
}
