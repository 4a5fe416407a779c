/**
 * How each record type looks in a table and which fields a CSV starts with. JSON and JSON lines
 * always carry the complete record as the server sent it; only the table summarises (a 2D
 * histogram is 4032 numbers: the table shows its shape and sum instead).
 */
import {
  AXIS_FIELDS,
  X_AXIS_FIELDS,
  type HistogramDataFile,
  type Histogram1D,
  type Histogram2D,
  type Lumisection,
  type Run,
  type DataFileContent,
} from '../../domain.js';
import type { Column } from './table.js';
import { formatNumber } from './text.js';

/** The CSV's first histogram fields, before the axes. */
const HISTOGRAM_HEAD_FIELDS = ['id', 'run', 'lumisection', 'title', 'entries'] as const;

/** Table and CSV layout of one record type. */
export interface RecordView<T> {
  /** Singular noun for summaries ("run", "1D histogram"). */
  noun: string;
  /** Plural noun. */
  plural: string;
  /** Table columns (a summary). */
  table: Column<T>[];
  /** CSV header in this order; keys of a record not listed here follow, in record order. */
  fields: readonly string[];
}

/** Sum of a 1D or 2D bin array (flow bins are already stripped by the server). */
export function binSum(data: readonly number[] | readonly (readonly number[])[]): number {
  let sum = 0;
  for (const v of data) {
    if (Array.isArray(v)) for (const w of v as readonly number[]) sum += w;
    else sum += v as number;
  }
  return sum;
}

/** `lum 1D, lum 2D`, or empty when the file was never parsed. */
export function describeContents(contents: readonly DataFileContent[] | undefined): string {
  return (contents ?? []).map((c) => `${c.granularity} ${c.data_dimensionality}D`).join(', ');
}

/** `100 %`, or `40 % (96/240)` while parsing. */
export function describeProgress(
  f: Pick<HistogramDataFile, 'percentage_processed' | 'entries_processed' | 'entries_total'>,
): string {
  const pct = `${formatNumber(Math.round(Number(f.percentage_processed) * 10) / 10)} %`;
  if (Number(f.percentage_processed) >= 100 || !f.entries_total) return pct;
  return `${pct} (${f.entries_processed}/${f.entries_total})`;
}

const num = (n: number | null | undefined): string => (typeof n === 'number' ? formatNumber(n) : '');

/** `/api/runs/` records. */
export const runView: RecordView<Run> = {
  noun: 'run',
  plural: 'runs',
  table: [
    { header: 'run_number', value: (r) => r.run_number, align: 'right' },
    { header: 'date', value: (r) => r.date },
  ],
  fields: ['run_number', 'date'],
};

/** `/api/lumisections/` records. */
export const lumisectionView: RecordView<Lumisection> = {
  noun: 'lumisection',
  plural: 'lumisections',
  table: [
    { header: 'run', value: (r) => r.run, align: 'right' },
    { header: 'ls_number', value: (r) => r.ls_number, align: 'right' },
    { header: 'date', value: (r) => r.date },
  ],
  fields: ['run', 'ls_number', 'date'],
};

const histogramHead: Column<Histogram1D | Histogram2D>[] = [
  { header: 'id', value: (h) => h.id, align: 'right' },
  { header: 'run', value: (h) => h.run, align: 'right' },
  { header: 'ls', value: (h) => h.lumisection, align: 'right' },
  { header: 'title', value: (h) => h.title, shrink: 'middle', minWidth: 16 },
  { header: 'entries', value: (h) => num(h.entries), align: 'right' },
];

/** `/api/lumisection_histograms_1d/` records. */
export const histogram1dView: RecordView<Histogram1D> = {
  noun: '1D histogram',
  plural: '1D histograms',
  table: [
    ...histogramHead,
    { header: 'x range', value: (h) => `[${num(h.x_min)}, ${num(h.x_max)}]` },
    { header: 'bins', value: (h) => h.x_bin, align: 'right' },
    { header: 'sum', value: (h) => num(binSum(h.data ?? [])), align: 'right' },
  ],
  fields: [...HISTOGRAM_HEAD_FIELDS, ...X_AXIS_FIELDS, 'source_data_file', 'data'],
};

/** `/api/lumisection_histograms_2d/` records; the table shows `y_bin x x_bin` (the shape of `data`). */
export const histogram2dView: RecordView<Histogram2D> = {
  noun: '2D histogram',
  plural: '2D histograms',
  table: [
    ...histogramHead,
    { header: 'shape', value: (h) => `${h.y_bin}x${h.x_bin}` },
    { header: 'sum', value: (h) => num(binSum(h.data ?? [])), align: 'right' },
  ],
  fields: [...HISTOGRAM_HEAD_FIELDS, ...AXIS_FIELDS, 'source_data_file', 'data'],
};

/** `/api/histogram_data_files/` records. */
export const dataFileView: RecordView<HistogramDataFile> = {
  noun: 'data file',
  plural: 'data files',
  table: [
    { header: 'id', value: (f) => f.id, align: 'right' },
    { header: 'path', value: (f) => f.filepath, shrink: 'start', minWidth: 20 },
    { header: 'era', value: (f) => f.data_era },
    { header: 'contents', value: (f) => describeContents(f.contents) },
    { header: 'progress', value: (f) => describeProgress(f), align: 'right' },
    {
      header: 'MB',
      value: (f) => num(typeof f.filesize === 'number' ? Math.round(f.filesize * 100) / 100 : f.filesize),
      align: 'right',
    },
  ],
  fields: [
    'id',
    'filepath',
    'filesize',
    'data_era',
    'entries_total',
    'entries_processed',
    'percentage_processed',
    'contents',
    'created',
    'modified',
    'run_histograms',
    'lumisection_histograms_1d',
    'lumisection_histograms_2d',
  ],
};
