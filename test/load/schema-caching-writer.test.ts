/**
 * The schema-caching IPC stream writer (Parquet path: one complete stream per batch) writes the same
 * bytes as apache-arrow's writer, encodes an equal schema once, and encodes again when the schema
 * differs, metadata included (apache-arrow's comparator ignores metadata).
 */
import { Field, Float64, RecordBatchStreamWriter, Schema, tableFromIPC, type RecordBatch } from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { CollectingQueue } from '../../src/load/ipc/collecting-queue.js';
import {
  SchemaCachingStreamWriter,
  encodeSchemaMessage,
  sameSchema,
} from '../../src/load/ipc/schema-caching-writer.js';
import { toRecordBatch, transformSpecFor, type Layout } from '../../src/transform/index.js';
import { captureRecords } from './fixtures.js';

/** Each batch as its own complete stream, the way ParquetEncoder writes them. */
function streams(writer: RecordBatchStreamWriter, batches: RecordBatch[]): Buffer[] {
  const queue = new CollectingQueue();
  return batches.map((batch) => {
    writer.reset(queue, batch.schema);
    writer.write(batch);
    writer.reset(queue);
    return Buffer.concat(queue.take());
  });
}

/** Stream bytes equal, stream by stream (Buffer.equals: toEqual walks large buffers byte by byte). */
function expectSameStreams(ours: Buffer[], theirs: Buffer[]): void {
  expect(ours.length).toBe(theirs.length);
  expect(ours.map((b, i) => b.equals(theirs[i]!))).toEqual(ours.map(() => true));
}

/** Batches of the same records, each transformed separately (new, equal Schema objects). */
function batchesOf(file: string, layout: Layout, count: number): RecordBatch[] {
  const records = captureRecords(file);
  const endpoint = file.includes('h2d') ? 'lumisection_histograms_2d' : 'lumisection_histograms_1d';
  const spec = transformSpecFor(endpoint, { layout });
  return Array.from({ length: count }, () => toRecordBatch(records, spec).batch!);
}

describe('SchemaCachingStreamWriter', () => {
  test.each([
    ['71_h1d_filter_run_real.json', 'nested'],
    ['91_h2d_filter_run.json', 'nested'],
    ['91_h2d_filter_run.json', 'tensor'],
  ] as const)('%s %s: same bytes as apache-arrow per batch, readable', (file, layout) => {
    const batches = batchesOf(file, layout, 3);
    expect(batches[0]!.schema).not.toBe(batches[1]!.schema);
    const ours = streams(new SchemaCachingStreamWriter(), batches);
    const theirs = streams(new RecordBatchStreamWriter(), batches);
    expectSameStreams(ours, theirs);
    for (const [i, bytes] of ours.entries()) {
      const table = tableFromIPC(bytes);
      expect(table.numRows).toBe(batches[i]!.numRows);
      expect(table.schema.fields.map((f) => f.name)).toEqual(batches[i]!.schema.fields.map((f) => f.name));
    }
  });

  test('a schema that differs only in metadata is encoded again', () => {
    const field = (meta: Map<string, string>) => new Field('data', new Float64(), false, meta);
    const a = new Schema([field(new Map([['shape', '[1]']]))]);
    const b = new Schema([field(new Map([['shape', '[2]']]))]);
    const c = new Schema([field(new Map([['shape', '[1]']]))], new Map([['k', 'v']]));
    expect(sameSchema(a, new Schema([field(new Map([['shape', '[1]']]))]))).toBe(true);
    expect(sameSchema(a, b)).toBe(false);
    expect(sameSchema(a, c)).toBe(false);
    expect(Buffer.from(encodeSchemaMessage(a)).equals(Buffer.from(encodeSchemaMessage(b)))).toBe(false);
  });

  test('batches whose schemas change: every stream still matches apache-arrow', () => {
    const batches = [
      ...batchesOf('71_h1d_filter_run_real.json', 'nested', 1),
      ...batchesOf('91_h2d_filter_run.json', 'tensor', 1),
      ...batchesOf('71_h1d_filter_run_real.json', 'nested', 1),
    ];
    expectSameStreams(
      streams(new SchemaCachingStreamWriter(), batches),
      streams(new RecordBatchStreamWriter(), batches),
    );
  });
});
