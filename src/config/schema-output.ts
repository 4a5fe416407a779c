/**
 * `streams[].output` and `defaults.output`: where and how a stream's dataset is written (format,
 * codec, partitioning, file and row-group sizes, what to do with an existing dataset).
 */
import { posix } from 'node:path';
import * as z from '../zod.js';
import { choice, columnField, intField, lazyField, strictObject, text, withDefault } from './fields.js';

/** Values of `output.format`: Parquet, Arrow IPC file, Arrow IPC stream. */
export const OUTPUT_FORMATS = ['parquet', 'arrow', 'arrows'] as const;
/** Values of `output.compression`: all three for Parquet; Arrow IPC formats are written uncompressed (none). */
export const COMPRESSIONS = ['zstd', 'snappy', 'none'] as const;
/** Values of `output.mode`: what to do with an existing dataset. */
export const OUTPUT_MODES = ['overwrite', 'error', 'append'] as const;

const isAbsolutePath = (p: string): boolean => posix.isAbsolute(p) || /^[A-Za-z]:\//.test(p);

/**
 * A dataset directory: absolute as written, or relative to the output root (normalised, never
 * escaping it with `..`).
 */
const outputPath = text('a directory path')
  .transform((p) => posix.normalize(p.replace(/\\/g, '/')).replace(/(.)\/+$/, '$1'))
  .refine((p) => !isAbsolutePath(p) || (p !== '/' && !/^[A-Za-z]:\/?$/.test(p)), {
    error: 'must name a directory, not the filesystem root',
  })
  .refine((p) => isAbsolutePath(p) || (p !== '..' && !p.startsWith('../')), {
    error:
      'must stay inside the output root (--out, or else the pipeline file directory) when relative: no escaping with .., or write an absolute path',
  })
  .refine((p) => p !== '.' && p !== '', { error: 'must name a directory below the output root, not the root itself' });

/** Output fields without defaults (and without `path`): shared by streams and `defaults.output`. */
const outputFields = {
  /** Parquet files, Arrow IPC files, or Arrow IPC streams. */
  format: choice(OUTPUT_FORMATS, 'formats'),
  /** Hive-style partition columns (`run=315705/`): output columns with scalar values. */
  partition_by: lazyField(() => z.array(columnField())),
  /** Codec: Parquet zstd (default), snappy or none; Arrow IPC none only. */
  compression: choice(COMPRESSIONS, 'compressions'),
  /** Target in-memory (decoded) size of a Parquet row group, MiB. */
  row_group_mb: intField(1, 4096),
  /** A file is closed and the next one started at this size, MiB. */
  max_file_mb: intField(1, 1_048_576),
  /** An existing dataset: replace it, refuse, or add to it. */
  mode: choice(OUTPUT_MODES, 'modes'),
};

/** `streams[].output`. `path` is the dataset directory; the writer names the files in it. */
export const outputConfigSchema = strictObject({
  ...outputFields,
  format: withDefault(outputFields.format, 'parquet'),
  /** Dataset directory: absolute, or relative to --out (or else the pipeline file directory). */
  path: outputPath,
  partition_by: withDefault(outputFields.partition_by, []),
  compression: outputFields.compression.optional(),
  row_group_mb: withDefault(outputFields.row_group_mb, 128),
  max_file_mb: withDefault(outputFields.max_file_mb, 1024),
  mode: withDefault(outputFields.mode, 'error'),
})
  .superRefine((o, ctx) => {
    // The IPC writer writes bodies uncompressed (docs/decisions.md, "Arrow IPC: no body compression");
    // refusing here beats a file that validates and then fails at the first batch.
    if (o.format !== 'parquet' && o.compression !== undefined && o.compression !== 'none') {
      ctx.addIssue({
        code: 'custom',
        path: ['compression'],
        message: `${o.format} (Arrow IPC) output is written uncompressed; valid compressions: none, got ${o.compression}`,
      });
    }
    if (o.row_group_mb > o.max_file_mb) {
      ctx.addIssue({
        code: 'custom',
        path: ['row_group_mb'],
        message: `must not exceed max_file_mb (${o.max_file_mb}), got ${o.row_group_mb}`,
      });
    }
    const seen = new Set<string>();
    o.partition_by.forEach((c, i) => {
      if (seen.has(c)) ctx.addIssue({ code: 'custom', path: ['partition_by', i], message: `column ${c} listed twice` });
      seen.add(c);
    });
  })
  .transform((o) => ({ ...o, compression: o.compression ?? (o.format === 'parquet' ? 'zstd' : 'none') }));

/** `defaults.output`: every output field but `path` (each stream needs its own directory). */
export const outputDefaultsSchema = lazyField(() =>
  strictObject({
    format: outputFields.format.optional(),
    partition_by: outputFields.partition_by.optional(),
    compression: outputFields.compression.optional(),
    row_group_mb: outputFields.row_group_mb.optional(),
    max_file_mb: outputFields.max_file_mb.optional(),
    mode: outputFields.mode.optional(),
  }),
);

/** A stream's output settings, defaults applied (`compression` resolved per format). */
export type OutputConfig = z.output<typeof outputConfigSchema>;
/** A value of `output.format`. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** A value of `output.compression`. */
export type Compression = (typeof COMPRESSIONS)[number];
/** A value of `output.mode`. */
export type OutputMode = (typeof OUTPUT_MODES)[number];
