/**
 * Hive partitioning: values are encoded so none can leave the output root; the partitioned writer
 * routes rows, drops the partition columns, and DuckDB reads the dataset back with the partitions.
 */
import { resolve, sep } from 'node:path';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  DEFAULT_PARTITION,
  openPartitionedSink,
  partitionPath,
  partitionSegment,
  takeRows,
} from '../../src/load/index.js';
import { toRecordBatch, transformSpecFor } from '../../src/transform/index.js';
import { closeDuckDB, queryParquet, sqlString } from '../helpers/duckdb.js';
import { captureRecords, flatData, listFiles, outputRoot, sameBits } from './fixtures.js';

afterAll(closeDuckDB);

describe('partitionPath', () => {
  test.each([
    [{ run: '315705' }, 'run=315705'],
    [{ run: '315705', title: 'PXLayer_1' }, 'run=315705/title=PXLayer_1'],
    [{ title: 'a/b' }, 'title=a%2Fb'],
    [{ title: '..' }, 'title=%2E.'],
    [{ title: '.' }, 'title=%2E'],
    [{ title: '.hidden' }, 'title=%2Ehidden'],
    [{ title: '../../etc/passwd' }, 'title=%2E.%2F..%2Fetc%2Fpasswd'],
    [{ title: 'a\\b' }, 'title=a%5Cb'],
    [{ title: 'nul\u0000byte' }, 'title=nul%00byte'],
    [{ title: 'x=y%z' }, 'title=x%3Dy%25z'],
    [{ title: 'glob*?[]' }, 'title=glob%2A%3F%5B%5D'],
    [{ title: 'ünï cödé' }, 'title=%C3%BCn%C3%AF%20c%C3%B6d%C3%A9'],
    [{ title: '' }, `title=${DEFAULT_PARTITION}`],
    [{ 'a/b': '1' }, 'a%2Fb=1'],
  ])('%j -> %s', (values, expected) => {
    const path = partitionPath(values);
    expect(path).toBe(expected);
    const root = resolve('/out/root');
    const full = resolve(root, ...path.split('/'));
    expect(full.startsWith(root + sep)).toBe(true);
    expect(
      path
        .split('/')
        .every((seg) => seg.length > 0 && !seg.startsWith('.') && !seg.includes('\u0000') && !seg.includes('\\')),
    ).toBe(true);
    expect(path.split('/')).toHaveLength(Object.keys(values).length);
    // The encoding is reversible: readers decode what we encoded.
    const decoded = Object.fromEntries(path.split('/').map((seg) => seg.split('=').map(decodeURIComponent)));
    if (!Object.values(values).includes('')) expect(decoded).toEqual(values);
  });

  test('too long for a directory name is an InputError', () => {
    expect(() => partitionSegment('title', 'x'.repeat(300))).toThrow(/too long for a directory name/);
  });
});

describe('partitioned writer', () => {
  const records = [...captureRecords('91_h2d_filter_run.json'), ...captureRecords('92_h2d_filter_run_page2.json')];
  const spec = transformSpecFor('lumisection_histograms_2d', { layout: 'tensor', constants: { label: 'a/../b' } });
  const batch = toRecordBatch(records, spec).batch!;

  test('routes rows by run and title, drops those columns, DuckDB reads them back', async () => {
    const dir = outputRoot();
    const sink = openPartitionedSink({
      dir,
      format: 'parquet',
      partitionBy: ['title', 'label'],
      filePrefix: 'part-abc',
    });
    // Interleaved titles: rows of a partition are not contiguous in a batch.
    await sink.write(batch.slice(0, 33));
    await sink.write(batch.slice(33));
    const files = await sink.close();
    expect(files.map((f) => [f.path, f.partition])).toEqual([
      [
        'title=clusterposition_zphi_ontrack_PXLayer_1/label=a%2F..%2Fb/part-abc-00000.parquet',
        { title: 'clusterposition_zphi_ontrack_PXLayer_1', label: 'a/../b' },
      ],
      [
        'title=clusterposition_zphi_ontrack_PXLayer_2/label=a%2F..%2Fb/part-abc-00000.parquet',
        { title: 'clusterposition_zphi_ontrack_PXLayer_2', label: 'a/../b' },
      ],
    ]);
    expect(listFiles(dir)).toEqual(files.map((f) => f.path));
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(records.length);
    for (const f of files) expect(f.schema.fields.map((x) => x.name)).not.toContain('title');

    const { rows } = await queryParquet(
      `SELECT id, title, label, data FROM read_parquet(${sqlString(join(dir, '**', '*.parquet'))}, hive_partitioning = true) ORDER BY id`,
    );
    const byId = new Map(records.map((r) => [r.id, r]));
    expect(rows).toHaveLength(records.length);
    for (const row of rows) {
      const source = byId.get(Number(row.id))!;
      expect(row.title).toBe(source.title);
      expect(row.label).toBe('a/../b');
      expect(sameBits(row.data as number[], flatData(source))).toBe(true);
    }
  });

  test('at most maxOpenPartitions open files: evicted partitions continue in a new file', async () => {
    const dir = outputRoot();
    const sink = openPartitionedSink({ dir, format: 'arrow', partitionBy: ['lumisection'], maxOpenPartitions: 2 });
    for (let i = 0; i < batch.numRows; i += 10) await sink.write(batch.slice(i, i + 10));
    for (let i = 0; i < batch.numRows; i += 10) await sink.write(batch.slice(i, i + 10));
    const files = await sink.close();
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(2 * records.length);
    const lumisections = new Set(records.map((r) => r.lumisection));
    expect(new Set(files.map((f) => f.partition.lumisection))).toEqual(new Set([...lumisections].map(String)));
    // Every partition was evicted and reopened: its second pass went to part-00001.
    expect(files.filter((f) => f.path.endsWith('part-00001.arrow')).length).toBe(lumisections.size);
    expect(listFiles(dir)).toEqual(files.map((f) => f.path).sort());
  });

  test('abort removes every partition file, including evicted ones', async () => {
    const dir = outputRoot();
    const sink = openPartitionedSink({ dir, format: 'parquet', partitionBy: ['lumisection'], maxOpenPartitions: 1 });
    await sink.write(batch.slice(0, 8));
    expect(listFiles(dir).length).toBeGreaterThan(1);
    await sink.abort();
    expect(listFiles(dir)).toEqual([]);
  });

  test('bad partition columns are ConfigErrors', async () => {
    const dir = outputRoot();
    await expect(openPartitionedSink({ dir, format: 'arrow', partitionBy: ['nope'] }).write(batch)).rejects.toThrow(
      /no column "nope" to partition by/,
    );
    await expect(openPartitionedSink({ dir, format: 'arrow', partitionBy: ['data'] }).write(batch)).rejects.toThrow(
      /cannot partition by "data" of type FixedSizeList/,
    );
    expect(() => openPartitionedSink({ dir, format: 'arrow', partitionBy: [] })).toThrow(/partitionBy is empty/);
  });

  test('takeRows keeps every column type intact', () => {
    const h1 = toRecordBatch(
      captureRecords('72_h1d_filter_run_synthetic.json'),
      transformSpecFor('lumisection_histograms_1d', { constants: { ok: true } }),
    ).batch!;
    const nested = toRecordBatch(records, transformSpecFor('lumisection_histograms_2d')).batch!;
    const files = toRecordBatch(
      captureRecords('120_histogram_data_files.json'),
      transformSpecFor('histogram_data_files'),
    ).batch!;
    for (const b of [h1, nested, files, batch]) {
      const rows = Int32Array.from([2, 0, 1, 1]);
      const sliced = b.slice(1);
      const taken = takeRows(sliced, rows);
      expect(taken.numRows).toBe(4);
      for (const [k, src] of [2, 0, 1, 1].entries())
        expect(JSON.stringify(taken.get(k)!.toJSON(), (_, v) => (typeof v === 'bigint' ? String(v) : v))).toBe(
          JSON.stringify(sliced.get(src)!.toJSON(), (_, v) => (typeof v === 'bigint' ? String(v) : v)),
        );
    }
  });
});
