/**
 * What config validation needs to know about each endpoint's records: their columns (for `select`,
 * `rename`, `partition_by`), which of them can partition a dataset, and how a stream can be sliced.
 * Derived from the transform's column catalogue and the planner's slice dimensions, so the file
 * is checked against exactly what the runner will do.
 */
import type { Endpoint } from '../domain.js';
import { SLICE_DIMENSIONS } from '../extract/plan.js';
import { COLUMNS } from '../transform/columns.js';

/** Record fields of each endpoint, in output order. */
export const ENDPOINT_COLUMNS: Record<Endpoint, readonly string[]> = {
  runs: names('runs'),
  lumisections: names('lumisections'),
  lumisection_histograms_1d: names('lumisection_histograms_1d'),
  lumisection_histograms_2d: names('lumisection_histograms_2d'),
  histogram_data_files: names('histogram_data_files'),
};

function names(endpoint: Endpoint): string[] {
  return COLUMNS[endpoint].map((d) => d.name);
}

/** Column kinds that cannot name a partition directory (lists and histograms). */
const NON_SCALAR = new Set(['contents', 'hist1d', 'hist2d']);

/** Columns a dataset of `endpoint` can be partitioned by (every scalar column). */
export function partitionColumns(endpoint: Endpoint): string[] {
  return COLUMNS[endpoint].filter((d) => !NON_SCALAR.has(d.kind)).map((d) => d.name);
}

/** Endpoints whose records carry a run number: they can be sliced by run and exported incrementally. */
export function hasRun(endpoint: Endpoint): boolean {
  return SLICE_DIMENSIONS[endpoint].includes('run');
}

/** The `slice.by` values possible for `endpoint`: `none`, plus what the planner can cut it by. */
export function sliceKinds(endpoint: Endpoint): ('none' | 'run' | 'run-range' | 'title')[] {
  return ['none', ...SLICE_DIMENSIONS[endpoint]];
}
