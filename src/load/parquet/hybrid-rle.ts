/**
 * Parquet's RLE / bit-packing hybrid encoding (parquet-format Encodings.md, "Run Length Encoding /
 * Bit-Packing Hybrid"), fed with runs: repetition and definition levels of histogram lists are long
 * runs of one value, dictionary indices mostly single values. A run of 8 or more identical values
 * becomes an RLE run; shorter ones are bit-packed in groups of 8 (the last group padded with zeros:
 * the page's value count tells the reader where the values end).
 *
 * Imports only a sibling: the Parquet encoder worker loads it (src/load/parquet/worker-script.ts).
 */
import type { ByteBuffer } from './byte-buffer.js';

/** Bits needed to store values up to `max` (0 for 0). */
export function bitWidthOf(max: number): number {
  let bits = 0;
  while (max >= 2 ** bits) bits++;
  return bits;
}

/** Values bit-packed per flush of the pending list (a multiple of 8). */
const PACK_CHUNK = 1024;

/** Encodes one sequence of values into a ByteBuffer (appended after what it holds). */
export class HybridEncoder {
  private readonly pending = new Uint32Array(PACK_CHUNK + 8);
  private pendingCount = 0;
  private runValue = 0;
  private runCount = 0;
  private out!: ByteBuffer;
  private bitWidth = 0;

  /** Starts a new sequence written to `out` with `bitWidth` bits per value. */
  start(out: ByteBuffer, bitWidth: number): void {
    this.out = out;
    this.bitWidth = bitWidth;
    this.pendingCount = 0;
    this.runCount = 0;
  }

  /** Appends `count` copies of `value`. */
  put(value: number, count: number): void {
    if (count <= 0) return;
    if (this.runCount > 0 && value === this.runValue) {
      this.runCount += count;
      return;
    }
    this.commitRun();
    this.runValue = value;
    this.runCount = count;
  }

  /** Ends the sequence: everything is in `out`. */
  finish(): void {
    this.commitRun();
    if (this.pendingCount > 0) {
      const groups = Math.ceil(this.pendingCount / 8);
      this.pending.fill(0, this.pendingCount, groups * 8);
      this.pendingCount = groups * 8;
      this.flushPacked();
    }
  }

  private commitRun(): void {
    let count = this.runCount;
    if (count === 0) return;
    this.runCount = 0;
    const value = this.runValue;
    // Fill the pending bit-packed values up to a group boundary first: an RLE run may only
    // follow whole groups.
    while (count > 0 && this.pendingCount % 8 !== 0) {
      this.pushPending(value);
      count--;
    }
    if (count >= 8) {
      if (this.pendingCount > 0) this.flushPacked();
      this.writeRle(value, count);
      return;
    }
    while (count > 0) {
      this.pushPending(value);
      count--;
    }
  }

  /** Adds one value to the pending bit-packed values (flushing whole groups when full). */
  private pushPending(value: number): void {
    if (this.pendingCount === PACK_CHUNK) this.flushPacked();
    this.pending[this.pendingCount++] = value;
  }

  private writeRle(value: number, count: number): void {
    const out = this.out;
    out.varint(count * 2);
    const bytes = (this.bitWidth + 7) >> 3;
    out.reserve(bytes);
    for (let i = 0; i < bytes; i++) out.bytes[out.length++] = Math.floor(value / 2 ** (8 * i)) & 0xff;
  }

  /** Writes the pending values (a whole number of groups) as one bit-packed run. */
  private flushPacked(): void {
    const out = this.out;
    const groups = this.pendingCount >> 3;
    const width = this.bitWidth;
    out.varint(groups * 2 + 1);
    out.reserve(groups * width);
    const bytes = out.bytes;
    let at = out.length;
    if (width > 0) {
      let acc = 0;
      let bits = 0;
      for (let i = 0; i < this.pendingCount; i++) {
        // `bits` is below 8 here (the loop below leaves fewer than 8), so `1 << bits` is exact: V8
        // compiled `2 ** bits` to a call of its pow (~3 % of the encoder worker's samples, perf).
        acc += this.pending[i] * (1 << bits);
        bits += width;
        while (bits >= 8) {
          bytes[at++] = acc & 0xff;
          acc = Math.floor(acc / 256);
          bits -= 8;
        }
      }
    }
    out.length = at;
    this.pendingCount = 0;
  }
}
