/**
 * CSV rows prepared for the store (fields plus the `data` JSON text), with a per-process memo of
 * whole parses. Every test and benchmark starts its own server on the same sample files; csv-parse
 * and float rendering make a parse of the 4 MB 2D sample cost ~300 ms, a replay from the memo a few
 * ms (see docs/decisions.md). The memo is keyed by path, size, mtime and dimensionality, holds only
 * complete parses, and stops growing at MEMO_BUDGET characters.
 */
import { stat } from 'node:fs/promises';
import { readMl4dqmCsv, type HistogramDim, type Ml4dqmRow, type Ml4dqmRowBase } from '../csv/index.js';
import { pyFloat } from './pyjson.js';

/** A row ready for the store: the fields of the CSV row and its `data` rendered as JSON text. */
export type PreparedRow = Omit<Ml4dqmRowBase, 'metype'> & {
  /** Dimensionality the row was parsed as. */
  dim: HistogramDim;
  /** `data` as the server renders it. */
  dataText: string;
};

/** Why a parse stopped at a row (the real server's parsing thread dies at the first bad row). */
export class ParseStop extends Error {}

const SMALL_FLOATS = Array.from({ length: 1 << 16 }, (_, i) => `${i}.0`);

/** `repr(float)` with a table for the small non-negative integers that histogram bins mostly are. */
function binText(x: number): string {
  return x >= 0 && x < 65536 && (x | 0) === x ? SMALL_FLOATS[x] : pyFloat(x);
}

/** Renders `data` as the server sends it: `[0.0,2.0,...]` or `[[...],[...]]`. */
export function renderData(data: number[] | number[][]): string {
  const row = (values: number[]): string => '[' + values.map(binText).join(',') + ']';
  if (data.length && Array.isArray(data[0])) return '[' + (data as number[][]).map(row).join(',') + ']';
  return row(data as number[]);
}

function prepare(row: Ml4dqmRow): PreparedRow {
  const { data, metype: _metype, ...fields } = row;
  return { ...fields, dataText: renderData(data) };
}

interface ParsedFile {
  rows: PreparedRow[];
  /** Set if the parse stopped at a bad row. */
  stop?: string;
}

const MEMO_BUDGET = 256e6;
const memo = new Map<string, ParsedFile>();
let memoChars = 0;

/** Options of `preparedRows`. */
export interface PreparedRowsOptions {
  /**
   * Keep a complete parse in the memo (default true). A one-shot reader (the ml4dqm-csv pipeline
   * source) passes false: it keeps the rows in its own store, and a second copy would only cost memory.
   */
  remember?: boolean;
}

/**
 * The rows of `path` parsed as `dim` (or each file's own dimensionality from its first row), in
 * order. Throws ParseStop at the first bad row or at a row of the other dimensionality.
 */
export async function* preparedRows(
  path: string,
  dim: 1 | 2 | undefined,
  options: PreparedRowsOptions = {},
): AsyncGenerator<PreparedRow, void, undefined> {
  const s = await stat(path);
  const key = `${path}\0${s.size}\0${s.mtimeMs}\0${dim ?? 'auto'}`;
  const known = memo.get(key);
  if (known) {
    yield* known.rows;
    if (known.stop !== undefined) throw new ParseStop(known.stop);
    return;
  }
  const parsed: ParsedFile = { rows: [] };
  let fileDim = dim;
  let chars = 0;
  const remember = (): void => {
    if (options.remember === false || memoChars + chars > MEMO_BUDGET) return;
    memo.set(key, parsed);
    memoChars += chars;
  };
  try {
    const rows = readMl4dqmCsv(path, {
      dim,
      onError: (e) => {
        throw new ParseStop(`line ${e.line}: ${e.reason}`);
      },
    });
    for await (const row of rows) {
      fileDim ??= row.dim;
      if (row.dim !== fileDim)
        throw new ParseStop(`line ${row.line}: a ${row.dim}D row in a file parsed as ${fileDim}D`);
      const prepared = prepare(row);
      parsed.rows.push(prepared);
      chars += prepared.dataText.length;
      yield prepared;
    }
  } catch (err) {
    // The CSV reader wraps what its onError throws (E_CSV_READ with the ParseStop as cause).
    const stop =
      err instanceof ParseStop
        ? err
        : (err as { cause?: unknown } | null)?.cause instanceof ParseStop
          ? (err as { cause: ParseStop }).cause
          : undefined;
    if (stop) {
      parsed.stop = stop.message;
      remember();
    }
    throw err;
  }
  remember();
}
