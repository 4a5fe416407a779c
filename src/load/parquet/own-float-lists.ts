/**
 * The own Parquet writer's histogram column: non-null lists (one or two levels, fixed-size or with
 * offsets) of non-null floats. Values are written BYTE_STREAM_SPLIT, no dictionary, no statistics;
 * levels are RLE / bit-packed runs. Pages end where arrow-rs ends them with the encoder's settings
 * (writer-properties.ts), so the footer matches parquet-wasm's: rows go in mini-batches of whole
 * records of at least 1024 levels (arrow-rs' write batch size), and a page closes after the
 * mini-batch that takes its values to 1 MiB or its rows to 20,000.
 *
 * The raw float bytes of a page are gathered in a reused buffer, then split into byte streams in
 * another: the batches' buffers go back to the main thread as soon as they are read.
 *
 * Imports only siblings: the Parquet encoder worker loads it (src/load/parquet/worker-script.ts).
 */
import { sharedBuffers, type ByteBuffer } from './byte-buffer.js';
import { bitWidthOf, HybridEncoder } from './hybrid-rle.js';
import { ChunkPages, Encoding, type PageCompress } from './own-pages.js';
import type { OwnFloatListColumn } from './protocol.js';

/** arrow-rs' defaults the encoder keeps (parquet/src/file/properties.rs). */
export const WRITE_BATCH_SIZE = 1024;
export const DATA_PAGE_SIZE_LIMIT = 1024 * 1024;
export const DATA_PAGE_ROW_COUNT_LIMIT = 20_000;

/** One batch of a float list column: per list level its offsets (null: fixed size), and the floats. */
export interface FloatListInput {
  offsets: (Int32Array | null)[];
  /** The leaf floats' bytes (little-endian float32 or float64). */
  values: Uint8Array;
}

/** Whether this machine stores integers little-endian (Parquet's order): the word-wise split relies on it. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Splits `src` (floats of `width` bytes) into `width` byte streams written at `dst[at...]`: byte k
 * of value i goes to `at + k * n + i` (parquet-format's BYTE_STREAM_SPLIT). Four values at a time,
 * as 32-bit words, when the buffers allow it: ~4x fewer memory operations than byte by byte, which
 * made the split the largest part of the writer's CPU (bench/encoder-alternatives.ts).
 */
export function byteStreamSplit(src: Uint8Array, dst: Uint8Array, at: number, width: number): void {
  const n = src.byteLength / width;
  const aligned = LITTLE_ENDIAN && n % 4 === 0 && src.byteOffset % 4 === 0 && (dst.byteOffset + at) % 4 === 0;
  if (aligned) {
    const words = n / 4;
    const input = new Uint32Array(src.buffer, src.byteOffset, src.byteLength / 4);
    const output = new Uint32Array(dst.buffer, dst.byteOffset + at, (n * width) / 4);
    // Per 32-bit lane of the value (width / 4 lanes), four values a, b, c, d give one word to each
    // of the lane's four byte streams.
    const lanes = width / 4;
    for (let lane = 0; lane < lanes; lane++) {
      const s0 = 4 * lane * words;
      const s1 = s0 + words;
      const s2 = s1 + words;
      const s3 = s2 + words;
      for (let w = 0, j = lane; w < words; w++, j += 4 * lanes) {
        const a = input[j];
        const b = input[j + lanes];
        const c = input[j + 2 * lanes];
        const d = input[j + 3 * lanes];
        output[s0 + w] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
        output[s1 + w] = ((a >>> 8) & 0xff) | (b & 0xff00) | ((c & 0xff00) << 8) | ((d >>> 8) << 24);
        output[s2 + w] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d >>> 16) << 24);
        output[s3 + w] = (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000);
      }
    }
    return;
  }
  for (let k = 0; k < width; k++) {
    const stream = at + k * n;
    for (let i = 0, j = k; i < n; i++, j += width) dst[stream + i] = src[j];
  }
}

/** Writes the column chunks of one float list column, row group after row group. */
export class FloatListWriter {
  readonly pages: ChunkPages;
  /** Raw float bytes of the current page. */
  private readonly raw: ByteBuffer = sharedBuffers.take(DATA_PAGE_SIZE_LIMIT + (1 << 16));
  private readonly repLevels: ByteBuffer = sharedBuffers.take(1 << 12);
  private readonly defLevels: ByteBuffer = sharedBuffers.take(1 << 12);
  private readonly body: ByteBuffer = sharedBuffers.take(DATA_PAGE_SIZE_LIMIT + (1 << 16));
  /** The page's values split into byte streams. */
  private readonly split: ByteBuffer = sharedBuffers.take(DATA_PAGE_SIZE_LIMIT + (1 << 16));
  private readonly rep = new HybridEncoder();
  private readonly def = new HybridEncoder();
  private readonly repWidth: number;
  private readonly defWidth: number;
  /** Definition level of an empty list at each level; `maxDef` for a value. */
  private readonly emptyDef: number[] = [];
  private readonly maxDef: number;
  private pageLevels = 0;
  private pageRows = 0;
  private pageFirstRow = 0;
  private chunkRows = 0;

  constructor(
    readonly column: OwnFloatListColumn,
    compress: PageCompress,
  ) {
    this.pages = new ChunkPages(compress);
    let def = 0;
    for (const level of column.levels) {
      this.emptyDef.push(def);
      def += 1 + (level.itemNullable ? 1 : 0);
    }
    this.maxDef = def;
    this.repWidth = bitWidthOf(column.levels.length);
    this.defWidth = bitWidthOf(this.maxDef);
    this.startPage();
  }

  /** Leaf value index where row `row` starts. */
  private leafStart(input: FloatListInput, row: number): number {
    let at = row;
    for (let i = 0; i < this.column.levels.length; i++) {
      const offsets = input.offsets[i];
      at = offsets ? offsets[at] : at * this.column.levels[i].fixedSize!;
    }
    return at;
  }

  /** Emits the levels of list `index` at level `depth`, its first level repeated at `firstRep`; returns the level count. */
  private emitList(input: FloatListInput, depth: number, index: number, firstRep: number): number {
    const level = this.column.levels[depth];
    const offsets = input.offsets[depth];
    const start = offsets ? offsets[index] : index * level.fixedSize!;
    const end = offsets ? offsets[index + 1] : start + level.fixedSize!;
    if (end === start) {
      this.rep.put(firstRep, 1);
      this.def.put(this.emptyDef[depth], 1);
      return 1;
    }
    if (depth === this.column.levels.length - 1) {
      this.rep.put(firstRep, 1);
      this.rep.put(depth + 1, end - start - 1);
      this.def.put(this.maxDef, end - start);
      return end - start;
    }
    let levels = 0;
    for (let i = start; i < end; i++) levels += this.emitList(input, depth + 1, i, i === start ? firstRep : depth + 1);
    return levels;
  }

  /** Adds rows [start, end) of a batch, as arrow-rs' ArrowWriter adds one slice of a batch. */
  write(input: FloatListInput, start: number, end: number): void {
    const width = this.column.width;
    let row = start;
    while (row < end) {
      const first = row;
      let levels = 0;
      while (row < end && levels < WRITE_BATCH_SIZE) levels += this.emitList(input, 0, row++, 0);
      const from = this.leafStart(input, first) * width;
      const to = this.leafStart(input, row) * width;
      if (to > input.values.byteLength) throw new Error(`${this.column.name}: list offsets exceed the values`);
      this.raw.append(input.values.subarray(from, to));
      this.pageLevels += levels;
      this.pageRows += row - first;
      this.chunkRows += row - first;
      if (this.pageRows >= DATA_PAGE_ROW_COUNT_LIMIT || this.raw.length >= DATA_PAGE_SIZE_LIMIT) this.closePage();
    }
  }

  /** What arrow-rs would count for the chunk so far (row groups close on it). */
  estimatedBytes(): number {
    return this.pages.estimatedBytes + this.raw.length;
  }

  /** Ends the column chunk (its pages are in `pages`; reset them once written). */
  finishChunk(): void {
    if (this.pageLevels > 0) this.closePage();
    this.chunkRows = 0;
    this.pageFirstRow = 0;
  }

  /** Hands the buffers back to the pool once the file is written. */
  release(): void {
    this.pages.release();
    sharedBuffers.give(this.raw, this.repLevels, this.defLevels, this.body, this.split);
  }

  private startPage(): void {
    this.repLevels.reset();
    this.defLevels.reset();
    this.rep.start(this.repLevels, this.repWidth);
    this.def.start(this.defLevels, this.defWidth);
    this.raw.reset();
    this.pageLevels = 0;
    this.pageRows = 0;
  }

  private closePage(): void {
    this.rep.finish();
    this.def.finish();
    const body = this.body;
    body.reset();
    body.uint32(this.repLevels.length);
    body.append(this.repLevels.content());
    body.uint32(this.defLevels.length);
    body.append(this.defLevels.content());
    // Split into a scratch buffer (aligned for the word-wise split), then after the levels.
    this.split.reset();
    this.split.reserve(this.raw.length);
    byteStreamSplit(this.raw.content(), this.split.bytes, 0, this.column.width);
    this.split.length = this.raw.length;
    body.append(this.split.content());
    this.pages.dataPage(body.content(), this.pageLevels, Encoding.BYTE_STREAM_SPLIT, this.pageFirstRow, 0);
    this.pageFirstRow = this.chunkRows;
    this.startPage();
  }
}
