/** Every bad record is rejected with its id and a reason, or thrown at in strict mode; none is padded. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { InputError } from '../../src/errors.js';
import { toRecordBatch, toRecordBatches, transformSpecFor } from '../../src/transform/index.js';

const CAPTURES = join(import.meta.dirname, '..', 'fixtures', 'captures');
const h2d = JSON.parse(readFileSync(join(CAPTURES, '96_h2d_detail.json'), 'utf8')).body as Record<string, unknown>;
const h1d = JSON.parse(readFileSync(join(CAPTURES, '85_h1d_detail.json'), 'utf8')).body as Record<string, unknown>;

function clone<T>(v: T): T {
  return structuredClone(v);
}

function with2d(change: (r: Record<string, unknown>) => void, id = 7): Record<string, unknown> {
  const r = clone(h2d);
  r.id = id;
  change(r);
  return r;
}

const rows = (r: Record<string, unknown>): number[][] => r.data as number[][];

const BAD_2D: [string, (r: Record<string, unknown>) => void, string, RegExp][] = [
  ['missing title', (r) => delete r.title, 'title', /missing/],
  ['null run', (r) => (r.run = null), 'run', /null is not allowed/],
  ['run as string', (r) => (r.run = '315705'), 'run', /int32/],
  ['run out of int32 range', (r) => (r.run = 2 ** 31), 'run', /int32/],
  ['fractional entries', (r) => (r.entries = 1.5), 'entries', /integer/],
  ['infinite x_min', (r) => (r.x_min = Infinity), 'x_min', /finite/],
  ['NaN y_max', (r) => (r.y_max = NaN), 'y_max', /finite/],
  ['missing source_data_file', (r) => delete r.source_data_file, 'source_data_file', /missing/],
  ['x_bin zero', (r) => (r.x_bin = 0), 'x_bin', /at least one bin/],
  ['data not a list', (r) => (r.data = 'x'), 'data', /list of rows/],
  ['one row missing', (r) => rows(r).pop(), 'data', /y_bin=72 rows, got 71/],
  ['one row short', (r) => rows(r)[5].pop(), 'data[5]', /x_bin=56 values, got 55/],
  ['one row too long', (r) => rows(r)[3].push(1), 'data[3]', /x_bin=56 values, got 57/],
  ['a row is not a list', (r) => ((r.data as unknown[])[2] = 5), 'data[2]', /row of x_bin=56/],
  ['a value is a string', (r) => (rows(r)[1][7] = '3' as unknown as number), 'data[1][7]', /finite number, got "3"/],
  ['a value is null', (r) => (rows(r)[71][55] = null as unknown as number), 'data[71][55]', /finite number, got null/],
  ['a value is NaN', (r) => (rows(r)[0][0] = NaN), 'data[0][0]', /finite number/],
  ['a value is -Infinity', (r) => (rows(r)[9][9] = -Infinity), 'data[9][9]', /finite number/],
  ['x_bin disagrees with data', (r) => (r.x_bin = 55), 'data[0]', /x_bin=55 values, got 56/],
];

describe.each(['nested', 'flat', 'tensor'] as const)('2D rejects, layout %s', (layout) => {
  const spec = transformSpecFor('lumisection_histograms_2d', { layout });

  test.each(BAD_2D)('%s', (_name, change, field, reason) => {
    const good1 = with2d(() => {}, 1);
    const bad = with2d(change, 7);
    const good2 = with2d(() => {}, 2);
    const { batch, rejects } = toRecordBatch([good1, bad, good2], spec);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]).toMatchObject({ id: 7, field, index: 1 });
    expect(rejects[0].reason).toMatch(reason);
    // The good records are intact and nothing of the bad one leaked into them.
    expect(batch!.numRows).toBe(2);
    expect(Array.from(batch!.getChild('id')!.toArray())).toEqual([1n, 2n]);
    const want = rows(h2d).flat();
    for (const i of [0, 1]) {
      const cellValue = batch!.getChild('data')!.get(i)!;
      const got =
        layout === 'nested'
          ? (cellValue.toArray() as { toArray(): Float64Array }[]).flatMap((row) => Array.from(row.toArray()))
          : Array.from(cellValue.toArray() as Float64Array);
      expect(got).toEqual(want);
    }
  });

  test('strict throws an InputError naming the record and field', () => {
    const strict = transformSpecFor('lumisection_histograms_2d', { layout, strict: true });
    const bad = with2d((r) => rows(r)[5].pop(), 42);
    let err: unknown;
    try {
      toRecordBatch([with2d(() => {}, 1), bad], strict);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('E_RECORD_INVALID');
    expect((err as InputError).message).toBe(
      'lumisection_histograms_2d record id=42: data[5]: expected x_bin=56 values, got 55',
    );
    expect((err as InputError).context).toMatchObject({ id: 42, field: 'data[5]', index: 1 });
  });
});

describe('1D rejects', () => {
  const spec = transformSpecFor('lumisection_histograms_1d', { layout: 'flat' });
  test.each([
    ['data short', (r: Record<string, unknown>) => (r.data as number[]).pop(), 'data', /x_bin=100 values, got 99/],
    [
      'data nested',
      (r: Record<string, unknown>) => (r.data = Array(100).fill([1])),
      'data[0]',
      /finite number, got \[1\]/,
    ],
    ['data null', (r: Record<string, unknown>) => (r.data = null), 'data', /null is not allowed/],
    ['data a string', (r: Record<string, unknown>) => (r.data = 'abc'), 'data', /list of numbers, got string/],
  ])('%s', (_n, change, field, reason) => {
    const bad = clone(h1d);
    change(bad);
    const { batch, rejects } = toRecordBatch([bad], spec);
    expect(batch).toBeNull();
    expect(rejects).toEqual([{ id: 1, field, reason: expect.stringMatching(reason), index: 0 }]);
  });
});

describe('records that are not objects, and records without ids', () => {
  test('non-objects are rejected with id null', () => {
    const { batch, rejects } = toRecordBatch([null, 3, 'x', [1]], transformSpecFor('runs'));
    expect(batch).toBeNull();
    expect(rejects.map((r) => [r.id, r.index, r.reason])).toEqual([
      [null, 0, 'expected an object, got null'],
      [null, 1, 'expected an object, got number'],
      [null, 2, 'expected an object, got string'],
      [null, 3, 'expected an object, got an array'],
    ]);
  });

  test('runs are identified by run number, lumisections by position', () => {
    expect(toRecordBatch([{ run_number: 5, date: 'yesterday' }], transformSpecFor('runs')).rejects).toEqual([
      { id: 5, field: 'date', reason: 'expected an ISO 8601 date-time with a zone, got "yesterday"', index: 0 },
    ]);
    expect(
      toRecordBatch([{ run: 5, ls_number: 1, date: '2026-11-25T20:27:32' }], transformSpecFor('lumisections')).rejects,
    ).toEqual([
      {
        id: null,
        field: 'date',
        reason: 'expected an ISO 8601 date-time with a zone, got "2026-11-25T20:27:32"',
        index: 0,
      },
    ]);
  });

  test('a null source_data_file is kept as null', () => {
    const r = clone(h1d);
    r.source_data_file = null;
    const { batch, rejects } = toRecordBatch([h1d, r], transformSpecFor('lumisection_histograms_1d'));
    expect(rejects).toEqual([]);
    expect(batch!.getChild('source_data_file')!.toJSON()).toEqual([1, null]);
    expect(batch!.getChild('source_data_file')!.nullCount).toBe(1);
  });

  test('an empty input gives no batch', () => {
    expect(toRecordBatch([], transformSpecFor('lumisection_histograms_2d'))).toEqual({ batch: null, rejects: [] });
  });
});

describe('tensor shape changes', () => {
  const small = (id: number, y: number, x: number): Record<string, unknown> => ({
    ...clone(h2d),
    id,
    y_bin: y,
    x_bin: x,
    data: Array.from({ length: y }, (_, iy) => Array.from({ length: x }, (_, ix) => iy * 10 + ix + 0.5)),
  });

  test('onShapeChange error throws E_SHAPE_CHANGE', () => {
    const spec = transformSpecFor('lumisection_histograms_2d', { layout: 'tensor' });
    expect(() => toRecordBatches([small(1, 2, 3), small(2, 3, 2)], spec)).toThrow(
      /tensor shape \[3, 2\] differs from \[2, 3\]/,
    );
  });

  test('onShapeChange new-file splits into one batch per shape run', () => {
    const spec = transformSpecFor('lumisection_histograms_2d', { layout: 'tensor', onShapeChange: 'new-file' });
    const { batches, rejects } = toRecordBatches(
      [small(1, 2, 3), small(2, 2, 3), small(3, 3, 2), small(4, 2, 3)],
      spec,
    );
    expect(rejects).toEqual([]);
    expect(
      batches.map((b) => [
        b.numRows,
        b.schema.fields.find((f) => f.name === 'data')!.metadata.get('ARROW:extension:metadata'),
      ]),
    ).toEqual([
      [2, '{"shape":[2,3]}'],
      [1, '{"shape":[3,2]}'],
      [1, '{"shape":[2,3]}'],
    ]);
    expect(Array.from(batches[1].getChild('data')!.get(0)!.toArray() as Float64Array)).toEqual([
      0.5, 1.5, 10.5, 11.5, 20.5, 21.5,
    ]);
    // toRecordBatch cannot return two shapes: it refuses rather than dropping records.
    expect(() => toRecordBatch([small(1, 2, 3), small(3, 3, 2)], spec)).toThrow(/E_SHAPE_CHANGE|differs/);
  });

  test('other layouts take any mix of shapes', () => {
    const spec = transformSpecFor('lumisection_histograms_2d', { layout: 'flat' });
    const { batch } = toRecordBatch([small(1, 2, 3), small(3, 3, 2)], spec);
    expect(batch!.numRows).toBe(2);
    expect(Array.from(batch!.getChild('y_bin')!.toArray())).toEqual([2, 3]);
  });
});
