/**
 * The pages of one column chunk as the own Parquet writer builds them: each page body is compressed
 * (or not) and appended with its Thrift PageHeader to the chunk's reused buffer, and everything the
 * footer and the offset index need about it is counted here. Also the sizes arrow-rs would count
 * for the same pages (`estimatedBytes`): row groups close on that estimate, as parquet-wasm's do.
 *
 * Imports only siblings: the Parquet encoder worker loads it (src/load/parquet/worker-script.ts).
 */
import { sharedBuffers, type ByteBuffer } from './byte-buffer.js';
import { encodeStruct, TType, type ThriftStruct } from './thrift-compact.js';

/** Compresses a page body into a buffer it reuses (valid until the next call); null: UNCOMPRESSED. */
export type PageCompress = ((body: Uint8Array) => Uint8Array) | null;

/** parquet.thrift enum values the writer uses. */
export const PageType = { DATA_PAGE: 0, DICTIONARY_PAGE: 2 } as const;
export const Encoding = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8, BYTE_STREAM_SPLIT: 9 } as const;

/** Where a page starts in its chunk, its size with its header, and its first row in the row group. */
export interface PageLocation {
  offset: number;
  size: number;
  firstRow: number;
  /** Unencoded byte-array bytes in the page (BYTE_ARRAY columns only). */
  byteArrayBytes?: number;
}

/** One PageEncodingStats entry. */
export interface EncodingCount {
  pageType: number;
  encoding: number;
  count: number;
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
  private deferredLocations: (PageLocation & { headerBytes: number })[] = [];
  locations: PageLocation[] = [];
  encodingStats: EncodingCount[] = [];
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
    this.deferredLocations = [];
    this.locations = [];
    this.encodingStats = [];
    this.uncompressedBytes = 0;
    this.numValues = 0;
    this.estimatedBytes = 0;
    this.deferring = false;
  }

  /** Appends a data page v1 (levels, then values, in `body`). */
  dataPage(body: Uint8Array, numValues: number, encoding: number, firstRow: number, byteArrayBytes?: number): void {
    const header = (uncompressed: number, compressed: number): ThriftStruct =>
      struct(
        [1, TType.I32, PageType.DATA_PAGE],
        [2, TType.I32, uncompressed],
        [3, TType.I32, compressed],
        [
          5,
          TType.STRUCT,
          struct(
            [1, TType.I32, numValues],
            [2, TType.I32, encoding],
            [3, TType.I32, Encoding.RLE],
            [4, TType.I32, Encoding.RLE],
          ),
        ],
      );
    const target = this.deferring ? this.deferred : this.chunk;
    const location = this.append(target, body, header);
    location.firstRow = firstRow;
    if (byteArrayBytes !== undefined) location.byteArrayBytes = byteArrayBytes;
    if (this.deferring) this.deferredLocations.push(location);
    else this.locations.push(location);
    this.numValues += numValues;
    this.count(PageType.DATA_PAGE, encoding);
    // arrow-rs counts buffered dictionary-encoded pages without their headers.
    if (this.deferring) this.estimatedBytes -= location.headerBytes;
  }

  /** Writes the dictionary page, then the data pages that waited for it; later pages follow directly. */
  dictionaryPage(body: Uint8Array, entries: number): void {
    const header = (uncompressed: number, compressed: number): ThriftStruct =>
      struct(
        [1, TType.I32, PageType.DICTIONARY_PAGE],
        [2, TType.I32, uncompressed],
        [3, TType.I32, compressed],
        [7, TType.STRUCT, struct([1, TType.I32, entries], [2, TType.I32, Encoding.PLAIN], [3, TType.BOOL, false])],
      );
    this.append(this.chunk, body, header);
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
    this.deferredLocations = [];
    this.deferring = false;
  }

  private append(
    target: ByteBuffer,
    body: Uint8Array,
    header: (uncompressed: number, compressed: number) => ThriftStruct,
  ): PageLocation & { headerBytes: number } {
    const compressed = this.compress ? this.compress(body) : body;
    const headerBytes = encodeStruct(header(body.byteLength, compressed.byteLength));
    const offset = target.length;
    target.append(headerBytes);
    target.append(compressed);
    const uncompressedHeader = headerBytes.byteLength - i32Bytes(compressed.byteLength) + i32Bytes(body.byteLength);
    this.uncompressedBytes += uncompressedHeader + body.byteLength;
    this.estimatedBytes += uncompressedHeader + body.byteLength;
    return {
      offset,
      size: headerBytes.byteLength + compressed.byteLength,
      firstRow: 0,
      headerBytes: uncompressedHeader,
    };
  }

  private count(pageType: number, encoding: number): void {
    const last = this.encodingStats[this.encodingStats.length - 1];
    if (last && last.pageType === pageType && last.encoding === encoding) last.count++;
    else this.encodingStats.push({ pageType, encoding, count: 1 });
  }
}
