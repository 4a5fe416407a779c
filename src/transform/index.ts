/** Transform: plain JSON records to Arrow record batches (pure functions). */
export { COLUMNS, RECORD_KEY, type ColumnDef, type ColumnKind } from './columns.js';
export {
  DTYPES,
  LAYOUTS,
  compileSpec,
  transformSpecFor,
  type CompiledSpec,
  type ConstantValue,
  type Dtype,
  type Layout,
  type OutputColumn,
  type ShapeChangePolicy,
  type TransformOptions,
  type TransformSpec,
} from './spec.js';
export {
  arrowSchemaFor,
  toRecordBatch,
  toRecordBatches,
  type BatchResult,
  type BatchesResult,
  type Reject,
} from './batch.js';
export { histogramDataType, tensorMetadata } from './histogram-data.js';
export { parseTimestampMicros } from './timestamp.js';
