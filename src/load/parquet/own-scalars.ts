/**
 * The own Parquet writer's top-level scalar columns (int32, int64, float64, utf8, utf8 behind an
 * Arrow dictionary), written as arrow-rs writes them with the encoder's settings: a Parquet
 * dictionary (PLAIN dictionary page, RLE_DICTIONARY data pages) that falls back to PLAIN once it
 * reaches 1 MiB, chunk statistics (min/max, null count; strings truncated to 64 bytes), and the
 * definition-level histogram and byte-array sizes arrow-rs puts in `size_statistics`.
 *
 * Imports only siblings: the Parquet encoder worker loads it (src/load/parquet/worker-script.ts).
 */
import { sharedBuffers, type ByteBuffer } from './byte-buffer.js';
import { bitWidthOf, HybridEncoder } from './hybrid-rle.js';
import { DATA_PAGE_ROW_COUNT_LIMIT, DATA_PAGE_SIZE_LIMIT, WRITE_BATCH_SIZE } from './own-float-lists.js';
import { ChunkPages, Encoding, type PageCompress } from './own-pages.js';
import { ScalarStatistics } from './own-statistics.js';
import type { OwnScalarColumn } from './protocol.js';

/** arrow-rs' default dictionary page size limit: beyond it the chunk falls back to PLAIN. */
const DICTIONARY_PAGE_SIZE_LIMIT = 1024 * 1024;

/** One batch of a scalar column. */
export interface ScalarInput {
  /** Validity bitmap (LSB first); null when the batch has no nulls. */
  validity: Uint8Array | null;
  /** Nulls in the batch. */
  nullCount: number;
  /** Fixed-width values (little-endian), or the utf8 data bytes. */
  values: Uint8Array;
  /** utf8: value offsets; null for numbers. */
  offsets: Int32Array | null;
  /** Arrow dictionary column: int32 indices into the dictionary's utf8 (`values`, `offsets`); else null. */
  indices: Int32Array | null;
}

/**
 * A ScalarInput, always made here: one object literal, so every input has one shape, and a shape V8
 * keeps (the literal's template holds it) although the inputs of a batch all die young. Instances
 * of a class would lose theirs at a full collection between batches, and with it the optimised
 * code of the column loop (docs/decisions.md, "Own Parquet writer: one shape per object, kept alive
 * between files").
 */
export function scalarInput(
  validity: Uint8Array | null,
  nullCount: number,
  values: Uint8Array,
  offsets: Int32Array | null,
  indices: Int32Array | null,
): ScalarInput {
  return { validity, nullCount, values, offsets, indices };
}

const latin1 = new TextDecoder('latin1');

/** Scratch for reading a little-endian float64 from bytes at any offset. */
const scratch = new DataView(new ArrayBuffer(8));

/**
 * A fixed-width little-endian value as an exact number: int32, float64, or an int64 within ±2^53;
 * undefined for an int64 beyond (the caller then works with its bytes).
 */
function readFixed(kind: OwnScalarColumn['kind'], v: Uint8Array, at: number): number | undefined {
  if (kind === 'int32') return v[at] | (v[at + 1] << 8) | (v[at + 2] << 16) | (v[at + 3] << 24);
  if (kind === 'float64') {
    for (let i = 0; i < 8; i++) scratch.setUint8(i, v[at + i]);
    return scratch.getFloat64(0, true);
  }
  const lo = (v[at] | (v[at + 1] << 8) | (v[at + 2] << 16) | (v[at + 3] << 24)) >>> 0;
  const hi = v[at + 4] | (v[at + 5] << 8) | (v[at + 6] << 16) | (v[at + 7] << 24);
  return hi >= -0x200000 && hi < 0x200000 ? hi * 4294967296 + lo : undefined;
}

/** arrow-rs' RleEncoder::max_buffer_size: the dictionary page-size estimate for `count` indices. */
function maxRleBytes(bitWidth: number, count: number): number {
  const runs = Math.ceil(count / 8);
  return Math.max(runs + runs * bitWidth, runs * (1 + Math.ceil(bitWidth / 8)));
}

function isValid(validity: Uint8Array | null, row: number): boolean {
  return validity === null || (validity[row >> 3] & (1 << (row & 7))) !== 0;
}

/** Writes the column chunks of one scalar column, row group after row group. */
export class ScalarWriter {
  readonly pages: ChunkPages;
  readonly stats: ScalarStatistics;
  private readonly width: number;
  private readonly defLevels: ByteBuffer = sharedBuffers.take(1 << 12);
  private readonly def = new HybridEncoder();
  private readonly indexEncoder = new HybridEncoder();
  /** PLAIN values of the current page (after a fallback). */
  private readonly plain: ByteBuffer = sharedBuffers.take(1 << 12);
  private readonly body: ByteBuffer = sharedBuffers.take(1 << 12);
  /** Dictionary indices of the current page. */
  private indices = new Int32Array(1024);
  private indexCount = 0;
  /** Dictionary: key -> index, and the entries PLAIN-encoded (the dictionary page's body). */
  private dictionary = new Map<unknown, number>();
  private readonly dictionaryPage: ByteBuffer = sharedBuffers.take(1 << 12);
  private useDictionary = true;
  private pageLevels = 0;
  private pageRows = 0;
  private pageByteArrayBytes = 0;
  private pageFirstRow = 0;
  private chunkRows = 0;

  constructor(
    readonly column: OwnScalarColumn,
    compress: PageCompress,
  ) {
    this.pages = new ChunkPages(compress);
    this.stats = new ScalarStatistics(column.kind, column.nullable);
    this.width = column.kind === 'int32' ? 4 : column.kind === 'utf8' ? 0 : 8;
    this.startChunk();
  }

  private startChunk(): void {
    this.dictionary = new Map();
    this.dictionaryPage.reset();
    this.useDictionary = true;
    this.pages.deferring = true;
    this.chunkRows = 0;
    this.pageFirstRow = 0;
    this.stats.reset();
    this.startPage();
  }

  private startPage(): void {
    this.defLevels.reset();
    this.def.start(this.defLevels, 1);
    this.plain.reset();
    this.indexCount = 0;
    this.pageLevels = 0;
    this.pageRows = 0;
    this.pageByteArrayBytes = 0;
  }

  /** Adds rows [start, end) of a batch, as arrow-rs' ArrowWriter adds one slice of a batch. */
  write(input: ScalarInput, start: number, end: number): void {
    // arrow-rs: levels all alike (no nulls, or only nulls) go in mini-batches of the page row limit.
    const sliceNulls = input.nullCount === 0 ? 0 : this.nullsIn(input.validity, start, end);
    const uniform = this.column.nullable && (input.nullCount === 0 || sliceNulls === end - start);
    const batchSize = uniform ? DATA_PAGE_ROW_COUNT_LIMIT : WRITE_BATCH_SIZE;
    for (let row = start; row < end;) {
      const stop = Math.min(end, row + batchSize);
      const step = this.subBatchSize(input, row, stop);
      for (let at = row; at < stop; at += step) {
        this.miniBatch(input, at, Math.min(stop, at + step));
        if (
          this.pageLevels > 0 &&
          (this.pageRows >= DATA_PAGE_ROW_COUNT_LIMIT || this.pageValueBytes() >= DATA_PAGE_SIZE_LIMIT)
        )
          this.closePage();
        if (this.useDictionary && this.dictionaryPage.length >= DICTIONARY_PAGE_SIZE_LIMIT) this.fallBack();
      }
      row = stop;
    }
  }

  /**
   * arrow-rs' ByteBudgetChunker: a chunk of strings whose PLAIN bytes (4-byte length + value) would
   * overrun what is left of the dictionary page (or a whole data page, once PLAIN) is written in
   * smaller mini-batches, each followed by the page and fallback checks. Numbers always fit, and so
   * do strings behind an Arrow dictionary (arrow-rs does not bound those).
   */
  private subBatchSize(input: ScalarInput, start: number, end: number): number {
    const rows = end - start;
    if (this.column.kind !== 'utf8' || input.indices) return rows;
    const budget = this.useDictionary
      ? Math.max(0, DICTIONARY_PAGE_SIZE_LIMIT - this.dictionaryPage.length)
      : DATA_PAGE_SIZE_LIMIT;
    const offsets = input.offsets!;
    let values = 0;
    let bytes = 0;
    let fit = -1;
    for (let row = start; row < end; row++) {
      if (!isValid(input.validity, row)) continue;
      values++;
      bytes += offsets[row + 1] - offsets[row] + 4;
      if (fit < 0 && bytes > budget) fit = values;
    }
    if (fit < 0 || values === 0) return rows;
    const levels = values === rows ? fit : Math.max(1, Math.ceil((fit * rows) / values));
    return Math.min(rows, Math.max(1, levels));
  }

  private nullsIn(validity: Uint8Array | null, start: number, end: number): number {
    let nulls = 0;
    for (let row = start; row < end; row++) if (!isValid(validity, row)) nulls++;
    return nulls;
  }

  /** arrow-rs' estimate of the current page's encoded values. */
  private pageValueBytes(): number {
    if (!this.useDictionary) return this.plain.length;
    const width = bitWidthOf(Math.max(0, this.dictionary.size - 1));
    return (this.column.kind === 'utf8' ? 1 : 0) + maxRleBytes(width, this.indexCount);
  }

  private miniBatch(input: ScalarInput, start: number, end: number): void {
    const { validity } = input;
    const nullable = this.column.nullable;
    for (let row = start; row < end;) {
      // Runs of valid or null rows: one level run each.
      const valid = isValid(validity, row);
      let stop = row + 1;
      while (stop < end && isValid(validity, stop) === valid) stop++;
      if (nullable) this.def.put(valid ? 1 : 0, stop - row);
      if (valid) for (let r = row; r < stop; r++) this.value(input, r);
      else this.stats.nulls += stop - row;
      row = stop;
    }
    this.pageLevels += end - start;
    this.pageRows += end - start;
    this.chunkRows += end - start;
  }

  /** Encodes one non-null value (dictionary index or PLAIN) and counts it in the statistics. */
  private value(input: ScalarInput, row: number): void {
    if (this.column.kind !== 'utf8') {
      this.fixedValue(input.values, row * this.width);
      return;
    }
    const at = input.indices ? input.indices[row] : row;
    const offsets = input.offsets!;
    const bytes = input.values.subarray(offsets[at], offsets[at + 1]);
    this.pageByteArrayBytes += bytes.byteLength;
    this.stats.update(bytes);
    if (!this.useDictionary) {
      this.plain.uint32(bytes.byteLength);
      this.plain.append(bytes);
      return;
    }
    const key = latin1.decode(bytes);
    let index = this.dictionary.get(key);
    if (index === undefined) {
      index = this.dictionary.size;
      this.dictionary.set(key, index);
      this.dictionaryPage.uint32(bytes.byteLength);
      this.dictionaryPage.append(bytes);
    }
    this.pushIndex(index);
  }

  /**
   * `value` for int32, int64 and float64 columns, whose bytes are `values[at, at + width)`: read as a
   * number, which keys the dictionary and feeds the statistics, with no view or string made per
   * value (per value, a latin1 string, a subarray and a DataView were ~a quarter of the encoder
   * worker's CPU on 1D exports' nine scalar columns). A number stands for exactly one byte pattern
   * except ±0 and NaN; those, and int64s beyond ±2^53, are keyed by their bytes as a string, as every
   * value was before (a string key never equals a number key).
   */
  private fixedValue(values: Uint8Array, at: number): void {
    const width = this.width;
    const number = readFixed(this.column.kind, values, at);
    if (number === undefined) this.stats.update(values.subarray(at, at + width));
    else this.stats.updateNumber(number, values, at, width);
    if (!this.useDictionary) {
      this.plain.append(values.subarray(at, at + width));
      return;
    }
    const key =
      number === undefined || number === 0 || Number.isNaN(number)
        ? latin1.decode(values.subarray(at, at + width))
        : number;
    let index = this.dictionary.get(key);
    if (index === undefined) {
      index = this.dictionary.size;
      this.dictionary.set(key, index);
      this.dictionaryPage.append(values.subarray(at, at + width));
    }
    this.pushIndex(index);
  }

  private pushIndex(index: number): void {
    if (this.indexCount === this.indices.length) {
      const grown = new Int32Array(this.indices.length * 2);
      grown.set(this.indices);
      this.indices = grown;
    }
    this.indices[this.indexCount++] = index;
  }

  private closePage(): void {
    this.def.finish();
    const body = this.body;
    body.reset();
    if (this.column.nullable) {
      body.uint32(this.defLevels.length);
      body.append(this.defLevels.content());
    }
    if (this.useDictionary) {
      const width = bitWidthOf(Math.max(0, this.dictionary.size - 1));
      body.byte(width);
      this.indexEncoder.start(body, width);
      for (let i = 0; i < this.indexCount;) {
        const value = this.indices[i];
        let j = i + 1;
        while (j < this.indexCount && this.indices[j] === value) j++;
        this.indexEncoder.put(value, j - i);
        i = j;
      }
      this.indexEncoder.finish();
    } else body.append(this.plain.content());
    const encoding = this.useDictionary ? Encoding.RLE_DICTIONARY : Encoding.PLAIN;
    const byteArrayBytes = this.column.kind === 'utf8' ? this.pageByteArrayBytes : 0;
    this.pages.dataPage(body.content(), this.pageLevels, encoding, this.pageFirstRow, byteArrayBytes);
    this.pageFirstRow = this.chunkRows;
    this.startPage();
  }

  /** The dictionary reached its limit: its pages are written, the rest of the chunk is PLAIN. */
  private fallBack(): void {
    if (this.pageLevels > 0) this.closePage();
    this.pages.dictionaryPage(this.dictionaryPage.content(), this.dictionary.size);
    this.useDictionary = false;
    this.dictionary = new Map();
  }

  /** What arrow-rs would count for the chunk so far (row groups close on it). */
  estimatedBytes(): number {
    return this.pages.estimatedBytes + this.pageValueBytes() + (this.useDictionary ? this.dictionaryPage.length : 0);
  }

  /** Ends the column chunk (its pages are in `pages`, its statistics in `stats`); call `nextChunk` once written. */
  finishChunk(): void {
    if (this.pageLevels > 0) this.closePage();
    if (this.useDictionary) this.pages.dictionaryPage(this.dictionaryPage.content(), this.dictionary.size);
  }

  /** Hands the buffers back to the pool once the file is written. */
  release(): void {
    this.pages.release();
    sharedBuffers.give(this.defLevels, this.plain, this.body, this.dictionaryPage);
  }

  /** Starts the next row group's chunk (after its pages and statistics were used). */
  nextChunk(): void {
    this.pages.reset();
    this.startChunk();
  }
}
