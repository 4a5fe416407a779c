/**
 * How each DIALS record type looks in a table and which fields a CSV starts with (the API's own
 * field order, so `fields` is also the list `--fields` accepts). JSON and JSON lines carry records as
 * DIALS sent them; the table summarises, and for th1/th2 it shows shape and entries, never bins, so a
 * table asks the server for every field but `data` (`tableFields`).
 */
import {
  DIALS_RECORD_FIELDS,
  type DialsDataset,
  type DialsEndpoint,
  type DialsFile,
  type DialsLumisection,
  type DialsMe,
  type DialsRun,
  type DialsTh1,
  type DialsTh2,
  type DialsHistogramBase,
} from '../../dials.js';
import type { Column } from './table.js';
import { formatNumber } from './text.js';
import type { RecordView } from './views.js';

/** A record view plus what a table needs from the server. */
export interface DialsView<T> extends RecordView<T> {
  /** `fields=` for a table (every field but `data`); absent: the whole record is needed. */
  tableFields?: readonly string[];
}

const num = (n: number | null | undefined): string => (typeof n === 'number' ? formatNumber(n) : '');

/** `1.93 GB`, `929.9 MB`: file sizes as a person reads them. */
export function describeBytes(bytes: number | null | undefined): string {
  if (typeof bytes !== 'number') return '';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : formatNumber(Math.round(value * 10) / 10)} ${units[unit]}`;
}

const TH1_FIELDS = DIALS_RECORD_FIELDS.th1;
const TH2_FIELDS = DIALS_RECORD_FIELDS.th2;

const histogramHead: Column<DialsHistogramBase>[] = [
  { header: 'dataset_id', value: (h) => h.dataset_id, align: 'right' },
  { header: 'run', value: (h) => h.run_number, align: 'right' },
  { header: 'ls', value: (h) => h.ls_number, align: 'right' },
  { header: 'me_id', value: (h) => h.me_id, align: 'right' },
  { header: 'me', value: (h) => h.me, shrink: 'middle', minWidth: 16 },
  { header: 'entries', value: (h) => num(h.entries), align: 'right' },
  { header: 'x range', value: (h) => `[${num(h.x_min)}, ${num(h.x_max)}]` },
];

/** `th1/` records: the table shows the bin count, not the bins. */
export const dialsTh1View: DialsView<DialsTh1> = {
  noun: '1D histogram',
  plural: '1D histograms',
  table: [...histogramHead, { header: 'bins', value: (h) => h.x_bin, align: 'right' }],
  fields: TH1_FIELDS,
  tableFields: TH1_FIELDS.filter((f) => f !== 'data'),
};

/** `th2/` records: the table shows `y_bin x x_bin`, the shape of `data` (y-outer). */
export const dialsTh2View: DialsView<DialsTh2> = {
  noun: '2D histogram',
  plural: '2D histograms',
  table: [
    ...histogramHead,
    { header: 'y range', value: (h) => `[${num(h.y_min)}, ${num(h.y_max)}]` },
    { header: 'shape', value: (h) => `${h.y_bin}x${h.x_bin}` },
  ],
  fields: TH2_FIELDS,
  tableFields: TH2_FIELDS.filter((f) => f !== 'data'),
};

/** `run/` records. */
export const dialsRunView: DialsView<DialsRun> = {
  noun: 'run',
  plural: 'runs',
  table: [
    { header: 'dataset_id', value: (r) => r.dataset_id, align: 'right' },
    { header: 'dataset', value: (r) => r.dataset, shrink: 'middle', minWidth: 16 },
    { header: 'run_number', value: (r) => r.run_number, align: 'right' },
    { header: 'ls_count', value: (r) => r.ls_count, align: 'right' },
  ],
  fields: DIALS_RECORD_FIELDS.run,
};

/** `lumisection/` records. */
export const dialsLumisectionView: DialsView<DialsLumisection> = {
  noun: 'lumisection',
  plural: 'lumisections',
  table: [
    { header: 'dataset_id', value: (r) => r.dataset_id, align: 'right' },
    { header: 'dataset', value: (r) => r.dataset, shrink: 'middle', minWidth: 16 },
    { header: 'run_number', value: (r) => r.run_number, align: 'right' },
    { header: 'ls_number', value: (r) => r.ls_number, align: 'right' },
    { header: 'th1_count', value: (r) => r.th1_count, align: 'right' },
    { header: 'th2_count', value: (r) => r.th2_count, align: 'right' },
  ],
  fields: DIALS_RECORD_FIELDS.lumisection,
};

/** `mes/` records (one plain list, no pages). */
export const dialsMeView: DialsView<DialsMe> = {
  noun: 'monitoring element',
  plural: 'monitoring elements',
  table: [
    { header: 'me_id', value: (m) => m.me_id, align: 'right' },
    { header: 'dim', value: (m) => m.dim, align: 'right' },
    { header: 'count', value: (m) => m.count, align: 'right' },
    { header: 'me', value: (m) => m.me, shrink: 'middle', minWidth: 16 },
  ],
  fields: DIALS_RECORD_FIELDS.mes,
};

/** `dataset-index/` records. */
export const dialsDatasetView: DialsView<DialsDataset> = {
  noun: 'dataset',
  plural: 'datasets',
  table: [
    { header: 'dataset_id', value: (d) => d.dataset_id, align: 'right' },
    { header: 'dataset', value: (d) => d.dataset, shrink: 'middle', minWidth: 16 },
    { header: 'era', value: (d) => d.era },
    { header: 'modified', value: (d) => d.last_modification_date },
  ],
  fields: DIALS_RECORD_FIELDS['dataset-index'],
};

/** `file-index/` records. */
export const dialsFileView: DialsView<DialsFile> = {
  noun: 'file',
  plural: 'files',
  table: [
    { header: 'file_id', value: (f) => f.file_id, align: 'right' },
    { header: 'dataset_id', value: (f) => f.dataset_id, align: 'right' },
    { header: 'status', value: (f) => f.status },
    { header: 'size', value: (f) => describeBytes(f.file_size), align: 'right' },
    { header: 'logical_file_name', value: (f) => f.logical_file_name, shrink: 'start', minWidth: 20 },
  ],
  fields: DIALS_RECORD_FIELDS['file-index'],
};

/** The view of each DIALS endpoint. */
export const DIALS_VIEWS: Record<DialsEndpoint, DialsView<object>> = {
  th1: dialsTh1View as DialsView<object>,
  th2: dialsTh2View as DialsView<object>,
  run: dialsRunView as DialsView<object>,
  lumisection: dialsLumisectionView as DialsView<object>,
  mes: dialsMeView as DialsView<object>,
  'file-index': dialsFileView as DialsView<object>,
  'dataset-index': dialsDatasetView as DialsView<object>,
};
