/** Pipeline files: loading, validation, JSON Schema, config hash. Re-exports only. */
export { loadPipeline, parsePipelineText, type LoadedPipeline, type LoadOptions } from './load.js';
export { pipelineJsonSchema } from './json-schema.js';
export { configHash, streamConfigHash, canonicalJson } from './hash.js';
export { formatIssue, type ConfigIssue } from './issues.js';
export { interpolateString, type Env } from './interpolate.js';
export { suggest, didYouMean, levenshtein } from './suggest.js';
export { ENDPOINT_COLUMNS, partitionColumns, hasRun, sliceKinds } from './columns.js';
export {
  pipelineSchema,
  SUPPORTED_VERSIONS,
  type Pipeline,
  type PipelineInput,
  type PipelineDefaults,
  type PrepareStep,
  type DiscoverStep,
  type StartParsingStep,
} from './schema.js';
export {
  sourceSchema,
  URL_PRESETS,
  SOURCE_TYPES,
  DEFAULT_TIMEOUTS,
  type Source,
  type PlaygroundSource,
  type DialsSource,
  type CsvSource,
  type SourceTimeouts,
} from './schema-source.js';
export {
  streamSchema,
  LAYOUTS,
  OUTPUT_FORMATS,
  COMPRESSIONS,
  OUTPUT_MODES,
  SLICE_KINDS,
  type Stream,
  type SliceSpec,
  type TransformConfig,
  type OutputConfig,
  type IncrementalConfig,
  type Layout,
  type OutputFormat,
  type Compression,
  type OutputMode,
} from './schema-stream.js';
