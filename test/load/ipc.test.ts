/**
 * Arrow IPC file (.arrow) and stream (.arrows) read back with apache-arrow's readers: types (the
 * tensor extension survives as is), rows and bins equal to the source, one growing dictionary per
 * file (delta batches, never a replacement), provenance in the schema metadata.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchFileReader, RecordBatchStreamReader, type Table, tableFromIPC } from 'apache-arrow';
import { describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { openSink } from '../../src/load/index.js';
import { toRecordBatch, transformSpecFor } from '../../src/transform/index.js';
import { captureRecords, flatData, outputRoot, sameBits } from './fixtures.js';

const FORMATS = ['arrow', 'arrows'] as const;

function readBack(path: string, format: 'arrow' | 'arrows'): Table {
  const bytes = readFileSync(path);
  // The reader for the declared format must accept it (not just the auto-detecting tableFromIPC).
  if (format === 'arrow') {
    expect(bytes.subarray(0, 6).toString()).toBe('ARROW1');
    expect(RecordBatchFileReader.from(bytes).open().numRecordBatches).toBeGreaterThan(0);
  } else {
    expect(RecordBatchStreamReader.from(bytes).open().schema).toBeTruthy();
  }
  return tableFromIPC(bytes);
}

describe.each(FORMATS)('%s', (format) => {
  test.each(['nested', 'flat', 'tensor'] as const)('2D %s: types, rows, bins, provenance', async (layout) => {
    const records = captureRecords('91_h2d_filter_run.json');
    const { batch } = toRecordBatch(records, transformSpecFor('lumisection_histograms_2d', { layout }));
    const dir = outputRoot();
    const sink = openSink({ dir, format, metadata: { 'dqm_export.config_hash': 'h1' } });
    await sink.write(batch!.slice(0, 20));
    await sink.write(batch!.slice(20));
    const [file] = await sink.close();
    expect(file.path).toBe(`part-00000.${format}`);
    const table = readBack(join(dir, file.path), format);
    expect(table.numRows).toBe(records.length);
    expect(table.schema.metadata.get('dqm_export.config_hash')).toBe('h1');
    const data = table.schema.fields.find((f) => f.name === 'data')!;
    if (layout === 'tensor') {
      expect(String(data.type)).toBe('FixedSizeList[4032]<Float64>');
      expect(data.metadata.get('ARROW:extension:name')).toBe('arrow.fixed_shape_tensor');
      expect(data.metadata.get('ARROW:extension:metadata')).toBe('{"shape":[72,56]}');
    }
    records.forEach((r, i) => {
      const row = table.get(i)!;
      expect([row.id, row.run, row.lumisection, row.title]).toEqual([
        BigInt(r.id as number),
        r.run,
        r.lumisection,
        r.title,
      ]);
      const cell = row.data as { toArray(): ArrayLike<number> | { toArray(): ArrayLike<number> }[] };
      const values =
        layout === 'nested'
          ? (cell.toArray() as { toArray(): ArrayLike<number> }[]).flatMap((v) => Array.from(v.toArray()))
          : Array.from(cell.toArray() as ArrayLike<number>);
      expect(sameBits(values, flatData(r))).toBe(true);
    });
  });

  test('one dictionary per file, grown by deltas as new titles appear', async () => {
    // The real 1D file has 9 titles; later batches bring titles the first one did not have.
    const records = [
      ...captureRecords('71_h1d_filter_run_real.json'),
      ...captureRecords('72_h1d_filter_run_synthetic.json'),
    ];
    const spec = transformSpecFor('lumisection_histograms_1d', { constants: { dataset: 'ZeroBias' } });
    const dir = outputRoot();
    const sink = openSink({ dir, format });
    for (let i = 0; i < records.length; i += 4) await sink.write(toRecordBatch(records.slice(i, i + 4), spec).batch!);
    const [file] = await sink.close();
    const table = readBack(join(dir, file.path), format);
    expect(table.getChild('title')!.toArray()).toEqual(records.map((r) => r.title));
    expect(new Set(table.getChild('dataset')!.toArray())).toEqual(new Set(['ZeroBias']));
    const bytes = readFileSync(join(dir, file.path));
    if (format === 'arrow') {
      const reader = RecordBatchFileReader.from(bytes).open();
      expect(reader.numDictionaries).toBeGreaterThan(2); // title + dataset, plus deltas
    }
  });
});

test('IPC compression is refused: apache-arrow 21 writes a wrong length prefix (docs/decisions.md)', () => {
  for (const format of FORMATS) {
    expect(() => openSink({ dir: outputRoot(), format, compression: 'zstd' })).toThrow(ConfigError);
    expect(() => openSink({ dir: outputRoot(), format, compression: 'zstd' })).toThrow(
      /compression "zstd" is not available for arrow.*Valid values are: none/,
    );
  }
});
