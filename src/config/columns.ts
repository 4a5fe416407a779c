/**
 * What config validation needs to know about each endpoint's records: their columns (for `select`,
 * `rename`, `partition_by`), which of them can partition a dataset, and how a stream can be sliced.
 * Derived from the transform's column catalogue and the planner's slice dimensions, so the file
 * is checked against exactly what the runner will do.
 */
import { SLICE_DIMENSIONS } from '../extract/plan.js';
import { DIALS_SLICE_DIMENSIONS, isDialsEndpoint } from '../dials.js';
import { STREAM_ENDPOINTS, type StreamEndpoint as Endpoint } from '../endpoints.js';
import { COLUMNS } from '../transform/columns.js';

/** Record fields of each endpoint, in output order. */
export const ENDPOINT_COLUMNS = Object.fromEntries(STREAM_ENDPOINTS.map((e) => [e, names(e)])) as unknown as Record<
  Endpoint,
  readonly string[]
>;

function names(endpoint: Endpoint): string[] {
  return COLUMNS[endpoint].map((d) => d.name);
}

/** A `slice.by` value. */
export type SliceKind = 'none' | 'run' | 'run-range' | 'title' | 'dataset' | 'me';

/** Column kinds that cannot name a partition directory (lists and histograms). */
const NON_SCALAR = new Set(['contents', 'hist1d', 'hist2d']);

/** Columns a dataset of `endpoint` can be partitioned by (every scalar column). */
export function partitionColumns(endpoint: Endpoint): string[] {
  return COLUMNS[endpoint].filter((d) => !NON_SCALAR.has(d.kind)).map((d) => d.name);
}

/** Endpoints whose records carry a run number: they can be sliced by run and exported incrementally. */
export function hasRun(endpoint: Endpoint): boolean {
  return dimensionsOf(endpoint).includes('run');
}

/** What the planner of the endpoint's source can cut it by. */
function dimensionsOf(endpoint: Endpoint): readonly string[] {
  return isDialsEndpoint(endpoint) ? DIALS_SLICE_DIMENSIONS[endpoint] : SLICE_DIMENSIONS[endpoint];
}

/** The `slice.by` values possible for `endpoint`: `none`, plus what the planner can cut it by. */
export function sliceKinds(endpoint: Endpoint): SliceKind[] {
  return ['none', ...(dimensionsOf(endpoint) as SliceKind[])];
}
