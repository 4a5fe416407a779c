/** `openSink`: checks the options and picks the encoder for the format. */
import { ConfigError } from '../errors.js';
import type { FileEncoderFactory } from './file-encoder.js';
import { IpcEncoder } from './ipc/ipc-encoder.js';
import { sharedEncoderPool } from './parquet/encoder-pool.js';
import { DEFAULT_ROW_GROUP_BYTES, ParquetEncoder } from './parquet/parquet-encoder.js';
import { DEFAULT_MAX_FILE_BYTES, RollingSink, type RollingSinkSettings } from './rolling-sink.js';
import { OUTPUT_FORMATS, type Compression, type Sink, type SinkOptions } from './types.js';

const PREFIX = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const EXTENSIONS = { parquet: 'parquet', arrow: 'arrow', arrows: 'arrows' } as const;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new ConfigError('E_SINK_OPTION', `sink: ${name} must be a positive number of bytes, got ${value}`, {
      field: name,
    });
  return value;
}

/** Checks SinkOptions and resolves the defaults. */
export function resolveSinkOptions(
  options: SinkOptions,
): RollingSinkSettings & { compression: Compression; rowGroupBytes: number } {
  if (!OUTPUT_FORMATS.includes(options.format)) {
    throw new ConfigError(
      'E_SINK_FORMAT',
      `sink: unknown format "${options.format}". Valid values are: ${OUTPUT_FORMATS.join(', ')}`,
      { field: 'format' },
    );
  }
  const parquet = options.format === 'parquet';
  const compression = options.compression ?? (parquet ? 'zstd' : 'none');
  const valid: Compression[] = parquet ? ['zstd', 'snappy', 'none'] : ['none'];
  if (!valid.includes(compression)) {
    const why = parquet
      ? ''
      : ' (Arrow IPC is written uncompressed: see "Arrow IPC: no body compression" in docs/decisions.md)';
    throw new ConfigError(
      'E_SINK_COMPRESSION',
      `sink: compression "${compression}" is not available for ${options.format}${why}. Valid values are: ${valid.join(', ')}`,
      { field: 'compression' },
    );
  }
  const filePrefix = options.filePrefix ?? 'part';
  if (!PREFIX.test(filePrefix)) {
    throw new ConfigError(
      'E_SINK_PREFIX',
      `sink: filePrefix "${filePrefix}" must start with a letter or digit and contain only letters, digits, ".", "_" and "-"`,
      { field: 'filePrefix' },
    );
  }
  if (
    options.onSchemaChange !== undefined &&
    options.onSchemaChange !== 'error' &&
    options.onSchemaChange !== 'new-file'
  ) {
    throw new ConfigError(
      'E_SINK_OPTION',
      `sink: invalid onSchemaChange "${String(options.onSchemaChange)}". Valid values are: error, new-file`,
      { field: 'onSchemaChange' },
    );
  }
  const maxFileBytes = positive('maxFileBytes', options.maxFileBytes, DEFAULT_MAX_FILE_BYTES);
  return {
    dir: options.dir,
    format: options.format,
    extension: EXTENSIONS[options.format],
    filePrefix,
    maxFileBytes,
    // A row group cannot usefully outgrow the file it is in.
    rowGroupBytes: Math.min(positive('rowGroupBytes', options.rowGroupBytes, DEFAULT_ROW_GROUP_BYTES), maxFileBytes),
    compression,
    metadata: { ...(options.metadata ?? {}) },
    partition: { ...(options.partition ?? {}) },
    onSchemaChange: options.onSchemaChange ?? 'error',
    firstSequence: 0,
  };
}

/** The encoder factory for resolved options. */
export function encoderFactory(
  options: SinkOptions,
  resolved: ReturnType<typeof resolveSinkOptions>,
): FileEncoderFactory {
  if (resolved.format === 'parquet') {
    const pool = options.encoderPool ?? sharedEncoderPool();
    const estimate = { ratio: 1 };
    return async (path, schema, firstBatch) =>
      ParquetEncoder.open(path, schema, firstBatch, {
        compression: resolved.compression,
        rowGroupBytes: resolved.rowGroupBytes,
        metadata: resolved.metadata,
        pool,
        estimate,
      });
  }
  const format = resolved.format;
  return (path, schema) => IpcEncoder.open(path, format, schema);
}

/**
 * Opens a sink writing `options.format` files under `options.dir` (and the partition directory, if
 * `options.partition` is set). Files are numbered `<filePrefix>-00000.<ext>` and appear only when the
 * sink is closed; provenance from `options.metadata` goes into every file. Throws ConfigError for bad
 * options (e.g. compression for Arrow IPC).
 */
export function openSink(options: SinkOptions): Sink {
  const resolved = resolveSinkOptions(options);
  return new RollingSink(resolved, encoderFactory(options, resolved));
}
