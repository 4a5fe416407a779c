/** A stream's configuration as the options of the transform and of the sinks it writes with. */
import type { Stream } from '../config/index.js';
import type { Endpoint } from '../domain.js';
import { openPartitionedSink, openSink, type EncoderPool, type Sink } from '../load/index.js';
import { transformSpecFor, type TransformSpec } from '../transform/index.js';

/** The transform of a stream's records. */
export function streamTransform(stream: Stream): TransformSpec {
  return transformSpecFor(stream.endpoint as Endpoint, {
    layout: stream.transform.layout,
    dtype: stream.transform.dtype,
    select: stream.transform.select,
    rename: stream.transform.rename,
    constants: stream.transform.constants as Record<string, string | number | boolean> | undefined,
    onShapeChange: stream.transform.on_shape_change,
    strict: stream.transform.strict,
  });
}

/** Where and how `openStreamSink` writes. */
export interface StreamSinkPlace {
  root: string;
  filePrefix: string;
  metadata: Record<string, string>;
  /** Parquet encoder workers (default: the process-wide pool). */
  encoderPool?: EncoderPool;
  /** Upper bound on the row group size in bytes, below `output.row_group_mb` (a path that bounds its memory). */
  maxRowGroupBytes?: number;
}

/** Opens one slice's sink in `root`: files named `<filePrefix>-NNNNN`, partitioned as configured. */
export function openStreamSink(stream: Stream, o: StreamSinkPlace): Sink {
  const options = {
    dir: o.root,
    format: stream.output.format,
    compression: stream.output.compression,
    rowGroupBytes: Math.min(stream.output.row_group_mb * 1024 * 1024, o.maxRowGroupBytes ?? Infinity),
    maxFileBytes: stream.output.max_file_mb * 1024 * 1024,
    metadata: o.metadata,
    onSchemaChange: stream.transform.on_shape_change,
    filePrefix: o.filePrefix,
    encoderPool: o.encoderPool,
  } as const;
  return stream.output.partition_by.length
    ? openPartitionedSink({ ...options, partitionBy: stream.output.partition_by })
    : openSink(options);
}
