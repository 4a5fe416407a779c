/**
 * The Thrift compact codec: every structure of real Parquet files (footers, page headers, offset and
 * column indexes, as parquet-wasm writes them) decodes and encodes back to the same bytes; values of
 * every wire type round-trip; bytes cut short are told apart from bytes that are not Thrift.
 */
import { describe, expect, test } from 'vitest';
import {
  decodeStruct,
  encodeStruct,
  setField,
  ThriftIncompleteError,
  TType,
  type ThriftStruct,
} from '../../../src/load/parquet/thrift-compact.js';
import { footerOf, int, items, writeParquetBytes } from './parquet-files.js';
import { CAPTURES, histogramTable, LAYOUTS, nullsTable } from './tables.js';

/** Decodes the struct at `offset` and checks that encoding it gives the same bytes; returns it. */
function roundTrip(bytes: Uint8Array, offset: number): { struct: ThriftStruct; end: number } {
  const decoded = decodeStruct(bytes, offset);
  expect(Buffer.from(encodeStruct(decoded.struct)).equals(Buffer.from(bytes.subarray(offset, decoded.end)))).toBe(true);
  return decoded;
}

/** Round-trips every Thrift structure of a file: footer, each page header, each page index. */
function roundTripFile(bytes: Uint8Array): { pages: number; indexes: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(bytes.byteLength - 8, true);
  const footerAt = bytes.byteLength - 8 - length;
  expect(roundTrip(bytes, footerAt).end).toBe(bytes.byteLength - 8);
  let pages = 0;
  let indexes = 0;
  for (const group of items(footerOf(bytes), 4)) {
    for (const chunk of items(group, 1)) {
      const meta = decodeStruct(encodeStruct(chunk)).struct.fields.find((f) => f.id === 3)!.value as ThriftStruct;
      let at = int(meta, 11) ?? int(meta, 9)!;
      const end = at + int(meta, 7)!;
      while (at < end) {
        const { struct, end: bodyAt } = roundTrip(bytes, at);
        at = bodyAt + int(struct, 3)!;
        pages++;
      }
      expect(at).toBe(end);
      for (const [offsetId, lengthId] of [
        [4, 5],
        [6, 7],
      ]) {
        const offset = int(chunk, offsetId);
        if (offset === undefined) continue;
        expect(roundTrip(bytes, offset).end).toBe(offset + int(chunk, lengthId)!);
        indexes++;
      }
    }
  }
  return { pages, indexes };
}

describe('real Parquet structures round-trip byte for byte', () => {
  test.each(CAPTURES.flatMap(([capture, endpoint]) => LAYOUTS.map((layout) => [capture, endpoint, layout] as const)))(
    '%s %s %s',
    (capture, endpoint, layout) => {
      const table = histogramTable(capture, endpoint, layout);
      for (const compression of ['none', 'zstd'] as const) {
        const bytes = writeParquetBytes(table, { compression, rowGroupRows: 7, pageStatistics: true });
        const { pages, indexes } = roundTripFile(bytes);
        expect(pages).toBeGreaterThan(10);
        expect(indexes).toBeGreaterThan(10);
      }
    },
  );

  test('a table with nulls, dictionaries and many small pages', () => {
    const bytes = writeParquetBytes(nullsTable(5_000), { compression: 'none', rowGroupRows: 1_500, pageBytes: 512 });
    expect(roundTripFile(bytes).pages).toBeGreaterThan(50);
  });
});

describe('values of every wire type', () => {
  const nested: ThriftStruct = {
    fields: [
      { id: 1, type: TType.BOOL, value: true },
      { id: 2, type: TType.BOOL, value: false },
      { id: 3, type: TType.BYTE, value: -5 },
      { id: 4, type: TType.I16, value: -32768 },
      { id: 5, type: TType.I32, value: 2147483647 },
      { id: 6, type: TType.I32, value: -2147483648 },
      { id: 7, type: TType.I64, value: -(2n ** 63n) },
      { id: 8, type: TType.I64, value: 2n ** 63n - 1n },
      { id: 9, type: TType.DOUBLE, value: -1.5e-300 },
      { id: 10, type: TType.BINARY, value: new Uint8Array([0, 255, 7]) },
      // Ids that jump by more than 15 and go backwards use the long field header.
      {
        id: 40,
        type: TType.LIST,
        value: { elementType: TType.I32, items: Array.from({ length: 20 }, (_, i) => i - 10) },
      },
      { id: 3, type: TType.SET, value: { elementType: TType.BINARY, items: [new Uint8Array([1])] } },
      { id: 41, type: TType.LIST, value: { elementType: TType.BOOL, items: [1, 2, 1] } },
      {
        id: 42,
        type: TType.MAP,
        value: { keyType: TType.BINARY, valueType: TType.I64, entries: [[new Uint8Array([97]), 3n]] },
      },
      { id: 43, type: TType.MAP, value: { keyType: 0, valueType: 0, entries: [] } },
      { id: 44, type: TType.STRUCT, value: { fields: [{ id: 1, type: TType.STRUCT, value: { fields: [] } }] } },
    ],
  };

  test('encode then decode gives the same struct, and re-encoding the same bytes', () => {
    const bytes = encodeStruct(nested);
    const { struct, end } = decodeStruct(bytes);
    expect(end).toBe(bytes.byteLength);
    expect(struct).toEqual(nested);
    expect(Buffer.from(encodeStruct(struct)).equals(Buffer.from(bytes))).toBe(true);
  });

  test('setField replaces a value or inserts the field in id order', () => {
    const struct: ThriftStruct = {
      fields: [
        { id: 1, type: TType.I32, value: 1 },
        { id: 5, type: TType.I32, value: 5 },
      ],
    };
    setField(struct, 3, TType.I64, 3n);
    setField(struct, 5, TType.I32, 6);
    expect(struct.fields.map((f) => [f.id, f.value])).toEqual([
      [1, 1],
      [3, 3n],
      [5, 6],
    ]);
  });

  test('bytes cut short throw ThriftIncompleteError at every cut; other bytes throw a plain Error', () => {
    const bytes = encodeStruct(nested);
    for (let cut = 0; cut < bytes.byteLength; cut++)
      expect(() => decodeStruct(bytes.subarray(0, cut))).toThrow(ThriftIncompleteError);
    // Field type 15 does not exist.
    expect(() => decodeStruct(new Uint8Array([0x1f, 0]))).toThrow(/unknown compact type 15/);
  });
});
