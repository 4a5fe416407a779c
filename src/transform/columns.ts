/**
 * The column catalogue: for every endpoint, the fields a record must have, in output order, and the
 * kind of Arrow column each becomes. The shape rules of the whole export live here, in one table.
 */
import type { StreamEndpoint } from '../endpoints.js';

/**
 * How a record field is checked and stored:
 * - `int32` / `int64`: an integer (JSON number with no fraction) in the type's range;
 * - `float64`: a finite number;
 * - `utf8`: a string; `dict`: a string stored dictionary-encoded (few distinct values, e.g. `title`);
 * - `timestamp`: an ISO 8601 string with a zone, stored as microseconds since the epoch, UTC;
 * - `contents`: the data-file `contents` list of `{granularity, data_dimensionality}`;
 * - `hist1d` / `hist2d`: the histogram `data` (see histogram-data.ts for the layouts).
 */
export type ColumnKind =
  'int32' | 'int64' | 'float64' | 'utf8' | 'dict' | 'timestamp' | 'contents' | 'hist1d' | 'hist2d';

/** One field of a served record. */
export interface ColumnDef {
  /** Field name as the server spells it. */
  name: string;
  kind: ColumnKind;
  /** True when `null` is a valid value (the field must still be present). */
  nullable: boolean;
}

const c = (name: string, kind: ColumnKind, nullable = false): ColumnDef => ({ name, kind, nullable });

const histogramHead: ColumnDef[] = [
  c('id', 'int64'),
  c('run', 'int32'),
  c('lumisection', 'int32'),
  c('title', 'dict'),
  c('entries', 'int64'),
  c('x_min', 'float64'),
  c('x_max', 'float64'),
  c('x_bin', 'int32'),
];

const dialsHistogramHead: ColumnDef[] = [
  c('dataset_id', 'int64'),
  c('dataset', 'dict'),
  c('me', 'dict'),
  c('file_id', 'int64'),
  c('run_number', 'int32'),
  c('ls_number', 'int32'),
  c('me_id', 'int32'),
  c('x_min', 'float64'),
  c('x_max', 'float64'),
  c('x_bin', 'int32'),
  c('entries', 'int64'),
];

/** Columns per endpoint, in output order. */
export const COLUMNS: Record<StreamEndpoint, readonly ColumnDef[]> = {
  runs: [c('run_number', 'int32'), c('date', 'timestamp')],
  lumisections: [c('run', 'int32'), c('ls_number', 'int32'), c('date', 'timestamp')],
  lumisection_histograms_1d: [...histogramHead, c('source_data_file', 'int32', true), c('data', 'hist1d')],
  lumisection_histograms_2d: [
    ...histogramHead,
    c('y_min', 'float64'),
    c('y_max', 'float64'),
    c('y_bin', 'int32'),
    c('source_data_file', 'int32', true),
    c('data', 'hist2d'),
  ],
  histogram_data_files: [
    c('id', 'int32'),
    c('filepath', 'utf8'),
    c('filesize', 'float64'),
    c('data_era', 'utf8'),
    c('entries_total', 'int64'),
    c('entries_processed', 'int64'),
    c('percentage_processed', 'float64'),
    c('contents', 'contents'),
    c('created', 'timestamp'),
    c('modified', 'timestamp'),
    c('run_histograms', 'int64'),
    c('lumisection_histograms_1d', 'int64'),
    c('lumisection_histograms_2d', 'int64'),
  ],
  // DIALS: field names and order as the API serves them; bins without flow bins, 2D data y-outer.
  th1: [...dialsHistogramHead, c('data', 'hist1d')],
  th2: [
    ...dialsHistogramHead.slice(0, 10),
    c('y_min', 'float64'),
    c('y_max', 'float64'),
    c('y_bin', 'int32'),
    c('entries', 'int64'),
    c('data', 'hist2d'),
  ],
  run: [c('dataset_id', 'int64'), c('dataset', 'dict'), c('run_number', 'int32'), c('ls_count', 'int32')],
  lumisection: [
    c('dataset_id', 'int64'),
    c('dataset', 'dict'),
    c('run_number', 'int32'),
    c('ls_number', 'int32'),
    c('th1_count', 'int32'),
    c('th2_count', 'int32'),
  ],
  mes: [c('me_id', 'int32'), c('me', 'utf8'), c('count', 'int64'), c('dim', 'int32')],
  'file-index': [
    c('dataset_id', 'int64'),
    c('dataset', 'dict'),
    c('file_id', 'int64'),
    c('file_size', 'int64'),
    c('creation_date', 'timestamp'),
    c('last_modification_date', 'timestamp'),
    c('logical_file_name', 'utf8'),
    c('status', 'dict'),
    c('err_trace', 'utf8', true),
  ],
  'dataset-index': [
    c('dataset_id', 'int64'),
    c('dataset', 'utf8'),
    c('era', 'dict'),
    c('data_tier', 'dict'),
    c('primary_ds_name', 'dict'),
    c('processed_ds_name', 'utf8'),
    c('processing_version', 'int32'),
    c('last_modification_date', 'timestamp'),
  ],
};

/** The field that identifies a record in a reject line, per endpoint (null: no single key). */
export const RECORD_KEY: Record<StreamEndpoint, string | null> = {
  runs: 'run_number',
  lumisections: null,
  lumisection_histograms_1d: 'id',
  lumisection_histograms_2d: 'id',
  histogram_data_files: 'id',
  // DIALS keys are composite (dataset_id, run_number, ls_number, me_id): reject lines give the index.
  th1: null,
  th2: null,
  run: null,
  lumisection: null,
  mes: 'me_id',
  'file-index': 'file_id',
  'dataset-index': 'dataset_id',
};

/** True when records of `endpoint` carry histogram bins (`data`). */
export function isHistogramStream(endpoint: StreamEndpoint): boolean {
  return COLUMNS[endpoint].some((c) => c.kind === 'hist1d' || c.kind === 'hist2d');
}
