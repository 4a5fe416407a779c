/**
 * A generic Thrift compact-protocol codec, enough to rewrite Parquet's own structures (PageHeader,
 * OffsetIndex, FileMetaData) without a schema: a struct is its list of fields by id, each with its
 * wire type, so fields this code does not know about are decoded and written back as they were.
 * Decoding then encoding what a standard compact writer (arrow-rs) wrote gives the same bytes
 * (test/load/parquet/thrift-compact.test.ts checks real footers).
 *
 * Integers of type i64 are bigints; i8, i16 and i32 are numbers. Booleans inside lists, sets and maps
 * are kept as their raw byte (writers disagree on 0/1 versus 1/2), so they round-trip exactly.
 *
 * Imports nothing: the Parquet encoder worker loads it (src/load/parquet/worker-script.ts).
 */

/** Compact-protocol wire types. A struct field of type BOOL carries its value in the type nibble. */
export const TType = {
  BOOL: 1,
  BOOL_FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const;

/** A decoded value; which one is given by the wire type beside it. */
export type ThriftValue = boolean | number | bigint | Uint8Array | ThriftStruct | ThriftList | ThriftMap;

/** One field of a struct. `type` is a `TType` (BOOL for both boolean field types). */
export interface ThriftField {
  id: number;
  type: number;
  value: ThriftValue;
}

/** A struct: its fields in wire order. */
export interface ThriftStruct {
  fields: ThriftField[];
}

/** A list or set. */
export interface ThriftList {
  elementType: number;
  items: ThriftValue[];
}

/** A map. `keyType`/`valueType` are 0 in an empty map (the wire format omits them). */
export interface ThriftMap {
  keyType: number;
  valueType: number;
  entries: [ThriftValue, ThriftValue][];
}

/** Thrown when the bytes end inside a struct: the caller may retry once more bytes arrived. */
export class ThriftIncompleteError extends Error {
  constructor() {
    super('Thrift struct cut short');
    this.name = 'ThriftIncompleteError';
  }
}

/** Nesting deeper than this is refused: Parquet's structures are a few levels deep. */
const MAX_DEPTH = 64;

class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
  ) {}

  byte(): number {
    if (this.pos >= this.bytes.length) throw new ThriftIncompleteError();
    return this.bytes[this.pos++];
  }

  /** An unsigned varint of up to 32 bits. */
  varint32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
    }
    throw new Error('Thrift varint longer than 5 bytes');
  }

  varint64(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
    }
    throw new Error('Thrift varint longer than 10 bytes');
  }

  zigzag32(): number {
    const n = this.varint32();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  take(length: number): Uint8Array {
    if (this.pos + length > this.bytes.length) throw new ThriftIncompleteError();
    const out = this.bytes.slice(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  value(type: number, depth: number): ThriftValue {
    switch (type) {
      case TType.BOOL:
      case TType.BOOL_FALSE:
      case TType.BYTE: {
        const b = this.byte();
        return b > 127 ? b - 256 : b;
      }
      case TType.I16:
      case TType.I32:
        return this.zigzag32();
      case TType.I64: {
        const n = this.varint64();
        return (n >> 1n) ^ -(n & 1n);
      }
      case TType.DOUBLE:
        return new DataView(this.take(8).buffer).getFloat64(0, true);
      case TType.BINARY:
        return this.take(this.varint32());
      case TType.LIST:
      case TType.SET: {
        const header = this.byte();
        const size = header >> 4 === 15 ? this.varint32() : header >> 4;
        const elementType = header & 0x0f;
        const items: ThriftValue[] = [];
        for (let i = 0; i < size; i++) items.push(this.value(elementType, depth + 1));
        return { elementType, items };
      }
      case TType.MAP: {
        const size = this.varint32();
        const types = size > 0 ? this.byte() : 0;
        const entries: [ThriftValue, ThriftValue][] = [];
        for (let i = 0; i < size; i++)
          entries.push([this.value(types >> 4, depth + 1), this.value(types & 0x0f, depth + 1)]);
        return { keyType: types >> 4, valueType: types & 0x0f, entries };
      }
      case TType.STRUCT:
        return this.struct(depth + 1);
      default:
        throw new Error(`Thrift: unknown compact type ${type} at byte ${this.pos}`);
    }
  }

  struct(depth: number): ThriftStruct {
    if (depth > MAX_DEPTH) throw new Error('Thrift: structs nested too deep');
    const fields: ThriftField[] = [];
    let lastId = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return { fields };
      const delta = header >> 4;
      const wireType = header & 0x0f;
      const id = delta === 0 ? this.zigzag32() : lastId + delta;
      lastId = id;
      if (wireType === TType.BOOL || wireType === TType.BOOL_FALSE) {
        fields.push({ id, type: TType.BOOL, value: wireType === TType.BOOL });
      } else {
        fields.push({ id, type: wireType, value: this.value(wireType, depth) });
      }
    }
  }
}

/**
 * Decodes one struct starting at `offset`; returns it and the offset just past it. Throws
 * `ThriftIncompleteError` when `bytes` ends first, an Error on bytes that are not compact Thrift.
 */
export function decodeStruct(bytes: Uint8Array, offset = 0): { struct: ThriftStruct; end: number } {
  const reader = new Reader(bytes, offset);
  const struct = reader.struct(0);
  return { struct, end: reader.pos };
}

class Writer {
  private buf = new Uint8Array(256);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.length++] = b & 0xff;
  }

  varint32(n: number): void {
    while (n >= 0x80) {
      this.byte((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    this.byte(n);
  }

  varint64(n: bigint): void {
    while (n >= 0x80n) {
      this.byte(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.byte(Number(n));
  }

  zigzag32(n: number): void {
    this.varint32(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  value(type: number, value: ThriftValue): void {
    switch (type) {
      case TType.BOOL:
      case TType.BOOL_FALSE:
      case TType.BYTE:
        return this.byte(value as number);
      case TType.I16:
      case TType.I32:
        return this.zigzag32(value as number);
      case TType.I64: {
        const n = BigInt.asIntN(64, value as bigint);
        return this.varint64(BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
      }
      case TType.DOUBLE: {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setFloat64(0, value as number, true);
        return this.bytes(b);
      }
      case TType.BINARY: {
        const b = value as Uint8Array;
        this.varint32(b.length);
        return this.bytes(b);
      }
      case TType.LIST:
      case TType.SET: {
        const list = value as ThriftList;
        const size = list.items.length;
        if (size < 15) this.byte((size << 4) | list.elementType);
        else {
          this.byte(0xf0 | list.elementType);
          this.varint32(size);
        }
        for (const item of list.items) this.value(list.elementType, item);
        return;
      }
      case TType.MAP: {
        const map = value as ThriftMap;
        this.varint32(map.entries.length);
        if (map.entries.length === 0) return;
        this.byte((map.keyType << 4) | map.valueType);
        for (const [k, v] of map.entries) {
          this.value(map.keyType, k);
          this.value(map.valueType, v);
        }
        return;
      }
      case TType.STRUCT:
        return this.struct(value as ThriftStruct);
      default:
        throw new Error(`Thrift: unknown compact type ${type}`);
    }
  }

  struct(struct: ThriftStruct): void {
    let lastId = 0;
    for (const field of struct.fields) {
      const wireType = field.type === TType.BOOL ? (field.value ? TType.BOOL : TType.BOOL_FALSE) : field.type;
      const delta = field.id - lastId;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | wireType);
      else {
        this.byte(wireType);
        this.zigzag32(field.id);
      }
      lastId = field.id;
      if (field.type !== TType.BOOL) this.value(field.type, field.value);
    }
    this.byte(0);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/**
 * The one Writer of this thread, reused by every call: a Writer per call died young, and once a full
 * collection found none alive V8 dropped the Writer's hidden classes, threw away the optimised code
 * of every function that had used them and compiled it again for the next file (7-14 times per
 * export; docs/decisions.md, "Own Parquet writer: one shape per object, kept alive between files").
 * Calls never nest (nothing here calls back out), so one is enough.
 */
const sharedWriter = new Writer();

/** Encodes a struct in the compact protocol (a copy: the caller may keep it). */
export function encodeStruct(struct: ThriftStruct): Uint8Array {
  sharedWriter.length = 0;
  sharedWriter.struct(struct);
  return sharedWriter.result();
}

/** The field with this id, if any. */
export function field(struct: ThriftStruct, id: number): ThriftField | undefined {
  return struct.fields.find((f) => f.id === id);
}

/** Sets a field's value, adding the field in id order when missing. */
export function setField(struct: ThriftStruct, id: number, type: number, value: ThriftValue): void {
  const existing = field(struct, id);
  if (existing) {
    existing.type = type;
    existing.value = value;
    return;
  }
  const at = struct.fields.findIndex((f) => f.id > id);
  struct.fields.splice(at < 0 ? struct.fields.length : at, 0, { id, type, value });
}

/** Removes a field if present. */
export function removeField(struct: ThriftStruct, id: number): void {
  const at = struct.fields.findIndex((f) => f.id === id);
  if (at >= 0) struct.fields.splice(at, 1);
}
