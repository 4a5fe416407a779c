/**
 * A growable byte buffer written front to back and reset for reuse: the own Parquet writer builds
 * every page, level run and column chunk in a few of these, so a long export allocates them once
 * rather than once per page or row group (issue #15: freed multi-MB buffers kept glibc's arenas,
 * and so the RSS, growing).
 *
 * Imports nothing: the Parquet encoder worker loads it (src/load/parquet/worker-script.ts).
 */
export class ByteBuffer {
  bytes: Uint8Array;
  view: DataView;
  /** Bytes written. */
  length = 0;

  constructor(capacity = 1 << 16) {
    this.bytes = new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Makes room for `n` more bytes (keeps what was written). */
  reserve(n: number): void {
    const needed = this.length + n;
    if (needed <= this.bytes.byteLength) return;
    let capacity = this.bytes.byteLength * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  /** Forgets the content, keeps the memory. */
  reset(): void {
    this.length = 0;
  }

  /** The bytes written (a view, valid until the next write or reset). */
  content(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  append(bytes: Uint8Array): void {
    this.reserve(bytes.byteLength);
    this.bytes.set(bytes, this.length);
    this.length += bytes.byteLength;
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  uint32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  /** An unsigned LEB128 varint (values below 2^53). */
  varint(value: number): void {
    this.reserve(8);
    while (value >= 0x80) {
      this.bytes[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.length++] = value;
  }
}
