/**
 * Arrow tables the recompressor's tests encode: each transform layout of real captured 1D and 2D
 * histograms, and a synthetic table with nulls in scalar, dictionary and list columns.
 */
import { Dictionary, Field, Float64, Int32, Int64, List, Table, Utf8, vectorFromArray } from 'apache-arrow';
import type { Endpoint } from '../../../src/domain.js';
import { toRecordBatch, transformSpecFor, type Layout } from '../../../src/transform/index.js';
import { captureRecords } from '../fixtures.js';

/** The captures used: a page of 1D and a page of 2D histograms. */
export const CAPTURES: [string, Endpoint][] = [
  ['72_h1d_filter_run_synthetic.json', 'lumisection_histograms_1d'],
  ['91_h2d_filter_run.json', 'lumisection_histograms_2d'],
];

/** Every layout the transform writes. */
export const LAYOUTS: Layout[] = ['nested', 'flat', 'tensor', 'array'];

/** The captured page as one table in `layout` (float32 histogram values). */
export function histogramTable(capture: string, endpoint: Endpoint, layout: Layout): Table {
  const { batch, rejects } = toRecordBatch(
    captureRecords(capture),
    transformSpecFor(endpoint, { layout, dtype: 'float32' }),
  );
  if (rejects.length > 0 || !batch) throw new Error(`${capture}: rejects in a capture`);
  return new Table(batch);
}

/** `rows` rows with nulls in every column: int32, int64, a dictionary of strings, a list of doubles. */
export function nullsTable(rows: number): Table {
  const index = Array.from({ length: rows }, (_, i) => i);
  return new Table({
    id: vectorFromArray(
      index.map((i) => (i % 7 === 3 ? null : i)),
      new Int32(),
    ),
    big: vectorFromArray(
      index.map((i) => (i % 11 === 5 ? null : BigInt(i) * 1_000_003n)),
      new Int64(),
    ),
    title: vectorFromArray(
      index.map((i) => (i % 5 === 1 ? null : `title_${i % 13}`)),
      new Dictionary(new Utf8(), new Int32()),
    ),
    values: vectorFromArray(
      index.map((i) => (i % 9 === 4 ? null : Array.from({ length: i % 6 }, (_, j) => (i * 31 + j) / 7))),
      new List(new Field('item', new Float64(), true)),
    ),
  });
}
