/**
 * Records whose `data` is a PackedHistogramData (the page decoder's output) give the same batches
 * and the same rejects as the same records with JSON arrays, in every layout and dtype.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableToIPC, Table } from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { PackedHistogramData } from '../../src/histogram-values.js';
import { toRecordBatches, transformSpecFor, type Layout } from '../../src/transform/index.js';

const CAPTURES = join(import.meta.dirname, '..', 'fixtures', 'captures');
const h2d = JSON.parse(readFileSync(join(CAPTURES, '96_h2d_detail.json'), 'utf8')).body as Record<string, unknown>;
const h1d = JSON.parse(readFileSync(join(CAPTURES, '85_h1d_detail.json'), 'utf8')).body as Record<string, unknown>;

/** The record with `data` packed as the decoder would (2D: rows of equal length). */
function packed(record: Record<string, unknown>): Record<string, unknown> {
  const data = record.data as number[] | number[][];
  const pack = Array.isArray(data[0])
    ? new PackedHistogramData(Float64Array.from((data as number[][]).flat()), data.length, (data[0] as number[]).length)
    : new PackedHistogramData(Float64Array.from(data as number[]), null, data.length);
  return { ...record, data: pack };
}

/** Variants of a record, each with its id, by index. */
function variants(base: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < 6; i++) {
    const r = structuredClone(base);
    r.id = 100 + i;
    const data = r.data as unknown[];
    // Values float32 must round, a -0, a value past float32's range.
    if (Array.isArray(data[0])) {
      (data[1] as number[])[2] = 0.1 * (i + 1);
      (data[0] as number[])[0] = -0;
      (data[2] as number[])[1] = 1e300;
    } else {
      data[1] = 0.1 * (i + 1);
      data[0] = -0;
      data[2] = 1e300;
    }
    out.push(r);
  }
  return out;
}

/** The `data` column of each batch as Arrow IPC bytes (other columns never see `data`). */
function ipc(records: unknown[], layout: Layout, dtype: 'float32' | 'float64', dim: 1 | 2): Buffer[] {
  const spec = transformSpecFor(dim === 1 ? 'lumisection_histograms_1d' : 'lumisection_histograms_2d', {
    layout,
    dtype,
  });
  const { batches, rejects } = toRecordBatches(records, spec);
  expect(rejects).toEqual([]);
  return batches.map((b) => {
    const field = b.schema.fields.find((f) => f.name === 'data')!;
    const ipc = Buffer.from(tableToIPC(new Table({ data: b.getChild('data')! })));
    return Buffer.concat([Buffer.from(`${String(field.type)} ${JSON.stringify([...field.metadata])}`), ipc]);
  });
}

describe('packed histogram data in the transform', () => {
  for (const dim of [1, 2] as const) {
    for (const layout of ['nested', 'flat', 'tensor', 'array'] as const) {
      for (const dtype of ['float64', 'float32'] as const) {
        test(`${dim}D ${layout} ${dtype}: the same Arrow bytes as JSON arrays`, () => {
          const records = variants(dim === 1 ? h1d : h2d);
          const plain = ipc(records, layout, dtype, dim);
          const fast = ipc(records.map(packed), layout, dtype, dim);
          expect(fast.length).toBe(plain.length);
          fast.forEach((bytes, i) => expect(bytes.equals(plain[i]!)).toBe(true));
        });
      }
    }
  }

  const BAD: [string, (r: Record<string, unknown>) => void][] = [
    ['a row missing', (r) => (r.y_bin = (r.y_bin as number) + 1)],
    ['rows too long', (r) => (r.x_bin = (r.x_bin as number) - 1)],
    [
      'a non-finite value',
      (r) => {
        (r.data as number[][])[3]![4] = Infinity;
      },
    ],
    [
      'NaN',
      (r) => {
        (r.data as number[][])[0]![0] = NaN;
      },
    ],
  ];
  test.each(BAD)('%s: the same reject, naming the same field', (_, change) => {
    const spec = transformSpecFor('lumisection_histograms_2d', { layout: 'tensor' });
    const bad = structuredClone(h2d);
    bad.id = 9;
    change(bad);
    const records = [structuredClone(h2d), bad];
    const plain = toRecordBatches(records, spec);
    const fast = toRecordBatches(records.map(packed), spec);
    expect(plain.rejects).toHaveLength(1);
    expect(fast.rejects).toEqual(plain.rejects);
    expect(fast.batches[0]!.numRows).toBe(1);
  });

  test('1D data where 2D is expected, and the reverse: the same rejects', () => {
    const spec2 = transformSpecFor('lumisection_histograms_2d', {});
    const wrong2 = { ...structuredClone(h2d), data: (h2d.data as number[][])[0] };
    expect(toRecordBatches([packed(wrong2)], spec2).rejects).toEqual(toRecordBatches([wrong2], spec2).rejects);
    const spec1 = transformSpecFor('lumisection_histograms_1d', {});
    const wrong1 = { ...structuredClone(h1d), data: [h1d.data] };
    expect(toRecordBatches([packed(wrong1)], spec1).rejects).toEqual(toRecordBatches([wrong1], spec1).rejects);
  });

  test('JSON.stringify of a packed record is the JSON of the plain one', () => {
    expect(JSON.stringify(packed(h2d))).toBe(JSON.stringify(h2d));
    expect(JSON.stringify(packed(h1d))).toBe(JSON.stringify(h1d));
  });
});
