/** The in-memory (decoded) size of Arrow data: what sizes row groups and estimates file rollover. */
import type { Data, RecordBatch } from 'apache-arrow';

function dataBytes(data: Data, seen: Set<Data>): number {
  if (seen.has(data)) return 0;
  seen.add(data);
  let n = 0;
  if (data.values) n += (data.values as ArrayBufferView).byteLength;
  if (data.valueOffsets) n += data.valueOffsets.byteLength;
  if (data.nullBitmap) n += data.nullBitmap.byteLength;
  if (data.typeIds) n += data.typeIds.byteLength;
  for (const child of data.children) n += dataBytes(child, seen);
  if (data.dictionary) for (const chunk of data.dictionary.data) n += dataBytes(chunk, seen);
  return n;
}

/** Bytes of all buffers of a batch (dictionaries counted once). */
export function batchByteLength(batch: RecordBatch): number {
  return dataBytes(batch.data, new Set());
}
