/**
 * Endpoints of every HTTP source in one namespace (DQM Playground's and DIALS' names do not collide:
 * `runs` vs `run`), with their filter specs. Config validation, commands and the transform look a
 * stream's endpoint up here instead of in one source's table.
 */
import { ENDPOINTS, FILTERS, type Endpoint, type FilterSpec } from './domain.js';
import { DIALS_ENDPOINTS, DIALS_FILTERS, isDialsEndpoint, type DialsEndpoint } from './dials.js';

/** A list endpoint of any source. */
export type StreamEndpoint = Endpoint | DialsEndpoint;

/** Every stream endpoint: DQM Playground's, then DIALS'. */
export const STREAM_ENDPOINTS: readonly StreamEndpoint[] = [...ENDPOINTS, ...DIALS_ENDPOINTS];

/** Real filter names and kinds of `endpoint`. */
export function filterSpecsOf(endpoint: StreamEndpoint): Record<string, FilterSpec> {
  return isDialsEndpoint(endpoint) ? DIALS_FILTERS[endpoint] : FILTERS[endpoint];
}
