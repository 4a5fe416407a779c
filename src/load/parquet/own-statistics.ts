/**
 * Column chunk statistics of a scalar column as arrow-rs writes them (parquet/src/column/writer):
 * min/max in Parquet's plain byte form (NaN skipped; a zero min written -0.0, a zero max +0.0),
 * the deprecated `min`/`max` fields too for signed sort orders (numbers, not strings), the null
 * count, and strings truncated to 64 bytes at a character boundary (the max then incremented so it
 * stays an upper bound) with `is_*_value_exact` false.
 *
 * Imports only siblings: the Parquet encoder worker loads it (src/load/parquet/worker-script.ts).
 */
import { struct } from './own-pages.js';
import { TType, type ThriftStruct } from './thrift-compact.js';
import type { OwnScalarColumn } from './protocol.js';

/** arrow-rs' default statistics truncation length. */
const TRUNCATE_LENGTH = 64;

type Kind = OwnScalarColumn['kind'];

function readNumber(kind: Kind, bytes: Uint8Array): number | bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (kind === 'int32') return view.getInt32(0, true);
  if (kind === 'int64') return view.getBigInt64(0, true);
  return view.getFloat64(0, true);
}

/** Unsigned lexicographic order of byte strings: a > b. */
function bytesGreater(a: Uint8Array, b: Uint8Array): boolean {
  const n = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return a.byteLength > b.byteLength;
}

/** Whether byte `at` of UTF-8 `bytes` starts a character (or is the end). */
function isBoundary(bytes: Uint8Array, at: number): boolean {
  return at >= bytes.byteLength || (bytes[at] & 0xc0) !== 0x80;
}

/** The longest prefix of at most `length` bytes ending at a character boundary (arrow-rs truncate_utf8). */
function truncateMin(bytes: Uint8Array, length: number): Uint8Array | null {
  for (let split = length; split >= 1; split--) if (isBoundary(bytes, split)) return bytes.slice(0, split);
  return null;
}

/** Truncates near `length` bytes and increments the last character that can be (arrow-rs truncate_and_increment_utf8). */
function truncateMax(bytes: Uint8Array, length: number): Uint8Array | null {
  for (let split = length; split >= Math.max(0, length - 3); split--) {
    if (!isBoundary(bytes, split)) continue;
    const chars = [...new TextDecoder().decode(bytes.subarray(0, split))];
    for (let i = chars.length - 1; i >= 0; i--) {
      const code = chars[i].codePointAt(0)! + 1;
      const isSurrogate = code >= 0xd800 && code <= 0xdfff;
      if (code > 0x10ffff || isSurrogate) continue;
      const next = String.fromCodePoint(code);
      if (new TextEncoder().encode(next).byteLength !== new TextEncoder().encode(chars[i]).byteLength) continue;
      return new TextEncoder().encode(chars.slice(0, i).join('') + next);
    }
    return null;
  }
  return null;
}

/** Min, max and null count of one column chunk, and what `size_statistics` holds. */
export class ScalarStatistics {
  nulls = 0;
  /** Non-null values' bytes (BYTE_ARRAY columns: unencoded_byte_array_data_bytes). */
  byteArrayBytes = 0;
  private min: Uint8Array | null = null;
  private max: Uint8Array | null = null;
  private minNumber: number | bigint = 0;
  private maxNumber: number | bigint = 0;

  constructor(
    private readonly kind: Kind,
    private readonly nullable: boolean,
  ) {}

  reset(): void {
    this.nulls = 0;
    this.byteArrayBytes = 0;
    this.min = null;
    this.max = null;
  }

  /** Counts one non-null value (its Parquet plain bytes; a string's UTF-8). */
  update(bytes: Uint8Array): void {
    if (this.kind === 'utf8') {
      this.byteArrayBytes += bytes.byteLength;
      if (this.min === null || bytesGreater(this.min, bytes)) this.min = bytes.slice();
      if (this.max === null || bytesGreater(bytes, this.max)) this.max = bytes.slice();
      return;
    }
    const value = readNumber(this.kind, bytes);
    if (typeof value === 'number' && Number.isNaN(value)) return;
    if (this.min === null || this.minNumber > value) {
      this.min = bytes.slice();
      this.minNumber = value;
    }
    if (this.max === null || value > this.maxNumber) {
      this.max = bytes.slice();
      this.maxNumber = value;
    }
  }

  /**
   * `update` for a fixed-width value already read as an exact number (int32, float64, or an int64
   * within ±2^53), whose bytes are `values[at, at + width)`: the bytes are copied only when the value
   * becomes the minimum or the maximum, and no view is made per value.
   */
  updateNumber(value: number, values: Uint8Array, at: number, width: number): void {
    if (Number.isNaN(value)) return;
    if (this.min === null || this.minNumber > value) {
      this.min = values.slice(at, at + width);
      this.minNumber = value;
    }
    if (this.max === null || value > this.maxNumber) {
      this.max = values.slice(at, at + width);
      this.maxNumber = value;
    }
  }

  /** The Thrift `Statistics` of the chunk, with `rows` rows. */
  toThrift(): ThriftStruct {
    const fields: [number, number, ThriftStruct['fields'][number]['value']][] = [];
    let min = this.min;
    let max = this.max;
    let minExact = true;
    let maxExact = true;
    if (min && max && this.kind === 'float64') {
      if (this.minNumber === 0) min = new Uint8Array(new Float64Array([-0]).buffer);
      if (this.maxNumber === 0) max = new Uint8Array(8);
    }
    if (min && max && this.kind === 'utf8') {
      if (min.byteLength > TRUNCATE_LENGTH) {
        const truncated = truncateMin(min, TRUNCATE_LENGTH);
        if (truncated) [min, minExact] = [truncated, false];
      }
      if (max.byteLength > TRUNCATE_LENGTH) {
        const truncated = truncateMax(max, TRUNCATE_LENGTH);
        if (truncated) [max, maxExact] = [truncated, false];
      }
    }
    // Numbers sort signed: the deprecated fields are written too (strings sort unsigned: not).
    if (min && max && this.kind !== 'utf8') fields.push([1, TType.BINARY, max], [2, TType.BINARY, min]);
    fields.push([3, TType.I64, BigInt(this.nulls)]);
    if (min && max) fields.push([5, TType.BINARY, max], [6, TType.BINARY, min]);
    // Without values (all null) arrow-rs still writes both flags, false.
    fields.push([7, TType.BOOL, !!max && maxExact], [8, TType.BOOL, !!min && minExact]);
    return struct(...fields);
  }

  /** The chunk's `SizeStatistics`, when arrow-rs writes one (byte arrays, nullable columns). */
  sizeStatistics(rows: number): ThriftStruct | null {
    const fields: [number, number, ThriftStruct['fields'][number]['value']][] = [];
    if (this.kind === 'utf8') fields.push([1, TType.I64, BigInt(this.byteArrayBytes)]);
    if (this.nullable)
      fields.push([3, TType.LIST, { elementType: TType.I64, items: [BigInt(this.nulls), BigInt(rows - this.nulls)] }]);
    return fields.length > 0 ? struct(...fields) : null;
  }
}
