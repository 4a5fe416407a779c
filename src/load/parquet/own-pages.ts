/**
 * The pages of one column chunk as the own Parquet writer builds them: each page body is compressed
 * (or not) and appended with its Thrift PageHeader to the chunk's reused buffer, and everything the
 * footer and the offset index need about it is counted here. Also the sizes arrow-rs would count
 * for the same pages (`estimatedBytes`): row groups close on that estimate, as parquet-wasm's do.
 *
 * Imports only siblings: the Parquet encoder worker loads it (src/load/parquet/worker-script.ts).
 */
import { sharedBuffers, type ByteBuffer } from './byte-buffer.js';
import { TType, type ThriftStruct } from './thrift-compact.js';

/** Compresses a page body into a buffer it reuses (valid until the next call); null: UNCOMPRESSED. */
export type PageCompress = ((body: Uint8Array) => Uint8Array) | null;

/** parquet.thrift enum values the writer uses. */
export const PageType = { DATA_PAGE: 0, DICTIONARY_PAGE: 2 } as const;
export const Encoding = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8, BYTE_STREAM_SPLIT: 9 } as const;

/**
 * Where a page starts in its chunk, its size with its header, and its first row in the row group.
 * A class with every field set in its constructor, like every object the writer makes per page:
 * one shape, so the optimised code of the page loop stays valid (docs/decisions.md, "Own Parquet
 * writer: one shape per object, kept alive between files").
 */
export class PageLocation {
  constructor(
    /** Byte offset in the chunk (absolute once the chunk is written: `at`). */
    public offset: number,
    /** Header and compressed body. */
    readonly size: number,
    /** First row of the page in its row group. */
    readonly firstRow: number,
    /** Unencoded byte-array bytes in the page (BYTE_ARRAY columns only; 0 otherwise). */
    readonly byteArrayBytes: number,
    /** Its header's bytes as if the page were uncompressed (what arrow-rs counts). */
    readonly headerBytes: number,
  ) {}

  /** The same page, its offset moved by `start` (the chunk's position in the file). */
  at(start: number): PageLocation {
    return new PageLocation(this.offset + start, this.size, this.firstRow, this.byteArrayBytes, this.headerBytes);
  }
}

/** One PageEncodingStats entry. */
export class EncodingCount {
  constructor(
    /** PageType. */
    readonly pageType: number,
    /** Encoding. */
    readonly encoding: number,
    /** Pages of that type and encoding. */
    public count: number,
  ) {}
}

/** Bytes of the zigzag varint of a non-negative i32 (how a size is written in a header). */
function i32Bytes(value: number): number {
  let zigzag = value * 2;
  let n = 1;
  while (zigzag >= 0x80) {
    zigzag = Math.floor(zigzag / 0x80);
    n++;
  }
  return n;
}

/** Appends a compact-protocol i32 (zigzag varint). */
function i32(out: ByteBuffer, value: number): void {
  out.varint(value >= 0 ? value * 2 : -value * 2 - 1);
}

/** PageHeader fields 1-3 (type, uncompressed and compressed sizes), the start of every page header. */
function pageHeaderStart(out: ByteBuffer, type: number, uncompressed: number, compressed: number): void {
  out.byte(0x10 | TType.I32);
  i32(out, type);
  out.byte(0x10 | TType.I32);
  i32(out, uncompressed);
  out.byte(0x10 | TType.I32);
  i32(out, compressed);
}

/**
 * Appends a data page v1's PageHeader, as `encodeStruct` writes the same struct (type, sizes, and
 * a DataPageHeader: values, encoding, RLE levels) without building it: this runs once per page,
 * and the generic encoder's objects (and the shapes they take) were what V8 kept recompiling.
 * test/load/parquet/own-encodings.test.ts compares the bytes with `encodeStruct`'s.
 */
export function writeDataPageHeader(
  out: ByteBuffer,
  uncompressed: number,
  compressed: number,
  numValues: number,
  encoding: number,
): void {
  pageHeaderStart(out, PageType.DATA_PAGE, uncompressed, compressed);
  // Field 5 (two ids on): the DataPageHeader struct.
  out.byte(0x20 | TType.STRUCT);
  out.byte(0x10 | TType.I32);
  i32(out, numValues);
  out.byte(0x10 | TType.I32);
  i32(out, encoding);
  out.byte(0x10 | TType.I32);
  i32(out, Encoding.RLE);
  out.byte(0x10 | TType.I32);
  i32(out, Encoding.RLE);
  out.byte(0);
  out.byte(0);
}

/** Appends a dictionary page's PageHeader (PLAIN entries, not sorted), as `encodeStruct` writes it. */
export function writeDictionaryPageHeader(
  out: ByteBuffer,
  uncompressed: number,
  compressed: number,
  entries: number,
): void {
  pageHeaderStart(out, PageType.DICTIONARY_PAGE, uncompressed, compressed);
  // Field 7 (four ids on): the DictionaryPageHeader struct; its field 3, is_sorted, is false.
  out.byte(0x40 | TType.STRUCT);
  out.byte(0x10 | TType.I32);
  i32(out, entries);
  out.byte(0x10 | TType.I32);
  i32(out, Encoding.PLAIN);
  out.byte(0x10 | TType.BOOL_FALSE);
  out.byte(0);
  out.byte(0);
}

/** A struct from `[id, type, value]` triples, in field-id order. */
export function struct(...fields: [number, number, ThriftStruct['fields'][number]['value']][]): ThriftStruct {
  return { fields: fields.map(([id, type, value]) => ({ id, type, value })) };
}

/** The pages of one column chunk; reset and reused for the column's next chunk. */
export class ChunkPages {
  /** Header and body of every page written, in file order. */
  readonly chunk: ByteBuffer = sharedBuffers.take(1 << 16);
  /**
   * Data pages of a dictionary-encoded chunk: they follow the dictionary page in the file, which is
   * only complete when the chunk ends (or falls back to PLAIN).
   */
  private readonly deferred: ByteBuffer = sharedBuffers.take(1 << 12);
  private readonly deferredLocations: PageLocation[] = [];
  readonly locations: PageLocation[] = [];
  readonly encodingStats: EncodingCount[] = [];
  /** Page headers and uncompressed bodies. */
  uncompressedBytes = 0;
  /** Levels written (ColumnMetaData num_values). */
  numValues = 0;
  /** What arrow-rs counts for the pages so far, as if uncompressed (the native-zstd path's measure). */
  estimatedBytes = 0;
  /** Whether data pages wait for the dictionary page. */
  deferring = false;

  constructor(private readonly compress: PageCompress) {}

  /** Hands the buffers back to the pool (the pages are not used after). */
  release(): void {
    sharedBuffers.give(this.chunk, this.deferred);
  }

  reset(): void {
    this.chunk.reset();
    this.deferred.reset();
    this.deferredLocations.length = 0;
    // Emptied, not replaced: a new `[]` starts as an array of small integers and changes kind at the
    // first push of an object, which threw away the optimised page loop again (not a Smi, wrong map).
    this.locations.length = 0;
    this.encodingStats.length = 0;
    this.uncompressedBytes = 0;
    this.numValues = 0;
    this.estimatedBytes = 0;
    this.deferring = false;
  }

  /** Appends a data page v1 (levels, then values, in `body`); `byteArrayBytes` for BYTE_ARRAY columns (else 0). */
  dataPage(body: Uint8Array, numValues: number, encoding: number, firstRow: number, byteArrayBytes: number): void {
    const compressed = this.compress ? this.compress(body) : body;
    const target = this.deferring ? this.deferred : this.chunk;
    const offset = target.length;
    writeDataPageHeader(target, body.byteLength, compressed.byteLength, numValues, encoding);
    const location = this.appended(target, offset, body, compressed, firstRow, byteArrayBytes);
    if (this.deferring) this.deferredLocations.push(location);
    else this.locations.push(location);
    this.numValues += numValues;
    this.count(PageType.DATA_PAGE, encoding);
    // arrow-rs counts buffered dictionary-encoded pages without their headers.
    if (this.deferring) this.estimatedBytes -= location.headerBytes;
  }

  /** Writes the dictionary page, then the data pages that waited for it; later pages follow directly. */
  dictionaryPage(body: Uint8Array, entries: number): void {
    const compressed = this.compress ? this.compress(body) : body;
    const offset = this.chunk.length;
    writeDictionaryPageHeader(this.chunk, body.byteLength, compressed.byteLength, entries);
    this.appended(this.chunk, offset, body, compressed, 0, 0);
    this.count(PageType.DICTIONARY_PAGE, Encoding.PLAIN);
    const shift = this.chunk.length;
    this.chunk.append(this.deferred.content());
    for (const location of this.deferredLocations) {
      location.offset += shift;
      this.locations.push(location);
      // Flushed now: arrow-rs counts their headers from here on.
      this.estimatedBytes += location.headerBytes;
    }
    this.deferred.reset();
    this.deferredLocations.length = 0;
    this.deferring = false;
  }

  /** Appends the compressed body after its header (written at `offset`) and counts the page. */
  private appended(
    target: ByteBuffer,
    offset: number,
    body: Uint8Array,
    compressed: Uint8Array,
    firstRow: number,
    byteArrayBytes: number,
  ): PageLocation {
    const headerBytes = target.length - offset;
    target.append(compressed);
    const uncompressedHeader = headerBytes - i32Bytes(compressed.byteLength) + i32Bytes(body.byteLength);
    this.uncompressedBytes += uncompressedHeader + body.byteLength;
    this.estimatedBytes += uncompressedHeader + body.byteLength;
    return new PageLocation(offset, headerBytes + compressed.byteLength, firstRow, byteArrayBytes, uncompressedHeader);
  }

  private count(pageType: number, encoding: number): void {
    const last = this.encodingStats[this.encodingStats.length - 1];
    if (last && last.pageType === pageType && last.encoding === encoding) last.count++;
    else this.encodingStats.push(new EncodingCount(pageType, encoding, 1));
  }
}
