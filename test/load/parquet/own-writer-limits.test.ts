/**
 * What the own Parquet writer refuses, and how: a null inside a histogram list (our transforms never
 * write one; the writer fails the file naming the column and the row in the file) and a file with
 * no batch (no `ARROW:schema` to write: parquet-wasm fails the same file). The export path shows the
 * message with the file's path (file-handle.ts).
 */
import {
  Field,
  FixedSizeList,
  Float32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  vectorFromArray,
  type Data,
  type DataType,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { OwnParquetWriter } from '../../../src/load/parquet/own-writer.js';
import { ownFile, planFor } from './own-oracle.js';

/** A batch of `ids` and a non-null `data` list column of type `type` made of `data`. */
function batchOf(ids: number[], type: DataType, data: Data): RecordBatch {
  const fields = [new Field('id', new Int64(), false), new Field('data', type, false)];
  const children = [vectorFromArray(ids.map(BigInt), new Int64()).data[0], data];
  return new RecordBatch(
    new Schema(fields),
    makeData({ type: new Struct(fields), length: ids.length, nullCount: 0, children }),
  );
}

const tensor = new FixedSizeList(6, new Field('item', new Float32(), true));

/** `rows` tensors of 6 floats; the float at `nullAt` (if any) null. */
function tensorBatch(firstId: number, rows: number, nullAt = -1): RecordBatch {
  const values = Float32Array.from({ length: rows * 6 }, (_, i) => i / 7);
  const bitmap = new Uint8Array(Math.ceil((rows * 6) / 8)).fill(0xff);
  if (nullAt >= 0) bitmap[nullAt >> 3] &= ~(1 << (nullAt & 7));
  const leaf = makeData({
    type: new Float32(),
    length: rows * 6,
    nullCount: nullAt >= 0 ? 1 : 0,
    nullBitmap: nullAt >= 0 ? bitmap : undefined,
    data: values,
  });
  const ids = Array.from({ length: rows }, (_, i) => firstId + i);
  return batchOf(ids, tensor, makeData({ type: tensor, length: rows, nullCount: 0, child: leaf }));
}

describe('own writer: nulls inside a histogram list', () => {
  it('a null float fails the file, naming the column and its row in the file', () => {
    const batches = [tensorBatch(0, 4), tensorBatch(4, 3, 1 * 6 + 2)];
    const plan = planFor(batches, 'none', 1 << 20);
    expect(() => ownFile(batches, plan)).toThrow(/^column data: a null value at row 6 of the file/);
  });

  it('a null inner list of a nested 2D column names its row', () => {
    const nested = new List(new Field('item', new List(new Field('item', new Float32(), true)), true));
    const lists = vectorFromArray([[[1, 2], [3]], [[4]], [[5, 6], null, [7]]], nested).data[0];
    const batches = [batchOf([1, 2, 3], nested, lists)];
    const plan = planFor(batches, 'zstd', 1 << 20);
    expect(() => ownFile(batches, plan)).toThrow(/^column data: a null inner list at row 3 of the file/);
  });

  it('the same batches without the null are written', () => {
    const batches = [tensorBatch(0, 4), tensorBatch(4, 3)];
    expect(ownFile(batches, planFor(batches, 'none', 1 << 20)).byteLength).toBeGreaterThan(0);
  });
});

describe('own writer: a file with no batch', () => {
  it('is refused at finish (parquet-wasm fails it too), and its buffers still go back', () => {
    const plan = planFor([tensorBatch(0, 2)], 'none', 1 << 20);
    const chunks: Uint8Array[] = [];
    const writer = new OwnParquetWriter(plan, null, (b) => chunks.push(b.slice()));
    expect(() => writer.finish()).toThrow(/no batch was written/);
    writer.release();
    // Only the magic bytes were written: nothing that could pass for a file.
    expect(Buffer.concat(chunks).toString('latin1')).toBe('PAR1');
  });
});
