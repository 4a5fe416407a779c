/**
 * Hive-style partition directories (`run=315705/title=...`). Names and values are percent-encoded
 * (what pyarrow's `segment_encoding="uri"` and DuckDB decode), so no value can name a parent
 * directory, an absolute path, a hidden (dot) directory or contain `/`, `\` or NUL.
 */
import { InputError } from '../errors.js';

/** The directory name Hive, Spark and pyarrow use for a null or empty partition value. */
export const DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';

const MAX_SEGMENT_BYTES = 255;

/** Percent-encodes one path segment: everything but `A-Z a-z 0-9 - _ . ~`, and a leading dot. */
export function encodePartitionSegment(text: string): string {
  let out = encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  if (out.startsWith('.')) out = '%2E' + out.slice(1);
  return out;
}

/** One `name=value` segment; null or empty values go to the default partition. */
export function partitionSegment(name: string, value: string | null): string {
  if (name.length === 0) throw new InputError('E_PARTITION_NAME', 'partition: a partition column needs a name');
  const encodedValue = value === null || value === '' ? DEFAULT_PARTITION : encodePartitionSegment(value);
  const segment = `${encodePartitionSegment(name)}=${encodedValue}`;
  if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) {
    throw new InputError(
      'E_PARTITION_VALUE',
      `partition: value of "${name}" is too long for a directory name (${Buffer.byteLength(segment)} bytes encoded, at most ${MAX_SEGMENT_BYTES})`,
      { field: name },
    );
  }
  return segment;
}

/** The relative directory of a partition, `/`-separated, in the order of `values`' keys. */
export function partitionPath(values: Record<string, string | null>): string {
  return Object.entries(values)
    .map(([name, value]) => partitionSegment(name, value))
    .join('/');
}
