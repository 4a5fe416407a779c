/**
 * The page recompressor: an UNCOMPRESSED file written by parquet-wasm, recompressed with native
 * zstd, fed in any chunking, gives one and the same file, which DuckDB and parquet-wasm (decoded
 * by apache-arrow) read as the same rows as parquet-wasm's own zstd file, for every layout, 1D and
 * 2D, with nulls, dictionaries, several row groups, many pages and column indexes, and with no rows.
 * Its footer and offset indexes point at the pages where they now are (walked and decompressed
 * here; DuckDB's parquet_metadata agrees). Streams it cannot rewrite fail with a clear error.
 */
import { createRequire } from 'node:module';
import type { Table } from 'apache-arrow';
import { afterAll, describe, expect, test } from 'vitest';
import { loadNativeZstd, type NativeZstd } from '../../../src/load/parquet/native-zstd.js';
import { PageRecompressor, RecompressError } from '../../../src/load/parquet/page-recompressor.js';
import { decodeStruct } from '../../../src/load/parquet/thrift-compact.js';
import { closeDuckDB, queryParquet, readParquetRows, sqlString } from '../../helpers/duckdb.js';
import {
  footerOf,
  int,
  items,
  rowsViaParquetWasm,
  saveParquet,
  writeParquetBytes,
  type WriteOptions,
} from './parquet-files.js';
import { CAPTURES, histogramTable, LAYOUTS, nullsTable } from './tables.js';

afterAll(closeDuckDB);

const loaded = loadNativeZstd(import.meta.url);
if (!('zstd' in loaded)) throw new Error(`no native zstd in the test environment: ${loaded.error}`);
const zstd: NativeZstd = loaded.zstd;
const { decompress } = createRequire(import.meta.url)('zstd-napi') as { decompress(b: Uint8Array): Uint8Array };

/** Recompresses `input` fed in chunks of the sizes `sizes` yields, in turn. */
function recompress(input: Uint8Array, sizes: () => number): Buffer {
  return recompressCounting(input, sizes).file;
}

/** `recompress`, with the row count `end()` gives (what the worker reports instead of reading the file back). */
function recompressCounting(input: Uint8Array, sizes: () => number): { file: Buffer; rows: number } {
  const out: Buffer[] = [];
  // The sink's bytes may be views of reused buffers: copied at once, as the worker writes them.
  const recompressor = new PageRecompressor(zstd.compress, (bytes) => out.push(Buffer.from(bytes)));
  for (let at = 0; at < input.byteLength;) {
    const size = Math.max(1, sizes());
    recompressor.push(input.subarray(at, at + size));
    at += size;
  }
  const rows = recompressor.end();
  return { file: Buffer.concat(out), rows };
}

/** Sizes from a seeded generator, 1 byte to 64 KiB, biased small. */
function randomSizes(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return 1 + (a % (a & 1 ? 97 : 65536));
  };
}

/**
 * Walks every page of every column chunk from the footer's offsets: each header decodes, its body
 * decompresses to its uncompressed size, the chunk ends where its size says, and each offset index
 * entry names a data page start with its size (header included). Returns the data page starts.
 */
function checkOffsets(bytes: Uint8Array): number[] {
  const starts: number[] = [];
  for (const group of items(footerOf(bytes), 4)) {
    const chunks = items(group, 1);
    let groupBytes = 0;
    for (const [c, chunk] of chunks.entries()) {
      const meta = chunk.fields.find((f) => f.id === 3)!.value as typeof chunk;
      expect(int(meta, 4)).toBe(6); // ZSTD
      const start = int(meta, 11) ?? int(meta, 9)!;
      if (c === 0) expect(int(group, 5)).toBe(start);
      const end = start + int(meta, 7)!;
      groupBytes += int(meta, 7)!;
      const pages = new Map<number, number>();
      for (let at = start; at < end;) {
        const { struct: header, end: bodyAt } = decodeStruct(bytes, at);
        const body = bytes.subarray(bodyAt, bodyAt + int(header, 3)!);
        expect(decompress(body).byteLength).toBe(int(header, 2));
        if (int(header, 1) === 0) starts.push(at);
        pages.set(at, bodyAt + body.byteLength - at);
        at = bodyAt + body.byteLength;
        if (at >= end) expect(at).toBe(end);
      }
      expect(pages.has(int(meta, 9)!)).toBe(true);
      const offsetIndexAt = int(chunk, 4);
      if (offsetIndexAt !== undefined) {
        const { struct: index, end: indexEnd } = decodeStruct(bytes, offsetIndexAt);
        expect(indexEnd - offsetIndexAt).toBe(int(chunk, 5));
        for (const location of items(index, 1)) expect(pages.get(int(location, 1)!)).toBe(int(location, 2));
      }
    }
    expect(int(group, 6)).toBe(groupBytes);
  }
  return starts;
}

/** What DuckDB's parquet_metadata says of every column chunk. */
async function duckMetadata(path: string) {
  const { rows } = await queryParquet(
    `SELECT row_group_id, column_id, compression, data_page_offset, dictionary_page_offset, total_compressed_size
     FROM parquet_metadata(${sqlString(path)}) ORDER BY row_group_id, column_id`,
  );
  return rows;
}

interface Case {
  name: string;
  table: Table;
  options: Omit<WriteOptions, 'compression'>;
}

const CASES: Case[] = [
  ...CAPTURES.flatMap(([capture, endpoint]) =>
    LAYOUTS.map((layout) => ({
      name: `${capture} ${layout}`,
      table: histogramTable(capture, endpoint, layout),
      options: { rowGroupRows: 20, pageStatistics: layout === 'flat' },
    })),
  ),
  {
    name: 'nulls, dictionaries, several row groups, many pages, column indexes',
    table: nullsTable(6_000),
    options: { rowGroupRows: 2_500, pageBytes: 2_048, pageStatistics: true },
  },
];

describe.each(CASES)('$name', ({ table, options }) => {
  const plain = writeParquetBytes(table, { ...options, compression: 'none' });
  const wasmZstd = writeParquetBytes(table, { ...options, compression: 'zstd' });

  test('any chunking gives the same file, with offsets that point at its pages', () => {
    const whole = recompress(plain, () => plain.byteLength);
    for (const seed of [1, 2, 3]) expect(recompress(plain, randomSizes(seed)).equals(whole)).toBe(true);
    if (plain.byteLength < 300_000) expect(recompress(plain, () => 1).equals(whole)).toBe(true);
    expect(checkOffsets(whole).length).toBeGreaterThan(0);
    expect(recompressCounting(plain, randomSizes(5)).rows).toBe(table.numRows);
    // zstd-napi is the same zstd at the same level as parquet-wasm's: the very same file.
    if (zstd.name === 'zstd-napi') expect(whole.equals(Buffer.from(wasmZstd))).toBe(true);
    else expect(Math.abs(whole.byteLength / wasmZstd.byteLength - 1)).toBeLessThan(0.02);
  });

  test('DuckDB and parquet-wasm + apache-arrow read the rows of the wasm-zstd file', async () => {
    const native = saveParquet(recompress(plain, randomSizes(9)), 'native.parquet');
    const reference = saveParquet(wasmZstd, 'wasm.parquet');
    const rows = await readParquetRows(native);
    expect(rows).toHaveLength(table.numRows);
    expect(rows).toEqual(await readParquetRows(reference));
    expect(rowsViaParquetWasm(recompress(plain, randomSizes(4)))).toEqual(rowsViaParquetWasm(wasmZstd));
    const metadata = await duckMetadata(native);
    expect(metadata.every((m) => m.compression === 'ZSTD')).toBe(true);
    const chunks = items(footerOf(recompress(plain, () => 1 << 20)), 4).flatMap((g) => items(g, 1));
    expect(metadata.map((m) => [m.data_page_offset, m.total_compressed_size])).toEqual(
      chunks.map((c) => {
        const meta = c.fields.find((f) => f.id === 3)!.value as typeof c;
        return [BigInt(int(meta, 9)!), BigInt(int(meta, 7)!)];
      }),
    );
  });
});

test('a file without rows', async () => {
  const empty = nullsTable(0);
  const plain = writeParquetBytes(empty, { compression: 'none' });
  const { file, rows: footerRows } = recompressCounting(plain, () => 1);
  expect(footerRows).toBe(0);
  expect(file.equals(Buffer.from(recompress(plain, () => 1 << 20)))).toBe(true);
  const rows = await readParquetRows(saveParquet(file, 'empty.parquet'));
  expect(rows).toEqual([]);
  expect(rowsViaParquetWasm(file)).toEqual([]);
});

describe('streams it cannot rewrite fail with a clear error', () => {
  const table = nullsTable(500);

  test.each([
    ['data pages v2', { pagesV2: true }, /page type 3 at byte \d+ \(only data pages v1 and dictionary pages\)/],
    ['a column compressed already', { zstdColumn: 'id' }, /the page at byte \d+ is compressed already/],
  ] as const)('%s', (_, options, message) => {
    const bytes = writeParquetBytes(table, { compression: 'none', ...options });
    expect(() => recompress(bytes, () => 4096)).toThrow(RecompressError);
    expect(() => recompress(bytes, () => 4096)).toThrow(message);
  });

  test('a stream cut inside a page, or that is not Parquet, or fed after its end', () => {
    const bytes = writeParquetBytes(table, { compression: 'none' });
    expect(() => recompress(bytes.subarray(0, 200), () => 50)).toThrow(/the stream ended inside a page/);
    expect(() => recompress(bytes.subarray(0, 2), () => 1)).toThrow(/the stream ended inside the file magic/);
    const firstPage = decodeStruct(bytes, 4);
    const afterFirstPage = firstPage.end + (firstPage.struct.fields.find((f) => f.id === 3)!.value as number);
    expect(() => recompress(bytes.subarray(0, afterFirstPage), () => 4096)).toThrow(
      /the stream ended without a footer/,
    );
    expect(() => recompress(bytes.subarray(0, bytes.byteLength - 3), () => 4096)).toThrow(
      /recompressing Parquet pages: the file does not end with PAR1/,
    );
    expect(() => recompress(new TextEncoder().encode('id,run\n1,2\n'), () => 4)).toThrow(
      /the stream does not start with PAR1/,
    );
    const recompressor = new PageRecompressor(zstd.compress, () => {});
    recompressor.push(bytes);
    recompressor.end();
    expect(() => recompressor.push(bytes)).toThrow(/input after the end/);
  });
});
