/**
 * The rewrite of a Parquet file's tail (page index structures and footer) after its pages were
 * recompressed (src/load/parquet/page-recompressor.ts): every offset into the pages moves to where
 * the page now starts, sizes follow the new page sizes, and the codec becomes ZSTD. Checked against
 * parquet-format's parquet.thrift (PageLocation, OffsetIndex, ColumnChunk, ColumnMetaData, RowGroup,
 * FileMetaData); field ids are named below.
 *
 * Imports only its sibling Thrift codec: the Parquet encoder worker loads it.
 */
import { decodeStruct, encodeStruct, field, setField, TType } from './thrift-compact.js';
import type { ThriftList, ThriftStruct } from './thrift-compact.js';

/**
 * Where each page went: `oldStart[i]` (ascending) moved to `newStart[i]` and is now `newSize[i]`
 * bytes with its header. The last entry is the end of the pages (the tail's start), size 0.
 * `headerGrowth[i]` is how many bytes the headers of the pages before page i grew (or shrank: the
 * compressed size is written as a varint) in all: uncompressed sizes count the headers as written.
 */
export interface PageMap {
  oldStart: number[];
  newStart: number[];
  newSize: number[];
  headerGrowth: number[];
}

/** parquet.thrift field ids used here. */
const FileMetaData = { numRows: 3, rowGroups: 4 } as const;
const RowGroup = { columns: 1, totalByteSize: 2, fileOffset: 5, totalCompressedSize: 6 } as const;
const ColumnChunk = {
  fileOffset: 2,
  metaData: 3,
  offsetIndexOffset: 4,
  offsetIndexLength: 5,
  columnIndexOffset: 6,
  columnIndexLength: 7,
} as const;
const ColumnMetaData = {
  codec: 4,
  totalUncompressedSize: 6,
  totalCompressedSize: 7,
  dataPageOffset: 9,
  indexPageOffset: 10,
  dictionaryPageOffset: 11,
  bloomFilterOffset: 14,
} as const;
const OffsetIndex = { pageLocations: 1 } as const;
const PageLocation = { offset: 1, compressedPageSize: 2 } as const;
const CODEC_UNCOMPRESSED = 0;
const CODEC_ZSTD = 6;

/** The recompressor met a stream it cannot rewrite. */
export class RecompressError extends Error {
  constructor(message: string) {
    super(`recompressing Parquet pages: ${message}`);
    this.name = 'RecompressError';
  }
}

function fail(message: string): never {
  throw new RecompressError(message);
}

/** Index of an old page start (or of the end of the pages); throws when the offset is none of them. */
function pageIndex(pages: PageMap, old: number, what: string): number {
  let lo = 0;
  let hi = pages.oldStart.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = pages.oldStart[mid];
    if (at === old) return mid;
    if (at < old) lo = mid + 1;
    else hi = mid - 1;
  }
  return fail(`${what} ${old} is not the start of a page`);
}

function mapOffset(pages: PageMap, old: number, what: string): number {
  return pages.newStart[pageIndex(pages, old, what)];
}

function i64(struct: ThriftStruct, id: number): number | undefined {
  const value = field(struct, id)?.value;
  if (value === undefined) return undefined;
  if (typeof value !== 'bigint') return fail(`field ${id} is not an i64`);
  return Number(value);
}

function i32(struct: ThriftStruct, id: number): number | undefined {
  const value = field(struct, id)?.value;
  return typeof value === 'number' ? value : undefined;
}

function structs(struct: ThriftStruct, id: number): ThriftStruct[] {
  return ((field(struct, id)?.value as ThriftList | undefined)?.items ?? []) as ThriftStruct[];
}

/** One page index structure in the tail: where it was, and its bytes now. */
interface Segment {
  oldOffset: number;
  oldLength: number;
  bytes: Uint8Array;
}

/** An offset index with each page's new offset and size. */
function rewriteOffsetIndex(bytes: Uint8Array, pages: PageMap): Uint8Array {
  const { struct, end } = decodeStruct(bytes);
  if (end !== bytes.byteLength) fail('an offset index does not fill its length');
  for (const location of structs(struct, OffsetIndex.pageLocations)) {
    const i = pageIndex(pages, i64(location, PageLocation.offset) ?? -1, 'an offset index page offset');
    setField(location, PageLocation.offset, TType.I64, BigInt(pages.newStart[i]));
    setField(location, PageLocation.compressedPageSize, TType.I32, pages.newSize[i]);
  }
  return encodeStruct(struct);
}

/** A rewritten tail, and the row count its footer gives. */
export interface RewrittenTail {
  bytes: Uint8Array;
  /** FileMetaData `num_rows`: the rows the writer says the file holds. */
  rows: number;
}

/**
 * Rewrites the tail: `tail` is every byte after the last page (whose offset in the old file is the
 * map's last `oldStart`, in the new file its last `newStart`), ending with the footer length and
 * "PAR1". Returns the new tail and the footer's row count. Throws on a footer it cannot account for.
 */
export function rewriteTail(tail: Uint8Array, pages: PageMap): RewrittenTail {
  const oldTailStart = pages.oldStart[pages.oldStart.length - 1];
  const newTailStart = pages.newStart[pages.newStart.length - 1];
  if (tail.byteLength < 8) fail('the file ends without a footer');
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  if (view.getUint32(tail.byteLength - 4, true) !== 0x31524150) fail('the file does not end with PAR1');
  const footerLength = view.getUint32(tail.byteLength - 8, true);
  const footerAt = tail.byteLength - 8 - footerLength;
  if (footerAt < 0) fail('the footer length exceeds the tail');
  const { struct: meta, end } = decodeStruct(tail.subarray(footerAt, tail.byteLength - 8));
  if (end !== footerLength) fail('the footer does not fill its length');

  // The page index structures, in file order, each rewritten (offset indexes) or kept (column indexes).
  const segments = new Map<number, Segment>();
  const chunks = structs(meta, FileMetaData.rowGroups).flatMap((g) => structs(g, RowGroup.columns));
  const addSegment = (chunk: ThriftStruct, offsetId: number, lengthId: number, rewrite: boolean): void => {
    const oldOffset = i64(chunk, offsetId);
    if (oldOffset === undefined) return;
    const oldLength = i32(chunk, lengthId) ?? fail(`a page index offset without its length (field ${lengthId})`);
    const at = oldOffset - oldTailStart;
    if (at < 0 || at + oldLength > footerAt) fail(`a page index at ${oldOffset} lies outside the tail`);
    const bytes = tail.subarray(at, at + oldLength);
    segments.set(oldOffset, { oldOffset, oldLength, bytes: rewrite ? rewriteOffsetIndex(bytes, pages) : bytes });
  };
  for (const chunk of chunks) {
    addSegment(chunk, ColumnChunk.columnIndexOffset, ColumnChunk.columnIndexLength, false);
    addSegment(chunk, ColumnChunk.offsetIndexOffset, ColumnChunk.offsetIndexLength, true);
  }

  // Lay the tail out again in the same order; bytes no structure claims are kept as they were.
  const parts: Uint8Array[] = [];
  const newOffsets = new Map<number, number>();
  let oldAt = 0;
  let newAt = newTailStart;
  for (const segment of [...segments.values()].sort((a, b) => a.oldOffset - b.oldOffset)) {
    const at = segment.oldOffset - oldTailStart;
    if (at < oldAt) fail(`page index structures overlap at ${segment.oldOffset}`);
    parts.push(tail.subarray(oldAt, at));
    newAt += at - oldAt;
    newOffsets.set(segment.oldOffset, newAt);
    parts.push(segment.bytes);
    newAt += segment.bytes.byteLength;
    oldAt = at + segment.oldLength;
  }
  parts.push(tail.subarray(oldAt, footerAt));

  for (const group of structs(meta, FileMetaData.rowGroups)) {
    let compressed = 0;
    let uncompressed = 0;
    for (const chunk of structs(group, RowGroup.columns)) {
      const column = field(chunk, ColumnChunk.metaData)?.value as ThriftStruct | undefined;
      if (!column) fail('a column chunk without its metadata');
      const change = rewriteColumnMetaData(column, pages);
      compressed += change.compressed;
      uncompressed += change.uncompressed;
      const fileOffset = i64(chunk, ColumnChunk.fileOffset);
      // 0 means "no metadata outside the footer"; some writers point it at the chunk instead.
      if (fileOffset)
        setField(
          chunk,
          ColumnChunk.fileOffset,
          TType.I64,
          BigInt(mapOffset(pages, fileOffset, 'a column chunk file_offset')),
        );
      for (const [offsetId, lengthId] of [
        [ColumnChunk.columnIndexOffset, ColumnChunk.columnIndexLength],
        [ColumnChunk.offsetIndexOffset, ColumnChunk.offsetIndexLength],
      ] as const) {
        const old = i64(chunk, offsetId);
        if (old === undefined) continue;
        const segment = segments.get(old)!;
        setField(chunk, offsetId, TType.I64, BigInt(newOffsets.get(old)!));
        setField(chunk, lengthId, TType.I32, segment.bytes.byteLength);
      }
    }
    const fileOffset = i64(group, RowGroup.fileOffset);
    if (fileOffset !== undefined)
      setField(group, RowGroup.fileOffset, TType.I64, BigInt(mapOffset(pages, fileOffset, 'a row group file_offset')));
    const total = i64(group, RowGroup.totalCompressedSize);
    if (total !== undefined) setField(group, RowGroup.totalCompressedSize, TType.I64, BigInt(total + compressed));
    const bytes = i64(group, RowGroup.totalByteSize) ?? fail('a row group without total_byte_size');
    setField(group, RowGroup.totalByteSize, TType.I64, BigInt(bytes + uncompressed));
  }

  const footer = encodeStruct(meta);
  const trailer = new Uint8Array(8);
  new DataView(trailer.buffer).setUint32(0, footer.byteLength, true);
  trailer.set([0x50, 0x41, 0x52, 0x31], 4);
  parts.push(footer, trailer);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return { bytes: out, rows: i64(meta, FileMetaData.numRows) ?? fail('a footer without num_rows') };
}

/**
 * Moves a column chunk's page offsets and sets its codec and sizes; returns how its sizes changed
 * (compressed: the bodies; uncompressed: the headers only).
 */
function rewriteColumnMetaData(column: ThriftStruct, pages: PageMap): { compressed: number; uncompressed: number } {
  if (i32(column, ColumnMetaData.codec) !== CODEC_UNCOMPRESSED) fail('a column chunk is compressed already');
  if (field(column, ColumnMetaData.bloomFilterOffset)) fail('bloom filters are not supported');
  const data = i64(column, ColumnMetaData.dataPageOffset) ?? fail('a column chunk without data_page_offset');
  const dictionary = i64(column, ColumnMetaData.dictionaryPageOffset);
  const start = dictionary !== undefined ? Math.min(dictionary, data) : data;
  const oldTotal = i64(column, ColumnMetaData.totalCompressedSize) ?? fail('a column chunk without its size');
  const first = pageIndex(pages, start, 'a column chunk start');
  const last = pageIndex(pages, start + oldTotal, 'a column chunk end');
  const newStart = pages.newStart[first];
  const newTotal = pages.newStart[last] - newStart;
  const uncompressed = i64(column, ColumnMetaData.totalUncompressedSize) ?? fail('a column chunk without its size');
  const headerGrowth = pages.headerGrowth[last] - pages.headerGrowth[first];
  setField(column, ColumnMetaData.totalUncompressedSize, TType.I64, BigInt(uncompressed + headerGrowth));
  setField(column, ColumnMetaData.codec, TType.I32, CODEC_ZSTD);
  setField(column, ColumnMetaData.totalCompressedSize, TType.I64, BigInt(newTotal));
  // Every page offset the metadata holds moves with its page.
  for (const [id, what] of [
    [ColumnMetaData.dataPageOffset, 'a data_page_offset'],
    [ColumnMetaData.dictionaryPageOffset, 'a dictionary_page_offset'],
    [ColumnMetaData.indexPageOffset, 'an index_page_offset'],
  ] as const) {
    const offset = i64(column, id);
    if (offset !== undefined) setField(column, id, TType.I64, BigInt(mapOffset(pages, offset, what)));
  }
  return { compressed: newTotal - oldTotal, uncompressed: headerGrowth };
}
