/** Column selection, renaming and constants; bad specs from a table of (options, expected message). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Endpoint } from '../../src/domain.js';
import { ConfigError } from '../../src/errors.js';
import {
  arrowSchemaFor,
  parseTimestampMicros,
  toRecordBatch,
  transformSpecFor,
  type TransformOptions,
} from '../../src/transform/index.js';

const CAPTURES = join(import.meta.dirname, '..', 'fixtures', 'captures');
const page1d = JSON.parse(readFileSync(join(CAPTURES, '72_h1d_filter_run_synthetic.json'), 'utf8')).body
  .results as Record<string, unknown>[];

describe('selection, renaming, constants', () => {
  test('defaults', () => {
    expect(transformSpecFor('runs')).toEqual({
      endpoint: 'runs',
      layout: 'nested',
      dtype: 'float64',
      onShapeChange: 'error',
      strict: false,
    });
  });

  test('select orders and subsets, rename renames, constants are appended', () => {
    const spec = transformSpecFor('lumisection_histograms_1d', {
      select: ['data', 'lumisection', 'run', 'id'],
      rename: { lumisection: 'ls', data: 'hist' },
      constants: { dataset: 'ZeroBias_2018A', version: 3, weight: 0.5, train: true },
    });
    const { batch } = toRecordBatch(page1d, spec);
    expect(batch!.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'hist:List<Float64>',
      'ls:Int32',
      'run:Int32',
      'id:Int64',
      'dataset:Dictionary<Int32, Utf8>',
      'version:Int64',
      'weight:Float64',
      'train:Bool',
    ]);
    expect(batch!.numRows).toBe(page1d.length);
    const last = batch!.get(page1d.length - 1)!.toJSON();
    expect(last).toMatchObject({
      ls: page1d.at(-1)!.lumisection,
      dataset: 'ZeroBias_2018A',
      version: 3n,
      weight: 0.5,
      train: true,
    });
    expect(Array.from(batch!.getChild('train')!.toArray())).toEqual(Array(page1d.length).fill(true));
    expect(arrowSchemaFor(spec).fields.map((f) => `${f.name}:${f.type}`)).toEqual(
      batch!.schema.fields.map((f) => `${f.name}:${f.type}`),
    );
  });

  test('deselected columns are still validated', () => {
    const spec = transformSpecFor('lumisection_histograms_1d', { select: ['id'] });
    const bad = { ...page1d[0], data: [1, 2] };
    const { batch, rejects } = toRecordBatch([page1d[1], bad], spec);
    expect(batch!.numRows).toBe(1);
    expect(rejects[0]).toMatchObject({ field: 'data', reason: 'expected x_bin=100 values, got 2' });
  });

  const BAD: [Endpoint, TransformOptions, string, RegExp][] = [
    [
      'runs',
      { layout: 'cube' as never },
      'E_TRANSFORM_LAYOUT',
      /invalid layout "cube". Valid values are: nested, flat, tensor, array/,
    ],
    ['runs', { dtype: 'float16' as never }, 'E_TRANSFORM_DTYPE', /Valid values are: float64, float32/],
    ['runs', { onShapeChange: 'ignore' as never }, 'E_TRANSFORM_SHAPE_POLICY', /Valid values are: error, new-file/],
    ['runs', { select: [] }, 'E_TRANSFORM_SELECT', /select is empty/],
    [
      'runs',
      { select: ['run'] },
      'E_TRANSFORM_SELECT',
      /unknown column "run" in select for runs. Valid values are: run_number, date/,
    ],
    ['runs', { select: ['date', 'date'] }, 'E_TRANSFORM_SELECT', /selected twice/],
    [
      'lumisections',
      { rename: { id: 'x' } },
      'E_TRANSFORM_RENAME',
      /cannot rename unknown column "id" of lumisections/,
    ],
    ['lumisections', { rename: { run: '' } }, 'E_TRANSFORM_RENAME', /non-empty string/],
    [
      'lumisections',
      { rename: { run: 'ls_number' } },
      'E_TRANSFORM_DUPLICATE',
      /two output columns are named "ls_number"/,
    ],
    ['lumisections', { constants: { date: 'x' } }, 'E_TRANSFORM_DUPLICATE', /named "date"/],
    [
      'lumisections',
      { constants: { label: NaN } },
      'E_TRANSFORM_CONSTANT',
      /constant "label" must be a string, a finite number or a boolean/,
    ],
    ['lumisections', { constants: { label: null as never } }, 'E_TRANSFORM_CONSTANT', /constant "label"/],
    ['nope' as Endpoint, {}, 'E_TRANSFORM_ENDPOINT', /unknown endpoint "nope"/],
  ];

  test.each(BAD)('%s %j -> %s', (endpoint, options, code, message) => {
    let err: unknown;
    try {
      transformSpecFor(endpoint, options);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe(code);
    expect((err as ConfigError).message).toMatch(message);
  });

  test('the tensor schema needs a shape', () => {
    expect(() => arrowSchemaFor(transformSpecFor('lumisection_histograms_2d', { layout: 'tensor' }))).toThrow(
      /needs the histogram shape/,
    );
    const schema = arrowSchemaFor(
      transformSpecFor('lumisection_histograms_1d', { layout: 'tensor', dtype: 'float32' }),
      [100],
    );
    const data = schema.fields.find((f) => f.name === 'data')!;
    expect(String(data.type)).toBe('FixedSizeList[100]<Float32>');
    expect(data.metadata.get('ARROW:extension:metadata')).toBe('{"shape":[100]}');
  });
});

describe('parseTimestampMicros', () => {
  test.each([
    ['2026-11-25T20:27:56.922392Z', Date.UTC(2026, 10, 25, 20, 27, 56) * 1000 + 922392],
    ['2026-11-25T20:27:56Z', Date.UTC(2026, 10, 25, 20, 27, 56) * 1000],
    ['2026-11-25T20:27:56.9Z', Date.UTC(2026, 10, 25, 20, 27, 56) * 1000 + 900000],
    ['2026-11-25T20:27:56.123456789Z', Date.UTC(2026, 10, 25, 20, 27, 56) * 1000 + 123456],
    ['2026-11-25T21:27:56.5+01:00', Date.UTC(2026, 10, 25, 20, 27, 56) * 1000 + 500000],
    ['2026-11-25 20:27:56-0230', Date.UTC(2026, 10, 25, 22, 57, 56) * 1000],
    ['1969-12-31T23:59:59.999999Z', -1],
    ['0050-01-01T00:00:00Z', new Date(0).setUTCFullYear(50, 0, 1) * 1000],
  ])('%s', (text, micros) => {
    expect(parseTimestampMicros(text)).toBe(micros);
  });

  test.each([
    '2026-11-25T20:27:56',
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-25T24:00:00Z',
    '25/11/2026',
    '',
    '2026-11-25T20:27:56.Z',
    '2026-11-25T20:27:56+25:00',
  ])('refuses %j', (text) => {
    expect(parseTimestampMicros(text)).toBeNull();
  });
});
