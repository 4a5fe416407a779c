/**
 * The own Parquet writer against its oracle, parquet-wasm with the encoder's settings: for the same
 * batches both FileMetaData are equal once byte offsets and sizes are removed (schema, key-value
 * metadata with `ARROW:schema` compared as Arrow schemas, encodings, statistics, value counts, row
 * groups), both offset indexes cut the chunks into pages at the same rows, and DuckDB and
 * parquet-wasm read the same rows from both files. Every layout x dtype x 1D/2D of the transform,
 * nullable columns with nulls, strings beyond the statistics' 64 bytes, several row groups and
 * pages, a dictionary that falls back to PLAIN.
 */
import {
  Dictionary,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../src/domain.js';
import { toRecordBatch, transformSpecFor, type Layout } from '../../../src/transform/index.js';
import { closeDuckDB, readParquetRows } from '../../helpers/duckdb.js';
import { captureRecords } from '../fixtures.js';
import { normalizedFooter, ownFile, pageRows, planFor, wasmFile } from './own-oracle.js';
import { footerOf, items, rowsViaParquetWasm, saveParquet } from './parquet-files.js';
import { CAPTURES } from './tables.js';

afterAll(() => closeDuckDB());

/** `copies` batches of the captured page in `layout`/`dtype`, each with its own ids. */
function captureBatches(
  capture: string,
  endpoint: Endpoint,
  layout: Layout,
  dtype: 'float32' | 'float64',
  copies: number,
): RecordBatch[] {
  const records = captureRecords(capture);
  return Array.from({ length: copies }, (_, copy) => {
    const shifted = records.map((r) => ({ ...r, id: Number(r.id) + copy * 100_000 }));
    const { batch } = toRecordBatch(shifted, transformSpecFor(endpoint, { layout, dtype }));
    return batch!;
  });
}

/** Writes both files and checks footer, pages and rows; returns the own file. */
async function expectSameAsWasm(
  batches: RecordBatch[],
  compression: 'zstd' | 'none',
  rowGroupBytes: number,
): Promise<Uint8Array> {
  const plan = planFor(batches, compression, rowGroupBytes);
  const reference = await wasmFile(batches, plan);
  const own = ownFile(batches, plan);
  const expected = normalizedFooter(reference);
  const actual = normalizedFooter(own);
  expect(actual.arrowSchema).toEqual(expected.arrowSchema);
  expect(actual.footer).toEqual(expected.footer);
  expect(pageRows(own)).toEqual(pageRows(reference));
  expect(rowsViaParquetWasm(own)).toEqual(rowsViaParquetWasm(reference));
  const ownRows = await readParquetRows(saveParquet(own, 'own.parquet'));
  const wasmRows = await readParquetRows(saveParquet(reference, 'wasm.parquet'));
  expect(ownRows).toEqual(wasmRows);
  return own;
}

describe('own writer = parquet-wasm, transform layouts', () => {
  for (const [capture, endpoint] of CAPTURES)
    for (const layout of ['tensor', 'flat', 'nested', 'array'] as Layout[])
      for (const dtype of ['float32', 'float64'] as const)
        it(`${endpoint} ${layout} ${dtype}`, { timeout: 180_000 }, async () => {
          const batches = captureBatches(capture, endpoint, layout, dtype, 12);
          // Small row groups: several per file, batches split across them.
          await expectSameAsWasm(batches, 'zstd', 200_000);
        });
});

describe('own writer = parquet-wasm, pages and row groups', () => {
  it('several 1 MiB pages per chunk, uncompressed', { timeout: 180_000 }, async () => {
    const [capture, endpoint] = CAPTURES[1];
    // 32 KB per row: ~33 rows per 1 MiB page, 300 rows in one row group.
    const batches = captureBatches(capture, endpoint, 'tensor', 'float64', 6);
    const own = await expectSameAsWasm(batches, 'none', 32 << 20);
    expect(Math.max(...pageRows(own).map((c) => c.firstRows.length))).toBeGreaterThan(1);
  });

  it('several pages and row groups, zstd (the CSV path shape)', { timeout: 180_000 }, async () => {
    const [capture, endpoint] = CAPTURES[1];
    // 16 KB per row: ~65 rows per page, ~260 per 4 MiB row group, 600 rows.
    const own = await expectSameAsWasm(captureBatches(capture, endpoint, 'tensor', 'float32', 12), 'zstd', 4 << 20);
    expect(items(footerOf(own), 4).length).toBeGreaterThan(1);
  });
});

const encoder = new TextEncoder();
const LONG =
  'PixelPhase1/Phase1_MechanicalView/PXBarrel/digi_occupancy_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_';

/** A batch with nulls, long and non-ASCII strings, signed zeros and NaN, and a tensor column. */
function nullsBatch(rows: number, seed: number, nulls: 'some' | 'none' | 'all'): RecordBatch {
  const index = Array.from({ length: rows }, (_, i) => i + seed);
  const tensor = new FixedSizeList(6, new Field('item', new Float32(), true));
  const values = Float32Array.from({ length: rows * 6 }, (_, i) => Math.sin(i + seed) * 100);
  const titles = ['PXLayer_1', 'é ü – 漢字', `${LONG}1`, `${LONG}2`, `${'€'.repeat(30)}z`];
  const nullable = (i: number): boolean => nulls === 'all' || (nulls === 'some' && i % 3 === 1);
  const fields = [
    new Field('id', new Int64(), false),
    new Field('run', new Int32(), false),
    new Field('title', new Dictionary(new Utf8(), new Int32()), false),
    new Field('x_min', new Float64(), false),
    new Field('source_data_file', new Int32(), true),
    new Field('note', new Utf8(), true),
    new Field('data', tensor, false),
  ];
  const zeros = [0, -0, Number.NaN, -1.5, 2.25];
  const children: Data[] = [
    vectorFromArray(
      index.map((i) => BigInt(i) * 1_000_003n),
      new Int64(),
    ).data[0],
    vectorFromArray(
      index.map((i) => 355_000 + (i % 4)),
      new Int32(),
    ).data[0],
    vectorFromArray(
      index.map((i) => titles[i % titles.length]),
      fields[2].type,
    ).data[0],
    vectorFromArray(
      index.map((i) => zeros[i % zeros.length] * (seed % 2 ? 1 : -1)),
      new Float64(),
    ).data[0],
    vectorFromArray(
      index.map((i) => (nullable(i) ? null : i % 17)),
      new Int32(),
    ).data[0],
    vectorFromArray(
      index.map((i) => (nullable(i + 1) ? null : titles[(i * 7) % titles.length])),
      new Utf8(),
    ).data[0],
    makeData({
      type: tensor,
      length: rows,
      nullCount: 0,
      child: makeData({ type: new Float32(), length: rows * 6, data: values }),
    }),
  ];
  const schema = new Schema(fields);
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
}

describe('own writer = parquet-wasm, scalar columns', () => {
  it('nulls, long and non-ASCII strings, signed zeros and NaN, several row groups', { timeout: 180_000 }, async () => {
    const batches = [
      nullsBatch(50, 0, 'some'),
      nullsBatch(30, 50, 'none'),
      nullsBatch(40, 80, 'all'),
      nullsBatch(25, 120, 'some'),
    ];
    const own = await expectSameAsWasm(batches, 'zstd', 4_000);
    expect(encoder.encode(LONG).byteLength).toBeGreaterThan(64);
    expect(own.byteLength).toBeGreaterThan(0);
  });

  it(
    'int64s beyond ±2^53, extreme int32s, NaN payloads, infinities: same dictionaries and statistics',
    {
      timeout: 180_000,
    },
    async () => {
      const ints = [
        2n ** 60n,
        -(2n ** 60n),
        -1n,
        2n ** 53n + 1n,
        2n ** 53n,
        -(2n ** 53n),
        0n,
        2n ** 63n - 1n,
        -(2n ** 63n),
      ];
      const int32s = [-5, 0, 2_147_483_647, -2_147_483_648, 7];
      // Doubles by their bits (high, low words): two NaN payloads and both zeros are four different
      // dictionary entries; NaN stays out of the statistics.
      const doubles: [number, number][] = [
        [0x7ff80000, 0],
        [0x80000000, 0],
        [0, 0],
        [0x7ff00000, 0],
        [0xfff00000, 0],
        [0x7fefffff, 0xffffffff],
        [0, 1],
        [0x7ff80000, 1],
        [0xc0040000, 0],
      ];
      const tensor = new FixedSizeList(3, new Field('item', new Float32(), true));
      const batch = (rows: number, seed: number): RecordBatch => {
        const fields = [
          new Field('id', new Int64(), false),
          new Field('run', new Int32(), false),
          new Field('x', new Float64(), false),
          new Field('data', tensor, false),
        ];
        const id = new BigInt64Array(rows).map((_, i) => ints[(i + seed) % ints.length]!);
        const run = new Int32Array(rows).map((_, i) => int32s[(i * 3 + seed) % int32s.length]!);
        const x = new Float64Array(rows);
        const view = new DataView(x.buffer);
        for (let i = 0; i < rows; i++) {
          const [high, low] = doubles[(i + 2 * seed) % doubles.length]!;
          view.setUint32(i * 8, low, true);
          view.setUint32(i * 8 + 4, high, true);
        }
        const children: Data[] = [
          makeData({ type: new Int64(), length: rows, nullCount: 0, data: id }),
          makeData({ type: new Int32(), length: rows, nullCount: 0, data: run }),
          makeData({ type: new Float64(), length: rows, nullCount: 0, data: x }),
          makeData({
            type: tensor,
            length: rows,
            nullCount: 0,
            child: makeData({ type: new Float32(), length: rows * 3, data: new Float32Array(rows * 3).fill(1.5) }),
          }),
        ];
        return new RecordBatch(
          new Schema(fields),
          makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }),
        );
      };
      await expectSameAsWasm([batch(40, 0), batch(33, 5), batch(50, 11)], 'zstd', 4_000);
    },
  );

  it('a dictionary past 1 MiB falls back to PLAIN, pages of 20,000 rows', { timeout: 300_000 }, async () => {
    const batches = [nullsBatch(70_000, 0, 'some'), nullsBatch(70_000, 70_000, 'none')];
    await expectSameAsWasm(batches, 'zstd', 256 << 20);
  });
});
