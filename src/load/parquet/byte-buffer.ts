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

/** Buffers kept for reuse, at most (the writers of two or three open files). */
const MAX_SPARE = 64;

/**
 * ByteBuffers handed back by finished files, for the next file's writers: a worker writes file
 * after file, and fresh MB-sized buffers per file kept glibc's arenas, and the RSS, growing (the
 * same churn issue #15 measured with parquet-wasm's row-group buffers).
 */
export class BufferPool {
  private readonly spare: ByteBuffer[] = [];

  /** A reset buffer of at least `capacity` bytes (the smallest spare that fits, else a new one). */
  take(capacity: number): ByteBuffer {
    let best = -1;
    for (let i = 0; i < this.spare.length; i++)
      if (
        this.spare[i].bytes.byteLength >= capacity &&
        (best < 0 || this.spare[i].bytes.byteLength < this.spare[best].bytes.byteLength)
      )
        best = i;
    if (best < 0) return new ByteBuffer(capacity);
    const buffer = this.spare.splice(best, 1)[0];
    buffer.reset();
    return buffer;
  }

  /** Takes buffers back (the caller no longer uses them). */
  give(...buffers: ByteBuffer[]): void {
    for (const buffer of buffers) if (this.spare.length < MAX_SPARE) this.spare.push(buffer);
  }
}

/** The worker's pool (one per thread: modules are per thread). */
export const sharedBuffers = new BufferPool();
