/** Shared inputs of the load tests: captured pages, temporary output roots, directory listings. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { afterAll } from 'vitest';
import { openSink, type EncoderPool } from '../../src/load/index.js';
import { readParquetRows } from '../helpers/duckdb.js';

const CAPTURES = join(import.meta.dirname, '..', 'fixtures', 'captures');

/** The records of a captured page (or the one record of a detail capture). */
export function captureRecords(file: string): Record<string, unknown>[] {
  const body = JSON.parse(readFileSync(join(CAPTURES, file), 'utf8')).body;
  return Array.isArray(body.results) ? body.results : [body];
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

/** A fresh output root, removed after the test file. */
export function outputRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'dqm-load-'));
  roots.push(root);
  return root;
}

/** Every file under `root`, relative, `/`-separated, sorted (temporaries included). */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(root, path).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** The source values of a histogram record's `data`, flattened row-major (float32: Math.fround). */
export function flatData(record: Record<string, unknown>, dtype: 'float64' | 'float32' = 'float64'): number[] {
  const flat = (record.data as unknown[]).flat(1) as number[];
  return dtype === 'float32' ? flat.map(Math.fround) : flat;
}

/** True when two number arrays are equal bit for bit (Object.is per element). */
export function sameBits(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/**
 * Writes `batch` as one Parquet file through `pool` in a fresh output root and returns how many
 * rows DuckDB reads back from it.
 */
export async function encodeOneFile(pool: EncoderPool, filePrefix: string, batch: RecordBatch): Promise<number> {
  const dir = outputRoot();
  const sink = openSink({ dir, format: 'parquet', filePrefix, encoderPool: pool });
  await sink.write(batch);
  const [file] = await sink.close();
  return (await readParquetRows(join(dir, file.path))).length;
}
