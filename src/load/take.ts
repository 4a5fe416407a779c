/**
 * Row selection for the partitioned writer: a new batch made of some rows of another, in the given
 * order. apache-arrow has no compute kernels; this covers the types the transform produces (ints,
 * floats, timestamps, booleans, utf8, dictionaries, lists, fixed-size lists, structs), nulls included.
 */
import { DataType, RecordBatch, Struct, makeData, makeVector, type Data, type Field, type Schema } from 'apache-arrow';
import { InternalError } from '../errors.js';

type TypedArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

function validity(data: Data, rows: Int32Array): { nullBitmap?: Uint8Array; nullCount: number } {
  if (data.nullCount === 0) return { nullCount: 0 };
  const bitmap = new Uint8Array((rows.length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < rows.length; i++) {
    if (data.getValid(rows[i])) bitmap[i >> 3] |= 1 << (i & 7);
    else nulls++;
  }
  return { nullBitmap: bitmap, nullCount: nulls };
}

/** Indices of the child values covered by `rows` of a variable-size list (offsets are absolute). */
function childRangeIndices(offsets: Int32Array, rows: Int32Array): { childRows: Int32Array; newOffsets: Int32Array } {
  const newOffsets = new Int32Array(rows.length + 1);
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    total += offsets[rows[i] + 1] - offsets[rows[i]];
    newOffsets[i + 1] = total;
  }
  const childRows = new Int32Array(total);
  let k = 0;
  for (let i = 0; i < rows.length; i++)
    for (let j = offsets[rows[i]]; j < offsets[rows[i] + 1]; j++) childRows[k++] = j;
  return { childRows, newOffsets };
}

/** The rows `rows` of `data`, as new contiguous data. */
export function takeData(data: Data, rows: Int32Array): Data {
  const type = data.type;
  const nulls = validity(data, rows);
  if (DataType.isStruct(type)) {
    return makeData({ type, length: rows.length, children: data.children.map((c) => takeData(c, rows)), ...nulls });
  }
  if (DataType.isFixedSizeList(type)) {
    const size = type.listSize;
    const childRows = new Int32Array(rows.length * size);
    for (let i = 0; i < rows.length; i++) for (let j = 0; j < size; j++) childRows[i * size + j] = rows[i] * size + j;
    return makeData({ type, length: rows.length, child: takeData(data.children[0], childRows), ...nulls });
  }
  if (DataType.isList(type)) {
    const { childRows, newOffsets } = childRangeIndices(data.valueOffsets as Int32Array, rows);
    return makeData({
      type,
      length: rows.length,
      valueOffsets: newOffsets,
      child: takeData(data.children[0], childRows),
      ...nulls,
    });
  }
  if (DataType.isUtf8(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const { childRows, newOffsets } = childRangeIndices(offsets, rows);
    const out = new Uint8Array(childRows.length);
    for (let i = 0; i < childRows.length; i++) out[i] = bytes[childRows[i]];
    return makeData({ type, length: rows.length, valueOffsets: newOffsets, data: out, ...nulls });
  }
  if (DataType.isBool(type)) {
    const vector = makeVector(data);
    const bits = new Uint8Array((rows.length + 7) >> 3);
    for (let i = 0; i < rows.length; i++) if (vector.get(rows[i])) bits[i >> 3] |= 1 << (i & 7);
    return makeData({ type, length: rows.length, data: bits, ...nulls });
  }
  if (DataType.isInt(type) || DataType.isFloat(type) || DataType.isTimestamp(type) || DataType.isDictionary(type)) {
    const values = data.values as TypedArray;
    const stride = data.stride;
    const Ctor = values.constructor as new (n: number) => TypedArray;
    const out = new Ctor(rows.length * stride);
    if (stride === 1) for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
    else
      for (let i = 0; i < rows.length; i++)
        for (let j = 0; j < stride; j++) out[i * stride + j] = values[rows[i] * stride + j];
    const props = { type, length: rows.length, data: out, ...nulls } as Record<string, unknown>;
    if (DataType.isDictionary(type)) props.dictionary = data.dictionary;
    return makeData(props as never);
  }
  throw new InternalError('E_TAKE_TYPE', `take: unsupported column type ${String(type)}`);
}

/** A batch of the rows `rows` of `batch` (same schema). */
export function takeRows(batch: RecordBatch, rows: Int32Array): RecordBatch {
  return new RecordBatch(batch.schema, takeData(batch.data, rows) as Data<Struct>);
}

/** The batch without the named columns. */
export function dropColumns(batch: RecordBatch, names: ReadonlySet<string>, schema: Schema): RecordBatch {
  const keep: number[] = [];
  batch.schema.fields.forEach((f: Field, i: number) => {
    if (!names.has(f.name)) keep.push(i);
  });
  const children = keep.map((i) => batch.data.children[i]);
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: batch.numRows, children, nullCount: 0 }),
  );
}
