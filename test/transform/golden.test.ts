/**
 * Golden tests: the real server's captured pages in, the expected columns out, for every layout and
 * dtype. Values are read back through Arrow's own accessors (not our buffers), and compared with the
 * source JSON bit for bit (float32: Math.fround of each value).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DataType, type RecordBatch } from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import type { Endpoint } from '../../src/domain.js';
import { arrowSchemaFor, toRecordBatch, transformSpecFor, type Dtype, type Layout } from '../../src/transform/index.js';

const CAPTURES = join(import.meta.dirname, '..', 'fixtures', 'captures');

function records(file: string): Record<string, unknown>[] {
  const body = JSON.parse(readFileSync(join(CAPTURES, file), 'utf8')).body;
  return Array.isArray(body.results) ? body.results : [body];
}

const HISTOGRAM_PAGES: [string, Endpoint][] = [
  ['70_h1d_list.json', 'lumisection_histograms_1d'],
  ['71_h1d_filter_run_real.json', 'lumisection_histograms_1d'],
  ['72_h1d_filter_run_synthetic.json', 'lumisection_histograms_1d'],
  ['82_h1d_filtered_page2.json', 'lumisection_histograms_1d'],
  ['85_h1d_detail.json', 'lumisection_histograms_1d'],
  ['90_h2d_list.json', 'lumisection_histograms_2d'],
  ['91_h2d_filter_run.json', 'lumisection_histograms_2d'],
  ['92_h2d_filter_run_page2.json', 'lumisection_histograms_2d'],
  ['93_h2d_filter_run_ls_title.json', 'lumisection_histograms_2d'],
  ['94_h2d_filter_title.json', 'lumisection_histograms_2d'],
  ['96_h2d_detail.json', 'lumisection_histograms_2d'],
];

const LAYOUTS: Layout[] = ['nested', 'flat', 'tensor', 'array'];
const DTYPES: Dtype[] = ['float64', 'float32'];

/** Row i of column `name`, through Arrow's accessors, as plain JS. */
function cell(batch: RecordBatch, name: string, i: number): unknown {
  const v = batch.getChild(name)!.get(i);
  return v;
}

/** All values of a `data` cell flattened in storage order (row-major, Y outer). */
function flatValues(batch: RecordBatch, i: number, nested2d: boolean): number[] {
  const v = cell(batch, 'data', i) as {
    toArray(): ArrayLike<number>;
    length: number;
    get(j: number): { toArray(): ArrayLike<number> };
  };
  if (!nested2d) return Array.from(v.toArray());
  const out: number[] = [];
  for (let j = 0; j < v.length; j++) out.push(...Array.from(v.get(j).toArray()));
  return out;
}

function sourceValues(record: Record<string, unknown>, dtype: Dtype): number[] {
  const flat = (record.data as unknown[]).flat(1) as number[];
  return dtype === 'float32' ? flat.map(Math.fround) : flat;
}

describe.each(HISTOGRAM_PAGES)('%s', (file, endpoint) => {
  const recs = records(file);
  const dims = endpoint === 'lumisection_histograms_1d' ? 1 : 2;

  test.each(LAYOUTS.flatMap((l) => DTYPES.map((d) => [l, d] as const)))('layout %s, %s', (layout, dtype) => {
    const spec = transformSpecFor(endpoint, { layout, dtype });
    const { batch, rejects } = toRecordBatch(recs, spec);
    expect(rejects).toEqual([]);
    expect(batch!.numRows).toBe(recs.length);

    const expectedNames = ['id', 'run', 'lumisection', 'title', 'entries', 'x_min', 'x_max', 'x_bin'];
    if (dims === 2) expectedNames.push('y_min', 'y_max', 'y_bin');
    expectedNames.push('source_data_file', 'data');
    expect(batch!.schema.fields.map((f) => f.name)).toEqual(expectedNames);

    const types = Object.fromEntries(batch!.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types.id).toBe('Int64');
    expect(types.run).toBe('Int32');
    expect(types.title).toBe('Dictionary<Int32, Utf8>');
    expect(types.source_data_file).toBe('Int32');
    expect(batch!.schema.fields.find((f) => f.name === 'source_data_file')!.nullable).toBe(true);
    const elem = dtype === 'float32' ? 'Float32' : 'Float64';
    const shape = dims === 1 ? [recs[0].x_bin as number] : [recs[0].y_bin as number, recs[0].x_bin as number];
    const dataField = batch!.schema.fields.find((f) => f.name === 'data')!;
    if (layout === 'tensor') {
      expect(types.data).toBe(`FixedSizeList[${shape.reduce((a, b) => a * b)}]<${elem}>`);
      expect(dataField.metadata.get('ARROW:extension:name')).toBe('arrow.fixed_shape_tensor');
      expect(JSON.parse(dataField.metadata.get('ARROW:extension:metadata')!)).toEqual({ shape });
      const item = (dataField.type as DataType & { children: { name: string; nullable: boolean }[] }).children[0];
      expect([item.name, item.nullable]).toEqual(['item', true]);
    } else if (layout === 'array') {
      expect(types.data).toBe(
        dims === 1
          ? `FixedSizeList[${shape[0]}]<${elem}>`
          : `FixedSizeList[${shape[0]}]<FixedSizeList[${shape[1]}]<${elem}>>`,
      );
      expect(dataField.metadata.size).toBe(0);
    } else if (layout === 'nested' && dims === 2) {
      expect(types.data).toBe(`List<List<${elem}>>`);
    } else {
      expect(types.data).toBe(`List<${elem}>`);
    }

    // The schema announced up front is the schema produced.
    const announced = arrowSchemaFor(spec, layout === 'tensor' || layout === 'array' ? shape : undefined);
    expect(announced.fields.map((f) => [f.name, String(f.type), f.nullable, [...f.metadata]])).toEqual(
      batch!.schema.fields.map((f) => [f.name, String(f.type), f.nullable, [...f.metadata]]),
    );

    recs.forEach((r, i) => {
      expect(cell(batch!, 'id', i)).toBe(BigInt(r.id as number));
      expect(cell(batch!, 'run', i)).toBe(r.run);
      expect(cell(batch!, 'lumisection', i)).toBe(r.lumisection);
      expect(cell(batch!, 'title', i)).toBe(r.title);
      expect(cell(batch!, 'entries', i)).toBe(BigInt(r.entries as number));
      for (const k of dims === 2 ? ['x_min', 'x_max', 'y_min', 'y_max'] : ['x_min', 'x_max'])
        expect(Object.is(cell(batch!, k, i), r[k])).toBe(true);
      expect(cell(batch!, 'x_bin', i)).toBe(r.x_bin);
      if (dims === 2) expect(cell(batch!, 'y_bin', i)).toBe(r.y_bin);
      expect(cell(batch!, 'source_data_file', i)).toBe(r.source_data_file);
      const rowsOfLists = (layout === 'nested' || layout === 'array') && dims === 2;
      const got = flatValues(batch!, i, rowsOfLists);
      const want = sourceValues(r, dtype);
      expect(got.length).toBe(want.length);
      expect(got.every((v, j) => Object.is(v, want[j]))).toBe(true);
      if (rowsOfLists) {
        const v = cell(batch!, 'data', i) as { length: number; get(j: number): { length: number } };
        expect(v.length).toBe(r.y_bin);
        expect(v.get(0).length).toBe(r.x_bin);
      }
    });
  });
});

describe('non-histogram endpoints', () => {
  const micros = (iso: string): bigint => {
    const [whole, frac] = iso.replace('Z', '').split('.');
    return BigInt(Date.parse(whole + 'Z')) * 1000n + BigInt((frac ?? '').padEnd(6, '0').slice(0, 6) || '0');
  };

  test.each(['50_runs.json', '51_runs_page2.json'])('runs %s', (file) => {
    const recs = records(file);
    const { batch, rejects } = toRecordBatch(recs, transformSpecFor('runs'));
    expect(rejects).toEqual([]);
    expect(batch!.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'run_number:Int32',
      'date:Timestamp<MICROSECOND, UTC>',
    ]);
    recs.forEach((r, i) => {
      expect(cell(batch!, 'run_number', i)).toBe(r.run_number);
      expect(batch!.getChild('date')!.data[0].values[i]).toBe(micros(r.date as string));
    });
  });

  test.each(['63_lumisections.json', '64_lumisections_filter_run.json', '67_lumisection_detail.json'])(
    'lumisections %s',
    (file) => {
      const recs = records(file);
      const { batch, rejects } = toRecordBatch(recs, transformSpecFor('lumisections'));
      expect(rejects).toEqual([]);
      expect(batch!.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
        'run:Int32',
        'ls_number:Int32',
        'date:Timestamp<MICROSECOND, UTC>',
      ]);
      recs.forEach((r, i) => {
        expect([cell(batch!, 'run', i), cell(batch!, 'ls_number', i)]).toEqual([r.run, r.ls_number]);
        expect(batch!.getChild('date')!.data[0].values[i]).toBe(micros(r.date as string));
      });
    },
  );

  test.each(['120_histogram_data_files.json', '126_histogram_data_file_detail.json'])(
    'histogram data files %s',
    (file) => {
      const recs = records(file);
      const { batch, rejects } = toRecordBatch(recs, transformSpecFor('histogram_data_files'));
      expect(rejects).toEqual([]);
      expect(batch!.numRows).toBe(recs.length);
      const types = Object.fromEntries(batch!.schema.fields.map((f) => [f.name, String(f.type)]));
      expect(types).toMatchObject({
        id: 'Int32',
        filepath: 'Utf8',
        filesize: 'Float64',
        entries_total: 'Int64',
        percentage_processed: 'Float64',
        contents: 'List<Struct<{granularity:Utf8, data_dimensionality:Int8}>>',
        created: 'Timestamp<MICROSECOND, UTC>',
      });
      recs.forEach((r, i) => {
        expect(cell(batch!, 'id', i)).toBe(r.id);
        expect(cell(batch!, 'filepath', i)).toBe(r.filepath);
        expect(cell(batch!, 'filesize', i)).toBe(r.filesize);
        expect(cell(batch!, 'data_era', i)).toBe(r.data_era);
        expect(cell(batch!, 'lumisection_histograms_2d', i)).toBe(BigInt(r.lumisection_histograms_2d as number));
        const contents = (cell(batch!, 'contents', i) as { toArray(): { toJSON(): unknown }[] })
          .toArray()
          .map((s) => s.toJSON());
        expect(contents).toEqual(r.contents);
        expect(batch!.getChild('modified')!.data[0].values[i]).toBe(micros(r.modified as string));
      });
    },
  );
});
