/**
 * Turns the byte stream of an UNCOMPRESSED Parquet file, as arrow-rs writes it, into the same file
 * with every page body compressed by a codec of ours (native zstd: parquet-wasm's zstd, compiled to
 * wasm, is ~3x slower; docs/decisions.md, "Load: Parquet pages compressed by native zstd"). The
 * writer keeps every other decision (schema, levels, encodings, statistics, page index); only the
 * page bodies change size, and with them the byte offsets the footer and the offset index hold.
 *
 * The stream is fed in chunks of any size. It starts with "PAR1", then pages, each a Thrift
 * PageHeader and its body; after the last row group come the page index structures (column indexes,
 * then offset indexes) and the footer (FileMetaData, its length, "PAR1"). A PageHeader starts with
 * an i32 field 1 (type) then an i32 field 2 (uncompressed size); no structure of the tail does
 * (FileMetaData: i32 then a list; ColumnIndex, OffsetIndex: a list; BloomFilterHeader: i32 then a
 * struct). So the first struct that is not a PageHeader starts the tail, which is small and buffered
 * until `end`, where its offsets are rewritten. Each page is emitted as soon as its body is complete.
 *
 * Only data pages v1 and dictionary pages are accepted (what the encoder's writer settings produce);
 * anything else (a v2 data page, an index page, a page already compressed, a bloom filter, a page
 * checksum would be recomputed) throws, and the file fails: bytes already written cannot be taken
 * back, and the sink never commits a file whose encoder failed.
 *
 * Imports only its sibling Thrift codec: the Parquet encoder worker loads it.
 */
import {
  decodeStruct,
  encodeStruct,
  field,
  removeField,
  setField,
  ThriftIncompleteError,
  TType,
} from './thrift-compact.js';
import type { ThriftStruct } from './thrift-compact.js';
import { RecompressError, rewriteTail, type PageMap } from './parquet-tail.js';

export { RecompressError };

/**
 * Compresses one page body (level-1 zstd, one complete frame). The result may be a view of a buffer
 * the compressor reuses: it is valid until the next call.
 */
export type PageCompressor = (body: Uint8Array) => Uint8Array;

/**
 * Takes the output bytes, in order, as they are produced. They may be views of buffers reused
 * afterwards (the compressor's, the input chunk's): consume or copy them before returning.
 */
export type ByteSink = (bytes: Uint8Array) => void;

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"
const PAGE_DATA_V1 = 0;
const PAGE_DICTIONARY = 2;
/** A page header is a few dozen bytes (statistics included); more than this is not a header. */
const MAX_HEADER_BYTES = 1 << 20;

type Phase = 'magic' | 'header' | 'body' | 'tail';

/**
 * One Parquet stream being recompressed. Feed `push` with every chunk, then call `end`; the output
 * goes to the sink as it is produced (each page as soon as its body is complete).
 */
export class PageRecompressor {
  private phase: Phase = 'magic';
  /** Bytes received and not yet consumed (a partial header, a partial body, the tail). */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Offset in the input of the first pending byte. */
  private inputOffset = 0;
  /** Bytes emitted so far. */
  private outputOffset = 0;
  private header: ThriftStruct | null = null;
  private bodyBytes = 0;
  private readonly pages: PageMap = { oldStart: [], newStart: [], newSize: [], headerGrowth: [0] };
  private headerBytes = 0;
  private ended = false;

  constructor(
    private readonly compress: PageCompressor,
    private readonly sink: ByteSink,
  ) {}

  /**
   * Takes the next chunk of the input (kept, not copied, until its bytes are consumed: the caller
   * must not change it) and sends the output now complete to the sink.
   */
  push(chunk: Uint8Array): void {
    if (this.ended) throw new RecompressError('input after the end');
    if (chunk.byteLength === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    for (;;) {
      if (this.phase === 'tail') return;
      if (this.phase === 'magic') {
        if (this.pendingBytes < 4) return;
        const magic = this.take(4);
        if (!MAGIC.every((b, i) => magic[i] === b)) throw new RecompressError('the stream does not start with PAR1');
        this.emit(magic);
        this.phase = 'header';
      } else if (this.phase === 'header') {
        if (!this.readHeader()) return;
      } else {
        if (this.pendingBytes < this.bodyBytes) return;
        this.writePage(this.take(this.bodyBytes));
      }
    }
  }

  /**
   * Ends the input; sends the rewritten tail (page index and footer) to the sink. Returns the rows
   * the footer says the file holds.
   */
  end(): number {
    if (this.ended) throw new RecompressError('ended twice');
    this.ended = true;
    if (this.phase === 'magic' || this.phase === 'body')
      throw new RecompressError(`the stream ended inside ${this.phase === 'body' ? 'a page' : 'the file magic'}`);
    if (this.pendingBytes === 0) throw new RecompressError('the stream ended without a footer');
    const tail = this.take(this.pendingBytes);
    // The end of the pages maps too: offsets and sizes computed as "next start - start" need it.
    this.pages.oldStart.push(this.inputOffset - tail.byteLength);
    this.pages.newStart.push(this.outputOffset);
    this.pages.newSize.push(0);
    this.pages.headerGrowth.push(this.pages.headerGrowth[this.pages.headerGrowth.length - 1]);
    const { bytes, rows } = rewriteTail(tail, this.pages);
    this.sink(bytes);
    return rows;
  }

  private emit(bytes: Uint8Array): void {
    this.sink(bytes);
    this.outputOffset += bytes.byteLength;
  }

  /** Removes `n` bytes from the front of the pending chunks (a view when they sit in one chunk). */
  private take(n: number): Uint8Array {
    this.inputOffset += n;
    this.pendingBytes -= n;
    const first = this.pending[0];
    if (first && first.byteLength >= n) {
      const bytes = first.subarray(0, n);
      if (first.byteLength === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
      return bytes;
    }
    const bytes = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const chunk = this.pending[0];
      const part = Math.min(chunk.byteLength, n - at);
      bytes.set(chunk.subarray(0, part), at);
      at += part;
      if (part === chunk.byteLength) this.pending.shift();
      else this.pending[0] = chunk.subarray(part);
    }
    return bytes;
  }

  /**
   * The first `limit` pending bytes (fewer when fewer arrived), without consuming them: a view of the
   * first chunk when it holds them, else a copy (a header cut by a chunk boundary).
   */
  private peek(limit: number): Uint8Array {
    const first = this.pending[0] ?? new Uint8Array(0);
    if (first.byteLength >= limit || this.pending.length === 1) return first.subarray(0, limit);
    const bytes = new Uint8Array(Math.min(limit, this.pendingBytes));
    let at = 0;
    for (const chunk of this.pending) {
      if (at === bytes.byteLength) break;
      const part = Math.min(chunk.byteLength, bytes.byteLength - at);
      bytes.set(chunk.subarray(0, part), at);
      at += part;
    }
    return bytes;
  }

  /** Reads a page header, or sees the tail start; false when more bytes are needed. */
  private readHeader(): boolean {
    // Two field headers and an i32 tell a PageHeader from the tail's structures.
    const bytes = this.peek(MAX_HEADER_BYTES);
    if (bytes.byteLength < 2) return false;
    if (bytes[0] !== 0x15) return this.startTail();
    let decoded;
    try {
      decoded = decodeStruct(bytes);
    } catch (err) {
      if (!(err instanceof ThriftIncompleteError)) throw err;
      if (bytes.byteLength >= MAX_HEADER_BYTES) throw new RecompressError(`no page header at byte ${this.inputOffset}`);
      // Not complete yet: decide early if it cannot be a page header (its second field is no i32).
      return secondFieldIsI32(bytes) === false ? this.startTail() : false;
    }
    const { struct } = decoded;
    if (!(field(struct, 1)?.type === TType.I32 && struct.fields[1]?.id === 2 && struct.fields[1].type === TType.I32))
      return this.startTail();
    const type = field(struct, 1)!.value as number;
    if (type !== PAGE_DATA_V1 && type !== PAGE_DICTIONARY)
      throw new RecompressError(
        `page type ${type} at byte ${this.inputOffset} (only data pages v1 and dictionary pages)`,
      );
    const uncompressed = field(struct, 2)!.value as number;
    const compressed = field(struct, 3)?.value;
    if (compressed !== uncompressed)
      throw new RecompressError(`the page at byte ${this.inputOffset} is compressed already`);
    this.take(decoded.end);
    this.header = struct;
    this.headerBytes = decoded.end;
    this.bodyBytes = uncompressed;
    this.phase = 'body';
    this.pages.oldStart.push(this.inputOffset - decoded.end);
    return true;
  }

  private startTail(): boolean {
    this.phase = 'tail';
    return false;
  }

  private writePage(body: Uint8Array): void {
    const header = this.header!;
    const compressed = this.compress(body);
    setField(header, 3, TType.I32, compressed.byteLength);
    // A checksum covers the bytes as written: the old one no longer holds.
    removeField(header, 4);
    const headerBytes = encodeStruct(header);
    this.pages.newStart.push(this.outputOffset);
    this.pages.newSize.push(headerBytes.byteLength + compressed.byteLength);
    const growth = this.pages.headerGrowth;
    growth.push(growth[growth.length - 1] + headerBytes.byteLength - this.headerBytes);
    this.emit(headerBytes);
    this.emit(compressed);
    this.header = null;
    this.phase = 'header';
  }
}

/**
 * Whether the struct's second field is an i32, from the bytes so far: undefined when they do not
 * reach it. Only needed when a struct is cut short, i.e. with tiny chunks.
 */
function secondFieldIsI32(bytes: Uint8Array): boolean | undefined {
  // bytes[0] is 0x15 (field 1, i32); skip its zigzag varint.
  let at = 1;
  while (at < bytes.byteLength && bytes[at] >= 0x80) at++;
  at++;
  if (at >= bytes.byteLength) return undefined;
  return bytes[at] === 0x15;
}
