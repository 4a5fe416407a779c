/**
 * The in-memory (decoded) size of Arrow data: what sizes row groups and estimates file rollover.
 * Counts only the rows a batch covers: a slice of a list column shares its parent's child buffer,
 * and counting that whole buffer would make every slice look as big as the batch it came from.
 */
import { DataType, type Data, type RecordBatch } from 'apache-arrow';

/** Bytes of rows [start, start + count) of `data` (indices relative to `data`'s own rows). */
function rangeBytes(data: Data, start: number, count: number): number {
  const type = data.type;
  let n = data.nullCount > 0 ? Math.ceil(count / 8) : 0;
  if (DataType.isStruct(type)) {
    for (const child of data.children) n += rangeBytes(child, start, count);
    return n;
  }
  if (DataType.isFixedSizeList(type))
    return n + rangeBytes(data.children[0], start * type.listSize, count * type.listSize);
  if (DataType.isList(type) || DataType.isUtf8(type) || DataType.isBinary(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const first = offsets[start];
    const span = offsets[start + count] - first;
    n += 4 * (count + 1);
    return n + (DataType.isList(type) ? rangeBytes(data.children[0], first, span) : span);
  }
  if (DataType.isBool(type)) return n + Math.ceil(count / 8);
  const values = data.values as ArrayBufferView & { BYTES_PER_ELEMENT?: number };
  n += (values?.BYTES_PER_ELEMENT ?? 1) * data.stride * count;
  if (data.dictionary) for (const chunk of data.dictionary.data) n += rangeBytes(chunk, 0, chunk.length);
  return n;
}

/** Decoded bytes of the rows of a batch (dictionaries counted whole, once per column). */
export function batchByteLength(batch: RecordBatch): number {
  return rangeBytes(batch.data, 0, batch.numRows);
}
