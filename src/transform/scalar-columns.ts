/**
 * Scalar columns built straight into typed arrays and wrapped with `makeData`: one preallocated
 * array per column, one store per accepted record, no Arrow builder in the loop.
 */
import {
  Bool,
  Dictionary,
  Field,
  Float64,
  Int8,
  Int32,
  Int64,
  List,
  Struct,
  TimeUnit,
  Timestamp,
  Utf8,
  makeData,
  makeVector,
  type Data,
  type DataType,
} from 'apache-arrow';
import type { ColumnKind } from './columns.js';
import type { ConstantValue } from './spec.js';

/** One `contents` entry of a histogram data file, checked. */
export interface DataFileContent {
  granularity: string;
  data_dimensionality: number;
}

/** Collects the checked values of one column and turns them into Arrow data. */
export interface ColumnAccumulator {
  /** Appends one checked value (`null` only for nullable columns). */
  push(value: unknown): void;
  /** The column's Arrow data for everything pushed. */
  finish(): Data;
}

/** The `contents` list type: `list<struct<granularity: utf8, data_dimensionality: int8>>`. */
function contentsType(): List {
  const struct = new Struct([
    new Field('granularity', new Utf8(), false),
    new Field('data_dimensionality', new Int8(), false),
  ]);
  return new List(new Field('item', struct, true));
}

/** The Arrow type of a scalar column kind. Timestamps are microseconds, UTC. */
export function scalarType(kind: Exclude<ColumnKind, 'hist1d' | 'hist2d'>): DataType {
  switch (kind) {
    case 'int32':
      return new Int32();
    case 'int64':
      return new Int64();
    case 'float64':
      return new Float64();
    case 'utf8':
      return new Utf8();
    case 'dict':
      return new Dictionary(new Utf8(), new Int32());
    case 'timestamp':
      return new Timestamp(TimeUnit.MICROSECOND, 'UTC');
    case 'contents':
      return contentsType();
  }
}

const encoder = new TextEncoder();

/** Utf8 data from strings: one offsets array and one byte buffer. */
export function utf8Data(values: readonly string[]): Data<Utf8> {
  const encoded = values.map((v) => encoder.encode(v));
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  for (let i = 0; i < encoded.length; i++) {
    total += encoded[i].length;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let i = 0; i < encoded.length; i++) bytes.set(encoded[i], offsets[i]);
  return makeData({ type: new Utf8(), length: values.length, valueOffsets: offsets, data: bytes, nullCount: 0 });
}

function validityBitmap(valid: Uint8Array, length: number): { nullBitmap: Uint8Array; nullCount: number } {
  const bitmap = new Uint8Array((length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < length; i++) {
    if (valid[i]) bitmap[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return { nullBitmap: bitmap, nullCount: nulls };
}

class Int32Accumulator implements ColumnAccumulator {
  private readonly values: Int32Array;
  private readonly valid: Uint8Array | null;
  private n = 0;
  constructor(capacity: number, nullable: boolean) {
    this.values = new Int32Array(capacity);
    this.valid = nullable ? new Uint8Array(capacity) : null;
  }
  push(value: unknown): void {
    if (value === null) this.n++;
    else {
      if (this.valid) this.valid[this.n] = 1;
      this.values[this.n++] = value as number;
    }
  }
  finish(): Data {
    const data = this.values.subarray(0, this.n);
    if (!this.valid) return makeData({ type: new Int32(), length: this.n, data, nullCount: 0 });
    return makeData({ type: new Int32(), length: this.n, data, ...validityBitmap(this.valid, this.n) });
  }
}

class BigIntAccumulator implements ColumnAccumulator {
  private readonly values: BigInt64Array;
  private n = 0;
  constructor(
    capacity: number,
    private readonly type: Int64 | Timestamp,
  ) {
    this.values = new BigInt64Array(capacity);
  }
  push(value: unknown): void {
    this.values[this.n++] = BigInt(value as number);
  }
  finish(): Data {
    return makeData({ type: this.type, length: this.n, data: this.values.subarray(0, this.n), nullCount: 0 } as never);
  }
}

class Float64Accumulator implements ColumnAccumulator {
  private readonly values: Float64Array;
  private n = 0;
  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }
  push(value: unknown): void {
    this.values[this.n++] = value as number;
  }
  finish(): Data {
    return makeData({ type: new Float64(), length: this.n, data: this.values.subarray(0, this.n), nullCount: 0 });
  }
}

class Utf8Accumulator implements ColumnAccumulator {
  private readonly values: string[] = [];
  push(value: unknown): void {
    this.values.push(value as string);
  }
  finish(): Data {
    return utf8Data(this.values);
  }
}

/** Dictionary-encoded strings: each distinct value once, int32 indices per row. */
class DictionaryAccumulator implements ColumnAccumulator {
  private readonly indices: Int32Array;
  private readonly lookup = new Map<string, number>();
  private readonly distinct: string[] = [];
  private n = 0;
  constructor(capacity: number) {
    this.indices = new Int32Array(capacity);
  }
  push(value: unknown): void {
    const s = value as string;
    let index = this.lookup.get(s);
    if (index === undefined) {
      index = this.distinct.length;
      this.distinct.push(s);
      this.lookup.set(s, index);
    }
    this.indices[this.n++] = index;
  }
  finish(): Data {
    const type = new Dictionary(new Utf8(), new Int32());
    return makeData({
      type,
      length: this.n,
      data: this.indices.subarray(0, this.n),
      dictionary: makeVector(utf8Data(this.distinct)),
      nullCount: 0,
    });
  }
}

class ContentsAccumulator implements ColumnAccumulator {
  private readonly rows: DataFileContent[][] = [];
  push(value: unknown): void {
    this.rows.push(value as DataFileContent[]);
  }
  finish(): Data {
    const type = contentsType();
    const offsets = new Int32Array(this.rows.length + 1);
    const granularity: string[] = [];
    const dims: number[] = [];
    this.rows.forEach((row, i) => {
      for (const entry of row) {
        granularity.push(entry.granularity);
        dims.push(entry.data_dimensionality);
      }
      offsets[i + 1] = granularity.length;
    });
    const structType = type.children[0].type as Struct;
    const struct = makeData({
      type: structType,
      length: granularity.length,
      nullCount: 0,
      children: [
        utf8Data(granularity),
        makeData({ type: new Int8(), length: dims.length, data: Int8Array.from(dims), nullCount: 0 }),
      ],
    });
    return makeData({ type, length: this.rows.length, valueOffsets: offsets, child: struct, nullCount: 0 });
  }
}

/** An accumulator for a scalar column kind, sized for `capacity` rows. */
export function scalarAccumulator(
  kind: Exclude<ColumnKind, 'hist1d' | 'hist2d'>,
  nullable: boolean,
  capacity: number,
): ColumnAccumulator {
  switch (kind) {
    case 'int32':
      return new Int32Accumulator(capacity, nullable);
    case 'int64':
      return new BigIntAccumulator(capacity, new Int64());
    case 'timestamp':
      return new BigIntAccumulator(capacity, new Timestamp(TimeUnit.MICROSECOND, 'UTC'));
    case 'float64':
      return new Float64Accumulator(capacity);
    case 'utf8':
      return new Utf8Accumulator();
    case 'dict':
      return new DictionaryAccumulator(capacity);
    case 'contents':
      return new ContentsAccumulator();
  }
}

/** The Arrow type of a constant column: strings dictionary-encoded, integers int64, other numbers float64. */
export function constantType(value: ConstantValue): DataType {
  if (typeof value === 'string') return new Dictionary(new Utf8(), new Int32());
  if (typeof value === 'boolean') return new Bool();
  return Number.isInteger(value) ? new Int64() : new Float64();
}

/** A column of `length` copies of `value` (a string is stored once, in the dictionary). */
export function constantData(value: ConstantValue, length: number): Data {
  if (typeof value === 'string') {
    const type = new Dictionary(new Utf8(), new Int32());
    return makeData({
      type,
      length,
      data: new Int32Array(length),
      dictionary: makeVector(utf8Data([value])),
      nullCount: 0,
    });
  }
  if (typeof value === 'boolean') {
    const bits = new Uint8Array((length + 7) >> 3).fill(value ? 0xff : 0);
    return makeData({ type: new Bool(), length, data: bits, nullCount: 0 });
  }
  if (Number.isInteger(value)) {
    return makeData({ type: new Int64(), length, data: new BigInt64Array(length).fill(BigInt(value)), nullCount: 0 });
  }
  return makeData({ type: new Float64(), length, data: new Float64Array(length).fill(value), nullCount: 0 });
}
