/**
 * Pure conversion of one ML4DQM CSV record (an array of cell strings) into a row: header mapping
 * that tolerates the duplicated `fromrun,fromlumi,hname` columns, field validation, and the flow-bin
 * stripping rules of the DQM Playground server.
 */
import type { HistogramDim, Ml4dqmRow, Ml4dqmRowBase } from './types.js';

/** Column names of the ML4DQM format, as the server reads them. */
export const ML4DQM_COLUMNS = [
  'fromrun',
  'fromlumi',
  'hname',
  'metype',
  'histo',
  'entries',
  'Xmax',
  'Xmin',
  'Xbins',
  'Ymax',
  'Ymin',
  'Ybins',
] as const;
type ColumnName = (typeof ML4DQM_COLUMNS)[number];

/** Index of each known column in a record; -1 when the file lacks it. */
export type ColumnMap = Record<ColumnName, number> & { width: number };

const ALWAYS_REQUIRED: ColumnName[] = ['fromrun', 'fromlumi', 'hname', 'histo', 'entries', 'Xmax', 'Xmin', 'Xbins'];

/**
 * Maps header names to indices. A repeated name maps to its FIRST occurrence, as pandas (which the
 * server uses) keeps the first and renames the later ones. Returns the names of missing required
 * columns instead of a map when the header is not an ML4DQM header; `metype` is required unless the
 * dimensionality is forced, the Y columns only when it is forced to 2.
 */
export function mapColumns(header: string[], forcedDim?: HistogramDim): ColumnMap | { missing: string[] } {
  const map = { width: header.length } as ColumnMap;
  for (const name of ML4DQM_COLUMNS) map[name] = -1;
  header.forEach((raw, i) => {
    const name = raw.trim() as ColumnName;
    if ((ML4DQM_COLUMNS as readonly string[]).includes(name) && map[name] === -1) map[name] = i;
  });
  const required = [...ALWAYS_REQUIRED];
  if (forcedDim === undefined) required.push('metype');
  if (forcedDim === 2) required.push('Ymax', 'Ymin', 'Ybins');
  const missing = required.filter((c) => map[c] === -1);
  return missing.length ? { missing } : map;
}

/** Thrown inside conversion to carry a row-level reason; never escapes `convertRecord`. */
class RowProblem extends Error {}

function cell(cells: string[], index: number): string {
  return (cells[index] ?? '').trim();
}

function numberField(cells: string[], index: number, name: string): number {
  const text = cell(cells, index);
  const value = text === '' ? NaN : Number(text);
  if (!Number.isFinite(value)) throw new RowProblem(`${name} is not a number: ${JSON.stringify(truncate(text))}`);
  return value;
}

function intField(cells: string[], index: number, name: string, min = -Infinity): number {
  const value = numberField(cells, index, name);
  if (!Number.isInteger(value)) throw new RowProblem(`${name} is not an integer: ${value}`);
  if (value < min) throw new RowProblem(`${name} must be >= ${min}, got ${value}`);
  return value;
}

function optionalNumber(cells: string[], index: number, name: string, integer: boolean): number | null {
  if (index === -1) return null;
  return integer ? intField(cells, index, name, 0) : numberField(cells, index, name);
}

function truncate(text: string): string {
  return text.length > 40 ? text.slice(0, 40) + '...' : text;
}

/** Dimensionality of a CMSSW MonitorElement kind: 3-5 are TH1F/S/D, 6-8 are TH2F/S/D. */
export function dimOfMetype(metype: number): HistogramDim | undefined {
  if (metype >= 3 && metype <= 5) return 1;
  if (metype >= 6 && metype <= 8) return 2;
  return undefined;
}

function parseHisto(text: string): number[] {
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (err) {
    throw new RowProblem(`histo is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  if (!Array.isArray(values)) throw new RowProblem('histo is not a JSON array');
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number')
      throw new RowProblem(`histo[${i}] is not a number: ${truncate(JSON.stringify(values[i]))}`);
  }
  return values as number[];
}

/** The fields of a record other than `histo`, checked, and the dimensionality it is parsed as. */
export interface RecordFields {
  base: Ml4dqmRowBase;
  dim: HistogramDim;
}

/**
 * Checks and converts every field of a record but `histo` (its cell is not read). Returns the
 * fields, or a one-line reason when the record is bad. `line` is the record's 1-based line.
 */
export function convertFields(
  cells: string[],
  columns: ColumnMap,
  line: number,
  forcedDim?: HistogramDim,
): RecordFields | string {
  if (cells.length !== columns.width)
    return `expected ${columns.width} columns as in the header, found ${cells.length}`;
  try {
    const metype = columns.metype === -1 ? null : intField(cells, columns.metype, 'metype');
    let dim = forcedDim;
    if (dim === undefined) {
      dim = metype === null ? undefined : dimOfMetype(metype);
      if (dim === undefined) throw new RowProblem(`metype ${metype} is neither 1D (3-5) nor 2D (6-8)`);
    }
    const base: Ml4dqmRowBase = {
      line,
      run: intField(cells, columns.fromrun, 'fromrun'),
      lumisection: intField(cells, columns.fromlumi, 'fromlumi'),
      title: cell(cells, columns.hname),
      metype,
      entries: numberField(cells, columns.entries, 'entries'),
      x_min: numberField(cells, columns.Xmin, 'Xmin'),
      x_max: numberField(cells, columns.Xmax, 'Xmax'),
      x_bin: intField(cells, columns.Xbins, 'Xbins', 0),
      y_min: optionalNumber(cells, columns.Ymin, 'Ymin', false),
      y_max: optionalNumber(cells, columns.Ymax, 'Ymax', false),
      y_bin: optionalNumber(cells, columns.Ybins, 'Ybins', true),
    };
    if (base.title === '') throw new RowProblem('hname is empty');
    if (dim === 2 && base.y_bin === null) throw new RowProblem('a 2D row needs the Ybins column');
    return { base, dim };
  } catch (err) {
    if (err instanceof RowProblem) return err.message;
    throw err;
  }
}

/** Number of values `histo` must hold for these fields: Xbins + 2, or (Ybins + 2) * (Xbins + 2). */
export function expectedHistoLength(fields: RecordFields): number {
  const stride = fields.base.x_bin + 2;
  return fields.dim === 1 ? stride : ((fields.base.y_bin as number) + 2) * stride;
}

/** The reason for a `histo` of `found` values where `fields` need another count. */
export function histoLengthReason(fields: RecordFields, found: number): string {
  const xb = fields.base.x_bin;
  if (fields.dim === 1)
    return `histo has ${found} values, expected ${xb + 2} (Xbins + 2) for a 1D histogram with Xbins=${xb}`;
  const yb = fields.base.y_bin as number;
  return `histo has ${found} values, expected ${expectedHistoLength(fields)} ((Ybins + 2) * (Xbins + 2)) for a 2D histogram with Xbins=${xb}, Ybins=${yb}`;
}

/**
 * Parses a `histo` cell's text with JSON.parse (the reference for what a bad cell reports). Returns
 * the values, or a one-line reason.
 */
export function parseHistoText(text: string): number[] | string {
  try {
    return parseHisto(text.trim());
  } catch (err) {
    if (err instanceof RowProblem) return err.message;
    throw err;
  }
}

/**
 * Converts one record. Returns the row, or a one-line reason when the record is bad. `line` is
 * the record's 1-based line in the file.
 */
export function convertRecord(
  cells: string[],
  columns: ColumnMap,
  line: number,
  forcedDim?: HistogramDim,
): Ml4dqmRow | string {
  const fields = convertFields(cells, columns, line, forcedDim);
  if (typeof fields === 'string') return fields;
  const histo = parseHistoText(cell(cells, columns.histo));
  if (typeof histo === 'string') return histo;
  if (histo.length !== expectedHistoLength(fields)) return histoLengthReason(fields, histo.length);
  const { base, dim } = fields;
  const xb = base.x_bin;
  if (dim === 1) return { ...base, dim: 1, data: histo.slice(1, xb + 1) };
  const yb = base.y_bin as number;
  const stride = xb + 2;
  const data: number[][] = new Array(yb);
  for (let iy = 0; iy < yb; iy++) {
    const start = (iy + 1) * stride + 1;
    data[iy] = histo.slice(start, start + xb);
  }
  return { ...base, dim: 2, data };
}
