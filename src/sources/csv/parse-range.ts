/**
 * Parsing one byte range of a CSV file (cut at record boundaries by the scan) into chunks per
 * slice: each routed row's fields checked as the reader checks them, its `histo` parsed straight
 * into the chunk's typed array (flow bins dropped), its record checked against the column catalogue
 * as the transform checks an API record. Rows outside every slice are skipped without parsing
 * `histo`. Runs in a worker thread; chunks go out through `emit` as they fill.
 */
import { closeSync, openSync } from 'node:fs';
import {
  convertFields,
  expectedHistoLength,
  histoLengthReason,
  parseHistoText,
  type ColumnMap,
  type RecordFields,
} from '../../csv/row.js';
import type { ColumnDef } from '../../transform/columns.js';
import { Invalid, checkField } from '../../transform/field-check.js';
import { ChunkBuilder, type HistogramChunk } from './chunk.js';
import { FALLBACK, parseHistoInto } from './histo-parse.js';
import { forEachRecord } from './record-loop.js';
import { cellTexts } from './scan-file.js';

/** What a bad row does: fail the run (default) or go to the rejects file. */
export type BadRowPolicy = 'fail' | 'reject';

/** One range to parse; plain data, posted to a worker. */
export interface ParseTask {
  path: string;
  start: number;
  end: number;
  /** 1-based line of the first record. */
  line: number;
  /** Index of the first record among the file's data rows. */
  row: number;
  columns: ColumnMap;
  /** The file's dimensionality (its first row's, or the forced one). */
  fileDim: 1 | 2;
  /** source.dimensionality, when set. */
  forcedDim?: 1 | 2;
  /** Per record of the range: the slice index it goes to, -1 (filtered out) or -2 (bad per the scan). */
  route: Int32Array;
  /** Id of the file's data row 0; row i gets `idBase + i`. */
  idBase: number;
  /** `source_data_file` of the rows. */
  fileId: number;
  float32: boolean;
  /** A fixed-shape layout (tensor, array): a chunk holds one shape. */
  fixedShape: boolean;
  /** Rows per chunk. */
  batchRows: number;
  /** Expected kept values per row (sizes the chunk buffers; they grow if needed). */
  valuesPerRow: number;
  blockBytes: number;
  badRows: BadRowPolicy;
  /** transform.strict: the first record refused by the column checks fails the run. */
  strict: boolean;
  /** The endpoint's column catalogue (scalar columns are checked). */
  catalogue: ColumnDef[];
}

/** A range's failure: a bad row (fail mode), a strict reject or an I/O error. */
export class RangeFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** The scalar record the transform would check, built once per row and reused. */
interface ScalarRecord {
  [key: string]: number | string | null;
}

/**
 * Parses the range, emitting chunks in file order per slice (a chunk is emitted when full, when a
 * fixed shape changes, and at the end). Throws RangeFailure.
 */
export function parseRange(task: ParseTask, emit: (chunk: HistogramChunk) => void): void {
  const builders = new Map<number, ChunkBuilder>();
  const histoCol = task.columns.histo;
  const checks = task.catalogue.filter((c) => c.kind !== 'hist1d' && c.kind !== 'hist2d');
  const record: ScalarRecord = {};
  let rowIndex = task.row - 1;

  const builderFor = (slice: number): ChunkBuilder => {
    let b = builders.get(slice);
    if (!b) {
      b = new ChunkBuilder(slice, task.fileDim, task.float32, task.fileId, task.batchRows, task.valuesPerRow);
      builders.set(slice, b);
    }
    return b;
  };
  const flush = (b: ChunkBuilder): void => {
    if (b.pending) emit(b.take());
  };

  const fd = openSync(task.path, 'r');
  try {
    forEachRecord(
      { fd, start: task.start, end: task.end, line: task.line, blockBytes: task.blockBytes },
      (buf, cells, line) => {
        rowIndex++;
        const route = task.route[rowIndex - task.row];
        if (route === -1) return;
        const bad = (reason: string, slice: number): void => {
          if (task.badRows === 'fail') throw new RangeFailure('E_CSV_ROW', reason, line);
          const b = builderFor(slice);
          b.badRows.push({ line, reason });
          b.consumed++;
          if (b.badRows.length >= task.batchRows) flush(b);
        };
        // Rows the scan found bad go to a chunk stream of their own (route -2): they are in no slice.
        if (cells.malformed) return bad(`malformed CSV (${cells.malformed})`, route);
        const fields: RecordFields | string = convertFields(
          cellTexts(buf, cells, histoCol),
          task.columns,
          line,
          task.forcedDim,
        );
        if (typeof fields === 'string') return bad(fields, route);
        if (fields.dim !== task.fileDim) return bad(`a ${fields.dim}D row in a file parsed as ${task.fileDim}D`, route);
        if (route < 0) return bad('bad row', route);
        const b = builderFor(route);
        const { base } = fields;
        const yBin = fields.dim === 2 ? (base.y_bin as number) : 1;
        if (
          task.fixedShape &&
          b.shape !== null &&
          (b.shape[b.shape.length - 1] !== base.x_bin || (fields.dim === 2 && b.shape[0] !== yBin))
        )
          flush(b);
        const expected = expectedHistoLength(fields);
        const kept = base.x_bin * yBin;
        const { out, pos } = b.reserve(kept);
        const target = {
          out,
          pos,
          stride: base.x_bin + 2,
          firstRow: fields.dim === 1 ? 0 : 1,
          lastRow: fields.dim === 1 ? 0 : yBin,
        };
        let fellBack = false;
        let count =
          histoCol < cells.starts.length
            ? parseHistoInto(buf, cells.starts[histoCol], cells.ends[histoCol], target)
            : FALLBACK;
        if (count === FALLBACK) {
          // JSON.parse decides, and words the reason of a bad cell.
          const values = parseHistoText(cells.text(buf, histoCol));
          if (typeof values === 'string') return bad(values, route);
          count = values.length;
          fellBack = true;
          if (count === expected) {
            let k = pos;
            for (let r = target.firstRow; r <= target.lastRow; r++)
              for (let c = 1; c <= base.x_bin; c++) out[k++] = values[r * target.stride + c];
          }
        }
        if (count !== expected) return bad(histoLengthReason(fields, count), route);
        const id = task.idBase + rowIndex;
        record.id = id;
        record.run = base.run;
        record.lumisection = base.lumisection;
        record.title = base.title;
        record.entries = base.entries;
        record.x_min = base.x_min;
        record.x_max = base.x_max;
        record.x_bin = base.x_bin;
        record.y_min = base.y_min;
        record.y_max = base.y_max;
        record.y_bin = base.y_bin;
        record.source_data_file = task.fileId;
        b.consumed++;
        // The fast path only yields finite numbers; JSON.parse can give ±Infinity (`1e999`).
        const refused =
          refusal(checks, record, base.x_bin, fields.dim === 2 ? yBin : null) ??
          (fellBack ? nonFinite(out, pos, kept, base.x_bin, fields.dim === 2) : null);
        if (refused) {
          if (task.strict)
            throw new RangeFailure(
              'E_RECORD_INVALID',
              `${fields.dim === 1 ? 'lumisection_histograms_1d' : 'lumisection_histograms_2d'} record id=${id}: ${refused.field ? refused.field + ': ' : ''}${refused.reason}`,
              line,
            );
          b.rejects.push({ id, index: rowIndex, ...refused });
        } else {
          b.commit(
            {
              id,
              run: base.run,
              ls: base.lumisection,
              title: base.title,
              entries: base.entries,
              x_min: base.x_min,
              x_max: base.x_max,
              x_bin: base.x_bin,
              y_min: base.y_min ?? NaN,
              y_max: base.y_max ?? NaN,
              y_bin: yBin,
            },
            kept,
          );
        }
        if (b.full) flush(b);
      },
    );
  } catch (err) {
    if (err instanceof RangeFailure) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new RangeFailure('E_CSV_READ', `cannot read the file (${e.code ?? e.message})`);
  } finally {
    closeSync(fd);
  }
  for (const b of builders.values()) flush(b);
}

/** Why the transform would refuse this record (the first failing column), or null. */
function refusal(
  checks: ColumnDef[],
  record: ScalarRecord,
  xBin: number,
  yBin: number | null,
): { reason: string; field: string } | null {
  for (const def of checks) {
    const v = checkField(def, record[def.name]);
    if (v instanceof Invalid) return { reason: v.reason, field: def.name };
  }
  if (xBin < 1) return { reason: `expected at least one bin, got x_bin=${xBin}`, field: 'x_bin' };
  if (yBin !== null && yBin < 1) return { reason: `expected at least one bin, got y_bin=${yBin}`, field: 'y_bin' };
  return null;
}

/** The first non-finite kept value, as the transform reports it (values from JSON.parse only). */
function nonFinite(
  out: Float32Array | Float64Array,
  pos: number,
  count: number,
  xBin: number,
  twoD: boolean,
): { reason: string; field: string } | null {
  for (let i = 0; i < count; i++) {
    const v = out[pos + i];
    if (v - v !== 0) {
      const field = twoD ? `data[${Math.floor(i / xBin)}][${i % xBin}]` : `data[${i}]`;
      return { reason: `expected a finite number, got ${JSON.stringify(v)}`, field };
    }
  }
  return null;
}
