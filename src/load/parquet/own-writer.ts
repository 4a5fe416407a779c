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
import { readIpcStream, type IpcBatch } from './ipc-reader.js';
import { Codec, fileMetaData, offsetIndex, rowGroup, writtenChunk, type WrittenChunk } from './own-footer.js';
import { FloatListWriter, type FloatListInput } from './own-float-lists.js';
import type { PageCompress } from './own-pages.js';
import { ScalarWriter, type ScalarInput } from './own-scalars.js';
import { encodeStruct, TType, type ThriftStruct } from './thrift-compact.js';
import type { OwnColumn, ParquetWriterPlan } from './protocol.js';

/** Takes output bytes in order (views of reused buffers: consume them before returning). */
export type OutputSink = (bytes: Uint8Array) => void;

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]);

type ColumnWriter = ScalarWriter | FloatListWriter;

/** An Int32Array over `bytes` (a copy when the view is not 4-byte aligned). */
function int32s(bytes: Uint8Array): Int32Array {
  if (bytes.byteOffset % 4 === 0) return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  return new Int32Array(bytes.slice().buffer, 0, bytes.byteLength >> 2);
}

/** Reads one batch's columns from its nodes and buffers (depth-first, in the schema's order). */
class BatchCursor {
  private node = 0;
  private buffer = 0;

  constructor(private readonly batch: IpcBatch) {}

  next(): { length: number; nullCount: number; buffers: (n: number) => Uint8Array[] } {
    const node = this.batch.nodes[this.node++];
    if (!node) throw new Error('the batch has fewer columns than the plan');
    return {
      ...node,
      buffers: (n) => {
        const buffers = this.batch.buffers.slice(this.buffer, this.buffer + n);
        if (buffers.length !== n) throw new Error('the batch has fewer buffers than the plan');
        this.buffer += n;
        return buffers;
      },
    };
  }
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
    const cursor = new BatchCursor(batch);
    const dictionaryBatches = [...dictionaries.values()];
    let dictionaryColumns = 0;
    return this.plan.own.map((column) => {
      const node = cursor.next();
      if (node.length !== batch.length)
        throw new Error(`${column.name}: ${node.length} rows in a ${batch.length}-row batch`);
      if (column.kind === 'floats') {
        const offsets: (Int32Array | null)[] = [];
        let list = node;
        for (const level of column.levels) {
          if (list.nullCount > 0) throw new Error(`${column.name}: null lists are not supported by the own writer`);
          const [, offsetBytes] = list.buffers(level.fixedSize === undefined ? 2 : 1);
          offsets.push(level.fixedSize === undefined ? int32s(offsetBytes) : null);
          list = cursor.next();
        }
        if (list.nullCount > 0) throw new Error(`${column.name}: null values are not supported by the own writer`);
        const [, values] = list.buffers(2);
        return { offsets, values };
      }
      const validity = node.nullCount > 0 ? node.buffers(1)[0] : (node.buffers(1), null);
      if (!column.nullable && node.nullCount > 0) throw new Error(`${column.name}: nulls in a non-nullable column`);
      if (column.arrowDictionary) {
        const [indices] = node.buffers(1);
        const dictionary = dictionaryBatches[dictionaryColumns++];
        if (!dictionary) throw new Error(`${column.name}: the batch has no dictionary for it`);
        const [, offsets, values] = dictionary.buffers;
        return { validity, nullCount: node.nullCount, values, offsets: int32s(offsets), indices: int32s(indices) };
      }
      if (column.kind === 'utf8') {
        const [offsets, values] = node.buffers(2);
        return { validity, nullCount: node.nullCount, values, offsets: int32s(offsets) };
      }
      const [values] = node.buffers(1);
      return { validity, nullCount: node.nullCount, values };
    });
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
        if (writer instanceof FloatListWriter) writer.write(inputs[i] as FloatListInput, start, start + count);
        else writer.write(inputs[i] as ScalarInput, start, start + count);
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
    for (const writer of this.writers) writer.release();
  }

  private released = false;

  /** Ends the file: the last row group, the offset indexes and the footer. Returns the rows written. */
  finish(): number {
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
    if (this.schemaMessage) keyValue.push(['ARROW:schema', Buffer.from(this.schemaMessage).toString('base64')]);
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
