/**
 * The extract stage: a DQM Playground client and a planner + executor that export lists completely
 * and concurrently. Re-exports only.
 */
export { createClient } from './client.js';
export {
  resolveConnection,
  normalizeBaseUrl,
  isLoopbackHost,
  checkTransportSecurity,
  PRESETS,
  type Connection,
  type ConnectionInput,
  type PresetName,
} from './connection.js';
export {
  planSlices,
  runsInScope,
  runListFilters,
  SLICE_DIMENSIONS,
  type PlanContext,
  type SliceDimension,
  type StreamSpec,
} from './plan.js';
export { loadPlanContext } from './plan-context.js';
export { extractSlices } from './execute.js';
export { speculativePagesOn } from './flow-limits.js';
export { recordKey, type RecordKey } from './records.js';
export { isInvalidPage } from './http/response.js';
export type {
  CallOptions,
  ClientOptions,
  ClientStats,
  DqmClient,
  ExtractEvent,
  ExtractOptions,
  Page,
  ParseProgress,
  ParseRequest,
  PartitionValues,
  RecordByEndpoint,
  RecordOf,
  RetryReason,
  Slice,
  SliceReport,
  WaitOptions,
} from './types.js';
