/**
 * Parquet read back by an independent reader (DuckDB): types as DuckDB sees them, row counts, every
 * bin equal to the source JSON, the Arrow schema stored in the file (with the tensor extension), and
 * the provenance key-value metadata.
 */
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, describe, expect, test } from 'vitest';
import type { Endpoint } from '../../src/domain.js';
import { openSink, type Compression } from '../../src/load/index.js';
import { toRecordBatch, transformSpecFor, type Dtype, type Layout } from '../../src/transform/index.js';
import {
  closeDuckDB,
  parquetColumnTypes,
  parquetKeyValueMetadata,
  queryParquet,
  readParquetRows,
  sqlString,
} from '../helpers/duckdb.js';
import { captureRecords, flatData, listFiles, outputRoot, sameBits } from './fixtures.js';

afterAll(closeDuckDB);

/** Decodes `ARROW:schema` (base64 of an IPC schema message) into an Arrow schema. */
function storedArrowSchema(base64: string) {
  const message = Buffer.from(base64, 'base64');
  const eos = Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
  return tableFromIPC(Buffer.concat([message, eos])).schema;
}

async function writeParquet(
  records: Record<string, unknown>[],
  endpoint: Endpoint,
  layout: Layout,
  dtype: Dtype,
  compression?: Compression,
) {
  const dir = outputRoot();
  const { batch, rejects } = toRecordBatch(records, transformSpecFor(endpoint, { layout, dtype }));
  expect(rejects).toEqual([]);
  const sink = openSink({
    dir,
    format: 'parquet',
    compression,
    metadata: { 'dqm_export.source_url': 'http://127.0.0.1:1/api/x/', 'dqm_export.config_hash': 'abc123' },
  });
  // Two batches: the file must hold both, in order.
  const half = Math.ceil(batch!.numRows / 2);
  await sink.write(batch!.slice(0, half));
  if (batch!.numRows > half) await sink.write(batch!.slice(half));
  const files = await sink.close();
  expect(files).toHaveLength(1);
  expect(listFiles(dir)).toEqual([files[0].path]);
  return { path: join(dir, files[0].path), file: files[0] };
}

const CASES: [string, Endpoint][] = [
  ['72_h1d_filter_run_synthetic.json', 'lumisection_histograms_1d'],
  ['85_h1d_detail.json', 'lumisection_histograms_1d'],
  ['91_h2d_filter_run.json', 'lumisection_histograms_2d'],
  ['96_h2d_detail.json', 'lumisection_histograms_2d'],
];

const EXPECTED_TYPE: Record<string, string> = {
  'nested/float64/1': 'DOUBLE[]',
  'nested/float64/2': 'DOUBLE[][]',
  'nested/float32/1': 'FLOAT[]',
  'nested/float32/2': 'FLOAT[][]',
  'flat/float64/1': 'DOUBLE[]',
  'flat/float64/2': 'DOUBLE[]',
  'flat/float32/1': 'FLOAT[]',
  'flat/float32/2': 'FLOAT[]',
  'tensor/float64/1': 'DOUBLE[]',
  'tensor/float64/2': 'DOUBLE[]',
  'tensor/float32/1': 'FLOAT[]',
  'tensor/float32/2': 'FLOAT[]',
};

describe.each(CASES)('%s', (capture, endpoint) => {
  const records = captureRecords(capture);
  const dims = endpoint === 'lumisection_histograms_1d' ? 1 : 2;

  test.each(
    (['nested', 'flat', 'tensor'] as const).flatMap((l) =>
      (['float64', 'float32'] as const).map((d) => [l, d] as const),
    ),
  )('%s %s', async (layout, dtype) => {
    const { path, file } = await writeParquet(records, endpoint, layout, dtype);
    expect(file.rows).toBe(records.length);

    const types = await parquetColumnTypes(path);
    expect(types.data).toBe(EXPECTED_TYPE[`${layout}/${dtype}/${dims}`]);
    expect(types).toMatchObject({
      id: 'BIGINT',
      run: 'INTEGER',
      lumisection: 'INTEGER',
      title: 'VARCHAR',
      entries: 'BIGINT',
      x_min: 'DOUBLE',
      x_bin: 'INTEGER',
      source_data_file: 'INTEGER',
    });

    const rows = await readParquetRows(path);
    expect(rows).toHaveLength(records.length);
    rows.forEach((row, i) => {
      const r = records[i];
      expect([row.id, row.run, row.lumisection, row.title, row.entries, row.x_bin, row.source_data_file]).toEqual([
        BigInt(r.id as number),
        r.run,
        r.lumisection,
        r.title,
        BigInt(r.entries as number),
        r.x_bin,
        r.source_data_file,
      ]);
      expect(Object.is(row.x_min, r.x_min) && Object.is(row.x_max, r.x_max)).toBe(true);
      const got = layout === 'nested' && dims === 2 ? (row.data as number[][]).flat() : (row.data as number[]);
      if (layout === 'nested' && dims === 2)
        expect((row.data as number[][]).map((line) => line.length)).toEqual(Array(r.y_bin).fill(r.x_bin));
      expect(sameBits(got, flatData(r, dtype))).toBe(true);
    });

    const kv = await parquetKeyValueMetadata(path);
    expect(kv['dqm_export.source_url']).toBe('http://127.0.0.1:1/api/x/');
    expect(kv['dqm_export.config_hash']).toBe('abc123');
    const schema = storedArrowSchema(kv['ARROW:schema']);
    const data = schema.fields.find((f) => f.name === 'data')!;
    if (layout === 'tensor') {
      const shape = dims === 1 ? [records[0].x_bin] : [records[0].y_bin, records[0].x_bin];
      expect(data.metadata.get('ARROW:extension:name')).toBe('arrow.fixed_shape_tensor');
      expect(JSON.parse(data.metadata.get('ARROW:extension:metadata')!)).toEqual({ shape });
      expect(String(data.type)).toBe(
        `FixedSizeList[${(shape as number[]).reduce((a, b) => a * b)}]<${dtype === 'float32' ? 'Float32' : 'Float64'}>`,
      );
      const item = (data.type as unknown as { children: { name: string; nullable: boolean }[] }).children[0];
      expect([item.name, item.nullable]).toEqual(['item', true]);
      // DuckDB sees a plain list of y*x values per row.
      const { rows: lengths } = await queryParquet(
        `SELECT DISTINCT len(data) AS n FROM read_parquet(${sqlString(path)})`,
      );
      expect(lengths).toEqual([{ n: BigInt((shape as number[]).reduce((a, b) => a * b)) }]);
    } else {
      expect(data.metadata.size).toBe(0);
    }
    expect(schema.fields.find((f) => f.name === 'title')!.type.toString()).toBe('Dictionary<Int32, Utf8>');
  });
});

describe('other endpoints and options', () => {
  test('runs and lumisections: timestamps to the microsecond', async () => {
    const runs = captureRecords('50_runs.json');
    const { path } = await writeParquet(runs, 'runs', 'nested', 'float64');
    expect(await parquetColumnTypes(path)).toEqual({ run_number: 'INTEGER', date: 'TIMESTAMP WITH TIME ZONE' });
    const { rows } = await queryParquet(
      `SELECT run_number, epoch_us(date) AS us FROM read_parquet(${sqlString(path)})`,
    );
    rows.forEach((row, i) => {
      const [whole, frac] = (runs[i].date as string).replace('Z', '').split('.');
      expect(row.us).toBe(BigInt(Date.parse(whole + 'Z')) * 1000n + BigInt((frac ?? '0').padEnd(6, '0')));
      expect(row.run_number).toBe(runs[i].run_number);
    });
    const ls = captureRecords('63_lumisections.json');
    const out = await writeParquet(ls, 'lumisections', 'nested', 'float64');
    expect((await readParquetRows(out.path)).map((r) => [r.run, r.ls_number])).toEqual(
      ls.map((r) => [r.run, r.ls_number]),
    );
  });

  test('histogram data files: nested contents survive', async () => {
    const files = captureRecords('120_histogram_data_files.json');
    const { path } = await writeParquet(files, 'histogram_data_files', 'nested', 'float64');
    const types = await parquetColumnTypes(path);
    expect(types.contents).toBe('STRUCT("granularity" VARCHAR, "data_dimensionality" TINYINT)[]');
    const rows = await readParquetRows(path);
    expect(rows.map((r) => [r.id, r.filepath, r.contents])).toEqual(files.map((f) => [f.id, f.filepath, f.contents]));
  });

  test.each(['zstd', 'snappy', 'none'] as const)('compression %s is what the file says', async (compression) => {
    const { path } = await writeParquet(
      captureRecords('93_h2d_filter_run_ls_title.json'),
      'lumisection_histograms_2d',
      'flat',
      'float64',
      compression,
    );
    const { rows } = await queryParquet(`SELECT DISTINCT compression FROM parquet_metadata(${sqlString(path)})`);
    expect(rows.map((r) => r.compression)).toEqual([
      { zstd: 'ZSTD', snappy: 'SNAPPY', none: 'UNCOMPRESSED' }[compression],
    ]);
  });

  test('histogram values are BYTE_STREAM_SPLIT, scalar columns dictionary-encoded', async () => {
    const { path } = await writeParquet(
      captureRecords('91_h2d_filter_run.json'),
      'lumisection_histograms_2d',
      'nested',
      'float64',
    );
    const { rows } = await queryParquet(
      `SELECT path_in_schema AS p, encodings AS e FROM parquet_metadata(${sqlString(path)})`,
    );
    const enc = Object.fromEntries(rows.map((r) => [r.p, r.e]));
    expect(enc['data, list, item, list, item']).toMatch(/BYTE_STREAM_SPLIT/);
    expect(enc.title).toMatch(/RLE_DICTIONARY/);
    // Statistics for the columns readers filter on, none for the bins.
    const { rows: stats } = await queryParquet(
      `SELECT path_in_schema AS p, stats_min AS lo, stats_max AS hi FROM parquet_metadata(${sqlString(path)})`,
    );
    const byPath = Object.fromEntries(stats.map((r) => [r.p, [r.lo, r.hi]]));
    expect(byPath.run).toEqual(['315705', '315705']);
    expect(byPath['data, list, item, list, item']).toEqual([null, null]);
  });
});
