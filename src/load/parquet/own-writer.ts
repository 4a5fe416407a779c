/**
 * Our own Parquet file writer for the histogram exports (issues #15, #16): the encoder worker uses
 * it instead of parquet-wasm when the plan lists every column in a form it supports (`plan.own`,
 * own-writer-plan.ts). It writes what parquet-wasm (arrow-rs) writes with the encoder's settings:
 * same schema, encodings, page and row-group boundaries, statistics and footer (the oracle test
 * compares the FileMetaData), with each page compressed by the native zstd as it is built. No wasm
 * to compile, no copies of the batches into wasm memory and back out, and pages built in buffers
 * reused for the whole file (docs/decisions.md, "Load: our own Parquet writer").
 *
 * Input: the IPC stream of each batch (ipc-reader.ts), read as views; the writer copies what it
 * keeps, so the buffer can go back to the main thread at once. Output: bytes in file order, handed
 * to `sink` (views of reused buffers: consumed before the next call).
 *
 * Imports only siblings: the Parquet encoder worker loads it (src/load/parquet/worker-script.ts).
 */
import { readIpcStream, type FieldNode, type IpcBatch } from './ipc-reader.js';
import { Codec, fileMetaData, offsetIndex, rowGroup, writtenChunk, type WrittenChunk } from './own-footer.js';
import { FloatListWriter, type FloatListInput } from './own-float-lists.js';
import type { PageCompress } from './own-pages.js';
import { scalarInput, ScalarWriter, type ScalarInput } from './own-scalars.js';
import { encodeStruct, TType, type ThriftStruct } from './thrift-compact.js';
import type { OwnColumn, OwnFloatListColumn, ParquetWriterPlan } from './protocol.js';

/** Takes output bytes in order (views of reused buffers: consume them before returning). */
export type OutputSink = (bytes: Uint8Array) => void;

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]);

type ColumnWriter = ScalarWriter | FloatListWriter;

/** An Int32Array over `bytes` (a copy when the view is not 4-byte aligned). */
function int32s(bytes: Uint8Array): Int32Array {
  if (bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  return new Int32Array(bytes.slice().buffer, 0, bytes.byteLength >> 2);
}

/**
 * Reads one batch's columns from its nodes and buffers (depth-first, in the schema's order). One per
 * writer, reset for each batch: an object per batch would die young, and with it its shape (see `kept`).
 */
class BatchCursor {
  private batch: IpcBatch | null = null;
  private nodeAt = 0;
  private bufferAt = 0;

  /** Starts reading `batch`. */
  reset(batch: IpcBatch): void {
    this.batch = batch;
    this.nodeAt = 0;
    this.bufferAt = 0;
  }

  /** The next field node (a column, or a list's child). */
  node(): FieldNode {
    const node = this.batch!.nodes[this.nodeAt++];
    if (!node) throw new Error('the batch has fewer columns than the plan');
    return node;
  }

  /** The next `n` body buffers (the current node's). */
  buffers(n: number): Uint8Array[] {
    const buffers = this.batch!.buffers.slice(this.bufferAt, this.bufferAt + n);
    if (buffers.length !== n) throw new Error('the batch has fewer buffers than the plan');
    this.bufferAt += n;
    return buffers;
  }
}

/**
 * The last file's writer, kept after it was released: V8 drops the hidden classes of objects none of
 * which is alive at a full collection (and the worker collects after row groups), and with them the
 * optimised code that used them. Between two files nothing of the writer's was alive, so each file
 * compiled the page loop again (docs/decisions.md, "Own Parquet writer: one shape per object, kept
 * alive between files"). Its buffers are back in the pool; what it keeps is a few KB of footer.
 */
const kept: { last: OwnParquetWriter | null } = { last: null };

/** The first null in `validity` (LSB first) among `length` slots; -1 for none (or no bitmap). */
function firstNull(validity: Uint8Array | undefined, length: number): number {
  if (!validity || validity.byteLength === 0) return -1;
  for (let i = 0; i < length; i++) if ((validity[i >> 3] & (1 << (i & 7))) === 0) return i;
  return -1;
}

/** The row holding item `index` of list level `depth` (0: the rows themselves), through the levels above. */
function rowOf(column: OwnFloatListColumn, offsets: (Int32Array | null)[], depth: number, index: number): number {
  let at = index;
  for (let level = depth - 1; level >= 0; level--) {
    const levelOffsets = offsets[level];
    if (!levelOffsets) {
      at = Math.floor(at / column.levels[level].fixedSize!);
      continue;
    }
    // The last list whose items start at or before `at`.
    let lo = 0;
    let hi = levelOffsets.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (levelOffsets[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    at = lo;
  }
  return at;
}

/**
 * A null list or float in a histogram column: the own writer writes non-null lists of non-null
 * floats (our transforms never put a null there), so it fails the file, naming the column and the
 * row (1-based, in the file), rather than write what parquet-wasm would have written differently.
 */
function nullError(
  column: OwnFloatListColumn,
  offsets: (Int32Array | null)[],
  depth: number,
  node: FieldNode,
  validity: Uint8Array | undefined,
  rowsBefore: number,
): Error {
  const what = depth === 0 ? 'a null list' : depth < column.levels.length ? 'a null inner list' : 'a null value';
  const at = firstNull(validity, node.length);
  const where =
    at < 0 ? 'in the batch after row ' + rowsBefore : `at row ${rowsBefore + rowOf(column, offsets, depth, at) + 1}`;
  return new Error(`column ${column.name}: ${what} ${where} of the file (histogram lists must not hold nulls)`);
}

/** One Parquet file being written. */
export class OwnParquetWriter {
  private readonly writers: ColumnWriter[];
  private offset = 0;
  private rows = 0;
  private rowGroupRows = 0;
  /** The row groups written: their chunks and rows. */
  private readonly groups: { chunks: WrittenChunk[]; rows: number }[] = [];
  private schemaMessage: Uint8Array | null = null;
  private readonly codec: number;
  private released = false;
  private readonly cursor = new BatchCursor();

  constructor(
    private readonly plan: ParquetWriterPlan & { own: OwnColumn[] },
    compress: PageCompress,
    private readonly sink: OutputSink,
  ) {
    this.codec = compress ? Codec.ZSTD : Codec.UNCOMPRESSED;
    this.writers = plan.own.map((c) =>
      c.kind === 'floats' ? new FloatListWriter(c, compress) : new ScalarWriter(c, compress),
    );
    this.emit(MAGIC);
  }

  private emit(bytes: Uint8Array): void {
    this.sink(bytes);
    this.offset += bytes.byteLength;
  }

  /** Adds the batches of one IPC stream. Returns whether a row group was written. */
  push(ipc: Uint8Array): boolean {
    const stream = readIpcStream(ipc);
    this.schemaMessage ??= stream.schemaMessage.slice();
    let flushed = false;
    for (const batch of stream.batches) {
      const inputs = this.inputs(batch, stream.dictionaries);
      flushed = this.writeRows(inputs, batch.length) || flushed;
    }
    return flushed;
  }

  /** Each column's input from a batch, checked against the plan. */
  private inputs(batch: IpcBatch, dictionaries: Map<number, IpcBatch>): (ScalarInput | FloatListInput)[] {
    const cursor = this.cursor;
    cursor.reset(batch);
    const dictionaryBatches = [...dictionaries.values()];
    let dictionaryColumns = 0;
    return this.plan.own.map((column) => {
      const node = cursor.node();
      if (node.length !== batch.length)
        throw new Error(`${column.name}: ${node.length} rows in a ${batch.length}-row batch`);
      if (column.kind === 'floats') return this.floatListInput(column, node, cursor);
      const [validityBytes] = cursor.buffers(1);
      const validity = node.nullCount > 0 ? validityBytes : null;
      if (!column.nullable && node.nullCount > 0) throw new Error(`${column.name}: nulls in a non-nullable column`);
      if (column.arrowDictionary) {
        const [indices] = cursor.buffers(1);
        const dictionary = dictionaryBatches[dictionaryColumns++];
        if (!dictionary) throw new Error(`${column.name}: the batch has no dictionary for it`);
        const [, offsets, values] = dictionary.buffers;
        return scalarInput(validity, node.nullCount, values, int32s(offsets), int32s(indices));
      }
      if (column.kind === 'utf8') {
        const [offsets, values] = cursor.buffers(2);
        return scalarInput(validity, node.nullCount, values, int32s(offsets), null);
      }
      const [values] = cursor.buffers(1);
      return scalarInput(validity, node.nullCount, values, null, null);
    });
  }

  /**
   * A float list column's input: per level its offsets (null for a fixed size), and the floats. A
   * null list or float fails the file (`nullError`).
   */
  private floatListInput(column: OwnFloatListColumn, node: FieldNode, cursor: BatchCursor): FloatListInput {
    const offsets: (Int32Array | null)[] = [];
    const rowsBefore = this.rows + this.rowGroupRows;
    let list = node;
    for (let depth = 0; depth < column.levels.length; depth++) {
      const fixed = column.levels[depth].fixedSize !== undefined;
      const [validity, offsetBytes] = cursor.buffers(fixed ? 1 : 2);
      if (list.nullCount > 0) throw nullError(column, offsets, depth, list, validity, rowsBefore);
      offsets.push(fixed ? null : int32s(offsetBytes));
      list = cursor.node();
    }
    const [validity, values] = cursor.buffers(2);
    if (list.nullCount > 0) throw nullError(column, offsets, column.levels.length, list, validity, rowsBefore);
    return { offsets, values };
  }

  /** Estimated bytes of the row group in progress, as arrow-rs counts them. */
  private estimatedBytes(): number {
    let n = 0;
    for (const writer of this.writers) n += writer.estimatedBytes();
    return n;
  }

  /** ArrowWriter::write: splits the batch at the row and byte limits of row groups. */
  private writeRows(inputs: (ScalarInput | FloatListInput)[], rows: number): boolean {
    const { maxRowGroupRows, maxRowGroupBytes } = this.plan;
    let flushed = false;
    let start = 0;
    while (start < rows) {
      let count = rows - start;
      if (this.rowGroupRows + count > maxRowGroupRows) count = maxRowGroupRows - this.rowGroupRows;
      if (this.rowGroupRows > 0) {
        const current = this.estimatedBytes();
        if (current >= maxRowGroupBytes) {
          this.flushRowGroup();
          flushed = true;
          continue;
        }
        const perRow = Math.floor(current / this.rowGroupRows);
        if (perRow > 0) {
          const fit = Math.floor((maxRowGroupBytes - current) / perRow);
          if (count > fit) {
            if (fit === 0) {
              this.flushRowGroup();
              flushed = true;
              continue;
            }
            count = fit;
          }
        }
      }
      for (let i = 0; i < this.writers.length; i++) {
        const writer = this.writers[i];
        const input = inputs[i];
        if (writer instanceof FloatListWriter) writer.write(input as FloatListInput, start, start + count);
        else writer.write(input as ScalarInput, start, start + count);
      }
      this.rowGroupRows += count;
      start += count;
      if (this.rowGroupRows >= maxRowGroupRows || this.estimatedBytes() >= maxRowGroupBytes) {
        this.flushRowGroup();
        flushed = true;
      }
    }
    return flushed;
  }

  /** Writes the row group in progress: each column chunk in turn. */
  private flushRowGroup(): void {
    if (this.rowGroupRows === 0) return;
    const written: WrittenChunk[] = [];
    for (const writer of this.writers) {
      writer.finishChunk();
      const stats =
        writer instanceof ScalarWriter
          ? { statistics: writer.stats.toThrift(), sizeStatistics: writer.stats.sizeStatistics(this.rowGroupRows) }
          : null;
      written.push(writtenChunk(writer.column, writer.pages, this.offset, this.codec, stats));
      this.emit(writer.pages.chunk.content());
      if (writer instanceof ScalarWriter) writer.nextChunk();
      else writer.pages.reset();
    }
    this.groups.push({ chunks: written, rows: this.rowGroupRows });
    this.rows += this.rowGroupRows;
    this.rowGroupRows = 0;
  }

  /** Hands the writers' buffers back to the worker's pool (after `finish`, or when the file is dropped). */
  release(): void {
    if (this.released) return;
    this.released = true;
    kept.last = this;
    for (const writer of this.writers) writer.release();
  }

  /**
   * Ends the file: the last row group, the offset indexes and the footer. Returns the rows written.
   * Throws when no batch came: the footer's `ARROW:schema` is the batches' own schema message, and
   * parquet-wasm fails the same file too (the sinks open a file with its first rows, so it never
   * happens in an export).
   */
  finish(): number {
    if (!this.schemaMessage) throw new Error('no batch was written: a Parquet file is opened with its first rows');
    this.flushRowGroup();
    for (const { chunks } of this.groups) {
      for (const chunk of chunks) {
        const index = encodeStruct(offsetIndex(chunk));
        chunk.chunk.fields.push(
          { id: 4, type: TType.I64, value: BigInt(this.offset) },
          { id: 5, type: TType.I32, value: index.byteLength },
        );
        this.emit(index);
      }
    }
    const groups: ThriftStruct[] = this.groups.map(({ chunks, rows }, ordinal) => rowGroup(chunks, rows, ordinal));
    const keyValue: [string, string][] = Object.entries(this.plan.keyValueMetadata);
    keyValue.push(['ARROW:schema', Buffer.from(this.schemaMessage).toString('base64')]);
    const footer = encodeStruct(fileMetaData(this.plan.own, this.rows, groups, keyValue, this.plan.createdBy));
    const trailer = new Uint8Array(8);
    new DataView(trailer.buffer).setUint32(0, footer.byteLength, true);
    trailer.set(MAGIC, 4);
    this.emit(footer);
    this.emit(trailer);
    this.release();
    return this.rows;
  }
}
