/**
 * The local DQM Playground-compatible server (`dqm-export serve`), for development, tests and
 * benchmarks: same endpoints, shapes, errors, pagination and caching quirks as the real one, plus
 * seeded fault injection and synthetic data.
 */
export { startServer } from './server.js';
export type { RunningServer, ServerApi, ServerOptions } from './options.js';
export { parseDialsMap, type DialsMap } from './dials/mapping.js';
export { resolveServerOptions } from './options.js';
export type { SyntheticSpec } from '../tables/synthetic-spec.js';
export {
  parseSyntheticSpec,
  syntheticHistogram,
  syntheticTitle,
  syntheticCount,
  SYNTHETIC_DEFAULTS,
} from '../tables/synthetic-spec.js';
export type { EnvelopeKind } from './pagination.js';
