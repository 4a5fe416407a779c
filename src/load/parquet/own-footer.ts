/**
 * The Thrift structures of the own Parquet writer's footer (parquet-format's parquet.thrift:
 * SchemaElement, ColumnMetaData, ColumnChunk, RowGroup, FileMetaData, OffsetIndex), with the
 * fields, and in the order, arrow-rs writes them for the encoder's settings: the oracle test
 * (test/load/parquet/own-writer.test.ts) compares them field by field with parquet-wasm's.
 *
 * Imports only siblings: the Parquet encoder worker loads it (src/load/parquet/worker-script.ts).
 */
import { Encoding, struct, type ChunkPages, type PageLocation } from './own-pages.js';
import { TType, type ThriftStruct, type ThriftValue } from './thrift-compact.js';
import type { OwnColumn } from './protocol.js';

const PhysicalType = { INT32: 1, INT64: 2, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6 } as const;
const Repetition = { REQUIRED: 0, OPTIONAL: 1, REPEATED: 2 } as const;
const ConvertedType = { UTF8: 0, LIST: 3 } as const;
/** LogicalType union members: 1 STRING, 3 LIST (empty structs). */
const LogicalType = { STRING: 1, LIST: 3 } as const;
export const Codec = { UNCOMPRESSED: 0, ZSTD: 6 } as const;

const text = new TextEncoder();
const bin = (s: string): Uint8Array => text.encode(s);
const i32List = (items: number[]): ThriftValue => ({ elementType: TType.I32, items });
const i64 = (n: number): bigint => BigInt(n);
const empty = (): ThriftStruct => ({ fields: [] });

function physicalType(column: OwnColumn): number {
  if (column.kind === 'floats') return column.width === 4 ? PhysicalType.FLOAT : PhysicalType.DOUBLE;
  return {
    int32: PhysicalType.INT32,
    int64: PhysicalType.INT64,
    float64: PhysicalType.DOUBLE,
    utf8: PhysicalType.BYTE_ARRAY,
  }[column.kind];
}

/** The column's path in the schema (ColumnMetaData path_in_schema). */
export function columnPath(column: OwnColumn): string[] {
  if (column.kind !== 'floats') return [column.name];
  return [column.name, ...column.levels.flatMap((level) => ['list', level.itemName])];
}

/** The flattened schema: the root, then each column's elements depth-first. */
export function schemaElements(columns: OwnColumn[]): ThriftStruct[] {
  const elements = [struct([4, TType.BINARY, bin('arrow_schema')], [5, TType.I32, columns.length])];
  for (const column of columns) {
    if (column.kind !== 'floats') {
      const fields: [number, number, ThriftValue][] = [
        [1, TType.I32, physicalType(column)],
        [3, TType.I32, column.nullable ? Repetition.OPTIONAL : Repetition.REQUIRED],
        [4, TType.BINARY, bin(column.name)],
      ];
      if (column.kind === 'utf8')
        fields.push(
          [6, TType.I32, ConvertedType.UTF8],
          [10, TType.STRUCT, struct([LogicalType.STRING, TType.STRUCT, empty()])],
        );
      elements.push(struct(...fields));
      continue;
    }
    let name = column.name;
    let repetition: number = Repetition.REQUIRED;
    for (const level of column.levels) {
      elements.push(
        struct(
          [3, TType.I32, repetition],
          [4, TType.BINARY, bin(name)],
          [5, TType.I32, 1],
          [6, TType.I32, ConvertedType.LIST],
          [10, TType.STRUCT, struct([LogicalType.LIST, TType.STRUCT, empty()])],
        ),
        struct([3, TType.I32, Repetition.REPEATED], [4, TType.BINARY, bin('list')], [5, TType.I32, 1]),
      );
      name = level.itemName;
      repetition = level.itemNullable ? Repetition.OPTIONAL : Repetition.REQUIRED;
    }
    elements.push(
      struct([1, TType.I32, physicalType(column)], [3, TType.I32, repetition], [4, TType.BINARY, bin(name)]),
    );
  }
  return elements;
}

/** A written column chunk: where it starts in the file and what the footer says about it. */
export interface WrittenChunk {
  /** ColumnChunk without the offset index position (known once the indexes are written). */
  chunk: ThriftStruct;
  start: number;
  compressedBytes: number;
  uncompressedBytes: number;
  /** Page locations, absolute. */
  locations: PageLocation[];
  byteArray: boolean;
}

/** Statistics a scalar chunk adds to its metadata. */
export interface ChunkStatistics {
  statistics: ThriftStruct;
  sizeStatistics: ThriftStruct | null;
}

/** The ColumnChunk of pages just written at `start`; `pages` is read before being reset. */
export function writtenChunk(
  column: OwnColumn,
  pages: ChunkPages,
  start: number,
  codec: number,
  stats: ChunkStatistics | null,
): WrittenChunk {
  const dictionary = pages.encodingStats.some((s) => s.pageType === 2);
  const encodings = new Set<number>([Encoding.RLE]);
  for (const s of pages.encodingStats) encodings.add(s.encoding);
  const locations = pages.locations.map((l) => l.at(start));
  const compressedBytes = pages.chunk.length;
  const meta: [number, number, ThriftValue][] = [
    [1, TType.I32, physicalType(column)],
    [2, TType.LIST, i32List([...encodings].sort((a, b) => a - b))],
    [3, TType.LIST, { elementType: TType.BINARY, items: columnPath(column).map(bin) }],
    [4, TType.I32, codec],
    [5, TType.I64, i64(pages.numValues)],
    [6, TType.I64, i64(pages.uncompressedBytes)],
    [7, TType.I64, i64(compressedBytes)],
    [9, TType.I64, i64(locations[0]?.offset ?? start)],
  ];
  if (dictionary) meta.push([11, TType.I64, i64(start)]);
  if (stats) meta.push([12, TType.STRUCT, stats.statistics]);
  meta.push([
    13,
    TType.LIST,
    {
      elementType: TType.STRUCT,
      items: pages.encodingStats.map((s) =>
        struct([1, TType.I32, s.pageType], [2, TType.I32, s.encoding], [3, TType.I32, s.count]),
      ),
    },
  ]);
  if (stats?.sizeStatistics) meta.push([16, TType.STRUCT, stats.sizeStatistics]);
  return {
    chunk: struct([2, TType.I64, 0n], [3, TType.STRUCT, struct(...meta)]),
    start,
    compressedBytes,
    uncompressedBytes: pages.uncompressedBytes,
    locations,
    byteArray: column.kind === 'utf8',
  };
}

/** The OffsetIndex of a chunk. */
export function offsetIndex(chunk: WrittenChunk): ThriftStruct {
  const locations = chunk.locations.map((l) =>
    struct([1, TType.I64, i64(l.offset)], [2, TType.I32, l.size], [3, TType.I64, i64(l.firstRow)]),
  );
  const fields: [number, number, ThriftValue][] = [[1, TType.LIST, { elementType: TType.STRUCT, items: locations }]];
  if (chunk.byteArray)
    fields.push([2, TType.LIST, { elementType: TType.I64, items: chunk.locations.map((l) => i64(l.byteArrayBytes)) }]);
  return struct(...fields);
}

/** A RowGroup of `rows` rows from its chunks (their offset index positions set). */
export function rowGroup(chunks: WrittenChunk[], rows: number, ordinal: number): ThriftStruct {
  return struct(
    [1, TType.LIST, { elementType: TType.STRUCT, items: chunks.map((c) => c.chunk) }],
    [2, TType.I64, i64(chunks.reduce((n, c) => n + c.uncompressedBytes, 0))],
    [3, TType.I64, i64(rows)],
    [5, TType.I64, i64(chunks[0]?.start ?? 4)],
    [6, TType.I64, i64(chunks.reduce((n, c) => n + c.compressedBytes, 0))],
    [7, TType.I16, ordinal],
  );
}

/** The FileMetaData. */
export function fileMetaData(
  columns: OwnColumn[],
  rows: number,
  rowGroups: ThriftStruct[],
  keyValue: [string, string][],
  createdBy: string,
): ThriftStruct {
  return struct(
    [1, TType.I32, 1],
    [2, TType.LIST, { elementType: TType.STRUCT, items: schemaElements(columns) }],
    [3, TType.I64, i64(rows)],
    [4, TType.LIST, { elementType: TType.STRUCT, items: rowGroups }],
    [
      5,
      TType.LIST,
      {
        elementType: TType.STRUCT,
        items: keyValue.map(([k, v]) => struct([1, TType.BINARY, bin(k)], [2, TType.BINARY, bin(v)])),
      },
    ],
    [6, TType.BINARY, bin(createdBy)],
    [7, TType.LIST, { elementType: TType.STRUCT, items: columns.flatMap(() => [struct([1, TType.STRUCT, empty()])]) }],
  );
}
