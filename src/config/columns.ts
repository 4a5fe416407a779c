/**
 * What config validation needs to know about each endpoint's records: their columns (for `select`,
 * `rename`, `partition_by`), which of them can partition a dataset, and how a stream can be sliced.
 * Column names follow the record shapes in src/domain.ts (the real server's field names).
 */
import { isHistogramEndpoint, type Endpoint } from '../domain.js';

const HISTOGRAM_1D_COLUMNS = ['id', 'run', 'lumisection', 'title', 'entries', 'data', 'x_min', 'x_max', 'x_bin', 'source_data_file'] as const;

/** Record fields of each endpoint, in the order the server sends them. */
export const ENDPOINT_COLUMNS: Record<Endpoint, readonly string[]> = {
  runs: ['run_number', 'date'],
  lumisections: ['run', 'ls_number', 'date'],
  lumisection_histograms_1d: HISTOGRAM_1D_COLUMNS,
  lumisection_histograms_2d: [...HISTOGRAM_1D_COLUMNS, 'y_min', 'y_max', 'y_bin'],
  histogram_data_files: [
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

/** Columns that are not scalars and so cannot name a partition directory. */
const NON_SCALAR = new Set(['data', 'contents']);

/** Columns a dataset of `endpoint` can be partitioned by (every scalar column). */
export function partitionColumns(endpoint: Endpoint): string[] {
  return ENDPOINT_COLUMNS[endpoint].filter((c) => !NON_SCALAR.has(c));
}

/** Endpoints whose records carry a run number: they can be sliced by run and exported incrementally. */
export function hasRun(endpoint: Endpoint): boolean {
  return endpoint !== 'histogram_data_files';
}

/** How a stream of `endpoint` may be sliced: by title only for histograms (the only `title` filter). */
export function sliceKinds(endpoint: Endpoint): ('none' | 'run' | 'run-range' | 'title')[] {
  if (isHistogramEndpoint(endpoint)) return ['none', 'run', 'run-range', 'title'];
  return hasRun(endpoint) ? ['none', 'run', 'run-range'] : ['none'];
}
