/**
 * Atomicity and rollover: nothing is visible before close, an abort or an interruption leaves no file
 * that looks complete, `cleanTemporaries` removes the leftovers, files roll over at the maximum size,
 * a schema change is an error or a new file, and the manifest and `_SUCCESS` are written atomically.
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { DqmExportError, InputError } from '../../src/errors.js';
import { removeFile, writeFileAtomic } from '../../src/load/atomic.js';
import { buildManifest, provenanceMetadata, writeManifest, writeSuccessMarker } from '../../src/dataset/manifest.js';
import { cleanTemporaries, openSink, type OutputFormat } from '../../src/load/index.js';
import { clearSecrets, registerSecret } from '../../src/secrets.js';
import { toRecordBatch, toRecordBatches, transformSpecFor } from '../../src/transform/index.js';
import { closeDuckDB, readParquetRows, sqlString, queryParquet } from '../helpers/duckdb.js';
import { captureRecords, listFiles, outputRoot } from './fixtures.js';

afterAll(closeDuckDB);

const FORMATS: OutputFormat[] = ['parquet', 'arrow', 'arrows'];
const h2d = captureRecords('91_h2d_filter_run.json');
const batch2d = toRecordBatch(h2d, transformSpecFor('lumisection_histograms_2d', { layout: 'flat' })).batch!;

describe.each(FORMATS)('%s', (format) => {
  test('nothing visible before close; abort leaves nothing at all', async () => {
    const dir = outputRoot();
    const sink = openSink({ dir, format, maxFileBytes: 400_000 });
    for (let i = 0; i < 4; i++) await sink.write(batch2d);
    // Files may be in progress or finished, but only under dot-prefixed temporary names.
    expect(listFiles(dir).length).toBeGreaterThan(0);
    expect(listFiles(dir).every((f) => f.startsWith('.tmp-part-0000'))).toBe(true);
    await sink.abort();
    expect(listFiles(dir)).toEqual([]);
  });

  test('an interrupted run leaves only temporaries, and cleanTemporaries removes them', async () => {
    const dir = outputRoot();
    mkdirSync(join(dir, 'run=1'));
    writeFileSync(join(dir, 'run=1', '.tmp-part-00000.parquet-deadbeef'), 'partial');
    writeFileSync(join(dir, 'keep.txt'), 'not ours');
    const sink = openSink({ dir, format });
    await sink.write(batch2d); // never closed: the process "dies" here
    // The encoder worker opens its temporary when its 'open' message arrives, which can be after
    // write() resolved (it only queues the batch); a process that died would have had it on disk.
    await vi.waitFor(() => expect(listFiles(dir).filter((f) => f.startsWith('.tmp-part-00000'))).toHaveLength(1), {
      timeout: 60_000,
      interval: 20,
    });
    const visible = listFiles(dir).filter((f) => !f.split('/').pop()!.startsWith('.'));
    expect(visible).toEqual(['keep.txt']);
    const removed = await cleanTemporaries(dir);
    expect(removed).toContain('run=1/.tmp-part-00000.parquet-deadbeef');
    expect(removed.length).toBe(2);
    expect(listFiles(dir)).toEqual(['keep.txt']);
    await sink.abort();
  });

  test('rollover at the maximum file size, rows in order across files', async () => {
    const dir = outputRoot();
    const max = format === 'parquet' ? 150_000 : 1_500_000;
    const sink = openSink({ dir, format, maxFileBytes: max, rowGroupBytes: 300_000 });
    const slices = 10;
    const per = Math.ceil(batch2d.numRows / slices);
    for (let round = 0; round < 3; round++)
      for (let i = 0; i < batch2d.numRows; i += per)
        await sink.write(batch2d.slice(i, Math.min(i + per, batch2d.numRows)));
    const files = await sink.close();
    expect(files.length).toBeGreaterThan(2);
    expect(files.map((f) => f.path)).toEqual(files.map((_, i) => `part-${String(i).padStart(5, '0')}.${format}`));
    expect(listFiles(dir)).toEqual(files.map((f) => f.path));
    expect(files.reduce((n, f) => n + f.rows, 0)).toBe(3 * batch2d.numRows);
    for (const f of files) {
      expect(f.bytes).toBeLessThanOrEqual(max * 1.1);
      expect(f.bytes).toBe(readFileSync(join(dir, f.path)).length);
    }
    if (format === 'parquet') {
      const { rows } = await queryParquet(
        `SELECT id FROM read_parquet([${files.map((f) => sqlString(join(dir, f.path))).join(', ')}])`,
      );
      expect(rows.map((r) => Number(r.id))).toEqual([...h2d, ...h2d, ...h2d].map((r) => r.id));
    }
  });

  test('a schema change is an error, or a new file by option', async () => {
    const small = (id: number, y: number, x: number) => ({
      ...h2d[0],
      id,
      y_bin: y,
      x_bin: x,
      data: Array.from({ length: y }, () => Array(x).fill(1.5)),
    });
    const spec = transformSpecFor('lumisection_histograms_2d', { layout: 'tensor', onShapeChange: 'new-file' });
    const { batches } = toRecordBatches([small(1, 2, 3), small(2, 3, 2)], spec);
    const strict = openSink({ dir: outputRoot(), format });
    await strict.write(batches[0]);
    await expect(strict.write(batches[1])).rejects.toThrow(InputError);
    await expect(strict.write(batches[1])).rejects.toThrow(
      /data: FixedSizeList\[6\]<Float64> \{"shape":\[2,3\]\} became data: FixedSizeList\[6\]<Float64> \{"shape":\[3,2\]\}/,
    );
    await strict.abort();
    const dir = outputRoot();
    const lenient = openSink({ dir, format, onSchemaChange: 'new-file' });
    for (const b of batches) await lenient.write(b);
    const files = await lenient.close();
    expect(
      files.map((f) => [f.rows, f.schema.fields.find((x) => x.name === 'data')!.metadata!['ARROW:extension:metadata']]),
    ).toEqual([
      [1, '{"shape":[2,3]}'],
      [1, '{"shape":[3,2]}'],
    ]);
  });
});

test('a sink without batches writes no file', async () => {
  const dir = outputRoot();
  expect(await openSink({ dir, format: 'parquet' }).close()).toEqual([]);
  expect(listFiles(dir)).toEqual([]);
});

test('bad options are ConfigErrors naming the field', () => {
  const dir = outputRoot();
  expect(() => openSink({ dir, format: 'csv' as OutputFormat })).toThrow(
    /unknown format "csv". Valid values are: parquet, arrow, arrows/,
  );
  expect(() => openSink({ dir, format: 'parquet', compression: 'lz4' as never })).toThrow(
    /Valid values are: zstd, snappy, none/,
  );
  expect(() => openSink({ dir, format: 'parquet', filePrefix: '../x' })).toThrow(/filePrefix "..\/x"/);
  expect(() => openSink({ dir, format: 'parquet', maxFileBytes: 0 })).toThrow(/maxFileBytes must be a positive number/);
});

test('manifest and _SUCCESS: atomic, token-free, complete', async () => {
  const dir = outputRoot();
  registerSecret('s3cr3t-token-value');
  try {
    const provenance = {
      sourceUrl:
        'http://user:pw@127.0.0.1:8000/api/lumisection_histograms_2d/?token=s3cr3t-token-value&lumisection__run__run_number=315705',
      endpoint: 'lumisection_histograms_2d',
      filters: { lumisection__run__run_number: 315705 },
      configHash: 'cafe01',
      startedAt: '2026-11-25T20:00:00.000Z',
    };
    const metadata = provenanceMetadata(provenance);
    expect(JSON.stringify(metadata)).not.toContain('s3cr3t');
    expect(JSON.stringify(metadata)).not.toContain('pw@');
    const sink = openSink({ dir, format: 'parquet', filePrefix: 'part-s03', metadata });
    await sink.write(batch2d);
    const files = await sink.close();
    const manifest = buildManifest({ provenance, files, timings: { total: 1.5 }, rejects: { count: 0 } });
    await writeManifest(dir, manifest);
    await writeSuccessMarker(dir);
    // Under .dqm-export/: a reader given the directory sees the data file only.
    expect(listFiles(dir).sort()).toEqual([
      '.dqm-export/_SUCCESS',
      '.dqm-export/manifest.json',
      'part-s03-00000.parquet',
    ]);
    const text = readFileSync(join(dir, '.dqm-export', 'manifest.json'), 'utf8');
    expect(text).not.toContain('s3cr3t');
    const read = JSON.parse(text);
    expect(read).toMatchObject({
      manifestVersion: 1,
      tool: { name: 'dqm-export' },
      configHash: 'cafe01',
      rows: h2d.length,
      timings: { total: 1.5 },
    });
    expect(read.source.filters).toEqual({ lumisection__run__run_number: 315705 });
    expect(read.files[0]).toMatchObject({ path: 'part-s03-00000.parquet', rows: h2d.length, partition: {} });
    expect(read.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    const { createHash } = await import('node:crypto');
    expect(read.files[0].sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(dir, 'part-s03-00000.parquet')))
        .digest('hex'),
    );
    expect(read.files[0].schema.fields.map((f: { name: string }) => f.name)).toContain('data');
    expect(read.files[0].schema.metadata['dqm_export.config_hash']).toBe('cafe01');
    expect(readFileSync(join(dir, '.dqm-export', '_SUCCESS'), 'utf8')).toBe('');
    expect((await readParquetRows(join(dir, 'part-s03-00000.parquet'))).length).toBe(h2d.length);
  } finally {
    clearSecrets();
  }
});

describe('writeFileAtomic (blocking steps after the directory exists)', () => {
  test('replaces a file whole and leaves no temporary', async () => {
    const dir = join(outputRoot(), 'deep', 'er');
    const file = join(dir, 'plan.json');
    await writeFileAtomic(file, 'first\n');
    await writeFileAtomic(file, new TextEncoder().encode('second\n'));
    expect(readFileSync(file, 'utf8')).toBe('second\n');
    expect(readdirSync(dir)).toEqual(['plan.json']);
  });

  test('a rename that fails removes the temporary and names the path', async () => {
    const dir = outputRoot();
    const target = join(dir, 'taken');
    mkdirSync(join(target, 'child'), { recursive: true }); // a non-empty directory: rename(2) refuses
    const err = await writeFileAtomic(target, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DqmExportError);
    expect((err as DqmExportError).message).toContain(target);
    expect(readdirSync(dir)).toEqual(['taken']);
  });
});

describe('removeFile', () => {
  test('removes a file, ignores one already gone, and names what it cannot remove', async () => {
    const dir = outputRoot();
    const file = join(dir, 'rejects.jsonl');
    writeFileSync(file, '{}\n');
    await removeFile(file);
    expect(readdirSync(dir)).toEqual([]);
    await removeFile(file);
    mkdirSync(join(dir, 'sub'));
    const err = await removeFile(join(dir, 'sub')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DqmExportError);
    expect((err as DqmExportError).message).toContain(join(dir, 'sub'));
  });
});
