/** Manual mode: discover, start_parsing with visible progress, failed parses, malformed files. */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_DATA_DIR } from '../../src/version.js';
import { apiRequest, withServer } from '../helpers/server.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'dqm-ingest-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const REAL_1D = 'ZeroBias_2018A_DataFrame_1D_2.csv';
const SYN_1D = 'ZeroBias_2018A_DataFrame_1D_synthetic.csv';
const PARSE_1D = { granularity: 'lum', data_dimensionality: 1, file_format: 'csv' };

type DataFile = {
  id: number;
  filepath: string;
  entries_total: number;
  entries_processed: number;
  percentage_processed: number;
  contents: unknown[];
};
let bust = 0;
async function files(server: Parameters<typeof apiRequest>[0]): Promise<DataFile[]> {
  return ((await apiRequest(server, `/api/histogram_data_files/?_=${bust++}`)).json as { results: DataFile[] }).results;
}

describe('manual mode', () => {
  it('registers the files at 0 % and parses one on start_parsing, with growing progress', async () => {
    const dir = tempDir();
    copyFileSync(join(SAMPLE_DATA_DIR, SYN_1D), join(dir, SYN_1D));
    const server = await withServer({ dataDirs: [dir], manual: true, parseDelayMs: 2 });
    try {
      const [before] = await files(server);
      expect(before).toMatchObject({
        id: 1,
        entries_total: 0,
        entries_processed: 0,
        percentage_processed: 0,
        contents: [],
      });
      expect((await apiRequest(server, '/api/lumisection_histograms_1d/')).json).toMatchObject({ total: 0 });
      expect(
        (
          await apiRequest(server, '/api/histogram_data_files/1/start_parsing/', {
            method: 'POST',
            body: PARSE_1D,
            as: 'user',
          })
        ).status,
      ).toBe(202);
      const seen: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const [f] = await files(server);
        seen.push(f.entries_processed);
        if (f.entries_processed === 240) break;
        await sleep(25);
      }
      expect(seen.at(-1)).toBe(240);
      expect(seen.some((n) => n > 0 && n < 240)).toBe(true);
      expect(seen).toEqual([...seen].sort((x, y) => x - y));
      const [after] = await files(server);
      expect(after).toMatchObject({
        entries_total: 240,
        percentage_processed: 100,
        contents: [{ granularity: 'lum', data_dimensionality: 1 }],
      });
      expect(
        (await apiRequest(server, '/api/histogram_data_files/1/start_parsing/', { method: 'POST', body: PARSE_1D }))
          .json,
      ).toBe('HistogramDataFile with pk 1 is already parsed');
      expect((await apiRequest(server, '/api/runs/')).json).toMatchObject({ total: 3 });
      expect((await apiRequest(server, '/api/lumisections/')).json).toMatchObject({ total: 120 });
    } finally {
      await server.close();
    }
  });

  it('discovers files added later, in path order, and only once', async () => {
    const dir = tempDir();
    const server = await withServer({ dataDirs: [dir], manual: true });
    try {
      expect(await files(server)).toEqual([]);
      mkdirSync(join(dir, 'b'));
      copyFileSync(join(SAMPLE_DATA_DIR, REAL_1D), join(dir, 'b', REAL_1D));
      copyFileSync(join(SAMPLE_DATA_DIR, SYN_1D), join(dir, 'a.csv'));
      writeFileSync(join(dir, 'notes.txt'), 'not a csv');
      expect((await apiRequest(server, '/api/histogram_data_files/discover/', { as: 'user' })).status).toBe(403);
      expect((await apiRequest(server, '/api/histogram_data_files/discover/')).status).toBe(202);
      expect((await apiRequest(server, '/api/histogram_data_files/discover/')).status).toBe(202);
      expect((await files(server)).map((f) => f.filepath)).toEqual([join(dir, 'a.csv'), join(dir, 'b', REAL_1D)]);
    } finally {
      await server.close();
    }
  });

  it('a 1D file parsed as 2D is accepted, then stays at 0.0 % with its rows counted', async () => {
    const dir = tempDir();
    copyFileSync(join(SAMPLE_DATA_DIR, REAL_1D), join(dir, REAL_1D));
    // The server logs the failed parse: waiting for that line, not for a while, under any load.
    let failed!: () => void;
    const parseFailed = new Promise<void>((resolve) => (failed = resolve));
    const logger = pino(
      { level: 'warn' },
      {
        write: (line: string) =>
          void ((JSON.parse(line) as { msg?: string }).msg === 'parsing failed; the file stays incomplete' && failed()),
      },
    );
    const server = await withServer({ dataDirs: [dir], manual: true, logger });
    try {
      const res = await apiRequest(server, '/api/histogram_data_files/1/start_parsing/', {
        method: 'POST',
        body: { ...PARSE_1D, data_dimensionality: 2 },
      });
      expect(res.status).toBe(202);
      await parseFailed;
      const [f] = await files(server);
      expect(f).toMatchObject({ entries_total: 9, entries_processed: 0, percentage_processed: 0, contents: [] });
      expect((await apiRequest(server, '/api/histogram_data_files/?processing_complete=false')).json).toMatchObject({
        total: 1,
      });
      // A failed file may be parsed again, with the right dimensionality.
      expect(
        (await apiRequest(server, '/api/histogram_data_files/1/start_parsing/', { method: 'POST', body: PARSE_1D }))
          .status,
      ).toBe(202);
    } finally {
      await server.close();
    }
  });
});

describe('malformed data files', () => {
  it('stop at the first bad row and stay incomplete; other files and the server are fine', async () => {
    const dir = tempDir();
    copyFileSync(join(SAMPLE_DATA_DIR, REAL_1D), join(dir, 'a_good.csv'));
    const header = 'fromrun,fromlumi,hname,metype,histo,entries,Xmax,Xmin,Xbins,Ymax,Ymin,Ybins';
    const row = (ls: number, histo: string): string => `7,${ls},h,3,"${histo}",3,1.0,0.0,1,1,0,1`;
    writeFileSync(
      join(dir, 'b_bad_row.csv'),
      [header, row(1, '[0, 3, 0]'), row(2, '[0, 3'), row(3, '[0, 1, 0]')].join('\n'),
    );
    writeFileSync(join(dir, 'c_no_header.csv'), 'just,some,columns\n1,2,3\n');
    writeFileSync(join(dir, 'd_empty.csv'), '');
    const server = await withServer({ dataDirs: [dir] });
    try {
      const byName = Object.fromEntries((await files(server)).map((f) => [f.filepath.split('/').pop(), f]));
      expect(byName['a_good.csv']).toMatchObject({ entries_total: 9, entries_processed: 9, percentage_processed: 100 });
      expect(byName['b_bad_row.csv']).toMatchObject({ entries_total: 3, entries_processed: 1, contents: [] });
      expect(byName['b_bad_row.csv'].percentage_processed).toBeCloseTo(33.33, 1);
      expect(byName['c_no_header.csv']).toMatchObject({ entries_total: 1, entries_processed: 0, contents: [] });
      expect(byName['d_empty.csv']).toMatchObject({ entries_total: 0, entries_processed: 0 });
      expect((await apiRequest(server, '/api/lumisection_histograms_1d/')).json).toMatchObject({ total: 10 });
      expect((await apiRequest(server, '/api/lumisection_histograms_1d/10/')).json).toMatchObject({
        run: 7,
        lumisection: 1,
        data: [3],
        source_data_file: 2,
      });
    } finally {
      await server.close();
    }
  });
});
