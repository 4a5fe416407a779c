/** Load: Arrow record batches to Parquet and Arrow IPC files, atomically, with a manifest. */
export {
  OUTPUT_FORMATS,
  type Compression,
  type OutputFormat,
  type SchemaChangePolicy,
  type Sink,
  type SinkOptions,
  type WrittenFile,
} from './types.js';
export { openSink, resolveSinkOptions } from './open-sink.js';
export { SliceSinks } from './slice-sinks.js';
export { openPartitionedSink, type PartitionedSinkOptions } from './partitioned-sink.js';
export { DEFAULT_PARTITION, encodePartitionSegment, partitionPath, partitionSegment } from './partition-path.js';
export { TEMP_PREFIX, cleanTemporaries, isTemporaryName, writeFileAtomic } from './atomic.js';
export { schemaSignature, schemaToJSON, type FieldJSON, type SchemaJSON } from './schema-json.js';
export {
  EncoderPool,
  sharedEncoderPool,
  type EncoderPoolOptions,
  type EncoderPoolStats,
} from './parquet/encoder-pool.js';
export { settleArrayBufferDetaching } from './parquet/array-buffer-detach.js';
export { DEFAULT_ROW_GROUP_BYTES } from './parquet/parquet-encoder.js';
export { DEFAULT_MAX_FILE_BYTES } from './rolling-sink.js';
export { batchByteLength } from './batch-bytes.js';
export { takeRows } from './take.js';
