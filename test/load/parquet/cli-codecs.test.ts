/**
 * Both zstd codecs and both Parquet writers through the built CLI, end to end: `convert` of ML4DQM
 * CSV files (by default through the own writer with native zstd), the same command with
 * DQM_EXPORT_PARQUET_ZSTD=wasm (parquet-wasm and its own zstd) and with
 * DQM_EXPORT_PARQUET_WRITER=wasm (parquet-wasm, pages recompressed by native zstd) give the same
 * datasets, row for row and value for value (DuckDB checksums per run partition), every file
 * zstd-compressed, and the same manifest rows.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PARQUET_WRITER_ENV, PARQUET_ZSTD_ENV } from '../../../src/settings.js';
import { closeDuckDB, queryParquet, sqlString } from '../../helpers/duckdb.js';
import { datasetChecksums, removeTempDirs, runCli, tempDir, writeCsvData } from '../../reliability/helpers.js';

let dir: string;

beforeAll(async () => {
  dir = await tempDir('dqm-codecs-');
  await mkdir(join(dir, 'data'));
  await writeCsvData(join(dir, 'data'), { runs: 3, ls: 40, titles: 2, x1: 30, x2: 20, y2: 12 });
}, 120_000);

afterAll(async () => {
  closeDuckDB();
  await removeTempDirs();
});

/** `convert` of both files with the given environment; returns the output root. */
async function convert(name: string, env: NodeJS.ProcessEnv): Promise<string> {
  const out = join(dir, name);
  const r = await runCli(
    ['convert', 'small_1D.csv', 'small_2D.csv', '--out', out, '--no-progress', '--log-level', 'warn'],
    {
      cwd: join(dir, 'data'),
      env,
      timeoutMs: 120_000,
    },
  );
  expect(r.code, r.stderr).toBe(0);
  return out;
}

test('own writer, parquet-wasm with native zstd, parquet-wasm: the same datasets, every page zstd', async () => {
  const native = await convert('native', {});
  const wasm = await convert('wasm', { [PARQUET_ZSTD_ENV]: 'wasm' });
  const wasmWriter = await convert('wasm-writer', { [PARQUET_WRITER_ENV]: 'wasm' });
  for (const endpoint of ['lumisection_histograms_1d', 'lumisection_histograms_2d']) {
    const checksums = await datasetChecksums(join(native, endpoint));
    expect(checksums.map((c) => c.rows)).toEqual([80, 80, 80]);
    expect(checksums).toEqual(await datasetChecksums(join(wasm, endpoint)));
    expect(checksums).toEqual(await datasetChecksums(join(wasmWriter, endpoint)));
    const glob = sqlString(join(native, endpoint, '**', '*.parquet'));
    const { rows } = await queryParquet(`SELECT DISTINCT compression FROM parquet_metadata(${glob})`);
    expect(rows).toEqual([{ compression: 'ZSTD' }]);
    const manifest = async (root: string) =>
      (JSON.parse(await readFile(join(root, endpoint, '.dqm-export', 'manifest.json'), 'utf8')) as { rows: number })
        .rows;
    expect(await manifest(native)).toBe(await manifest(wasm));
  }
}, 240_000);
