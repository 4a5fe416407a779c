import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  countCsvRows,
  readMl4dqmCsv,
  type Ml4dqmRow,
  type Ml4dqmRowError,
  type ReadMl4dqmCsvOptions,
} from '../../src/csv/index.js';
import { DqmExportError } from '../../src/errors.js';
import { SAMPLE_DATA_DIR } from '../../src/version.js';

const REAL_1D = join(SAMPLE_DATA_DIR, 'ZeroBias_2018A_DataFrame_1D_2.csv');
const SYN_1D = join(SAMPLE_DATA_DIR, 'ZeroBias_2018A_DataFrame_1D_synthetic.csv');
const SYN_2D = join(SAMPLE_DATA_DIR, 'ZeroBias_2018A_DataFrame_2D_synthetic.csv');
const CAPTURES = join(import.meta.dirname, '..', 'fixtures', 'captures');

const tmp = mkdtempSync(join(tmpdir(), 'dqm-csv-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function readAll(
  path: string,
  options: ReadMl4dqmCsvOptions = {},
): Promise<{ rows: Ml4dqmRow[]; errors: Ml4dqmRowError[] }> {
  const errors: Ml4dqmRowError[] = [];
  const rows: Ml4dqmRow[] = [];
  for await (const row of readMl4dqmCsv(path, { onError: (e) => errors.push(e), ...options })) rows.push(row);
  return { rows, errors };
}

function capture(name: string): { body: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(CAPTURES, name), 'utf8'));
}

describe('readMl4dqmCsv on the sample files', () => {
  it('reads the real 1D file: 9 rows of 100 bins, run 315488 LS 229', async () => {
    const { rows, errors } = await readAll(REAL_1D);
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(9);
    expect(new Set(rows.map((r) => r.title)).size).toBe(9);
    for (const r of rows) {
      expect(r).toMatchObject({ dim: 1, run: 315488, lumisection: 229, metype: 3, x_bin: 100 });
      expect(r.data).toHaveLength(100);
    }
    expect(rows.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('matches capture 85 (1D id 1) bin for bin', async () => {
    const { rows } = await readAll(REAL_1D);
    const body = capture('85_h1d_detail.json').body;
    expect(rows[0]).toMatchObject({
      run: body.run,
      lumisection: body.lumisection,
      title: body.title,
      entries: body.entries,
    });
    expect(rows[0]).toMatchObject({ x_min: body.x_min, x_max: body.x_max, x_bin: body.x_bin });
    expect(rows[0].data).toEqual(body.data);
  });

  it('reads the synthetic 1D file: 240 rows, 3 runs x 40 LS x 2 titles', async () => {
    const { rows, errors } = await readAll(SYN_1D);
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(240);
    expect([...new Set(rows.map((r) => r.run))]).toEqual([315705, 315713, 316457]);
    expect(new Set(rows.map((r) => r.lumisection)).size).toBe(40);
    expect(rows.every((r) => r.dim === 1 && r.data.length === 100)).toBe(true);
  });

  it('reads the synthetic 2D file: 240 rows of 72 x 56, matching capture 96 for the first row', async () => {
    const { rows, errors } = await readAll(SYN_2D);
    expect(errors).toEqual([]);
    expect(rows).toHaveLength(240);
    const first = rows[0];
    expect(first.dim).toBe(2);
    expect(first.data).toHaveLength(72);
    expect((first.data as number[][]).every((row) => row.length === 56)).toBe(true);
    const body = capture('96_h2d_detail.json').body;
    expect(first).toMatchObject({ run: 315705, lumisection: 1, title: 'clusterposition_zphi_ontrack_PXLayer_1' });
    expect(first).toMatchObject({ entries: body.entries, x_min: body.x_min, x_max: body.x_max, x_bin: body.x_bin });
    expect(first).toMatchObject({ y_min: body.y_min, y_max: body.y_max, y_bin: body.y_bin });
    expect(first.data).toEqual(body.data);
    // PXLayer_1 has a dead block: x bins 1..7, y bins 1..9 are 0.
    for (let iy = 0; iy < 9; iy++) expect((first.data as number[][])[iy].slice(0, 7)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('reports every row of the real 1D file forced to 2D, as the real server fails on it', async () => {
    const { rows, errors } = await readAll(REAL_1D, { dim: 2 });
    expect(rows).toEqual([]);
    expect(errors).toHaveLength(9);
    expect(errors[0]).toMatchObject({ file: REAL_1D, line: 2 });
    expect(errors[0].reason).toMatch(/histo has 102 values, expected 306/);
  });

  it('parses the 2D file forced to 1D as per-row errors too', async () => {
    const { rows, errors } = await readAll(SYN_2D, { dim: 1 });
    expect(rows).toEqual([]);
    expect(errors).toHaveLength(240);
  });

  it('counts data rows without parsing', async () => {
    expect(await countCsvRows(REAL_1D)).toBe(9);
    expect(await countCsvRows(SYN_1D)).toBe(240);
    expect(await countCsvRows(SYN_2D)).toBe(240);
  });
});

const HEADER = 'fromrun,fromlumi,hname,metype,histo,entries,Xmax,Xmin,Xbins,Ymax,Ymin,Ybins';
const good1d = (ls: number): string => `1,${ls},h1,3,"[9, 1, 2, 3, 9]",15,3.0,0.0,3,1,0,1`;

function writeCsv(name: string, lines: string[]): string {
  const path = join(tmp, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

describe('readMl4dqmCsv on bad input', () => {
  const table: Array<[string, string, RegExp]> = [
    ['histo too short', `1,2,h1,3,"[9, 1, 2, 9]",15,3.0,0.0,3,1,0,1`, /histo has 4 values, expected 5 \(Xbins \+ 2\)/],
    ['histo not JSON', `1,2,h1,3,"[9, 1, 2,",15,3.0,0.0,3,1,0,1`, /histo is not valid JSON/],
    ['histo not an array', `1,2,h1,3,"{}",15,3.0,0.0,3,1,0,1`, /histo is not a JSON array/],
    ['histo with a string', `1,2,h1,3,"[9, ""a"", 2, 3, 9]",15,3.0,0.0,3,1,0,1`, /histo\[1\] is not a number/],
    ['non-numeric run', `abc,2,h1,3,"[9, 1, 2, 3, 9]",15,3.0,0.0,3,1,0,1`, /fromrun is not a number: "abc"/],
    ['fractional LS', `1,2.5,h1,3,"[9, 1, 2, 3, 9]",15,3.0,0.0,3,1,0,1`, /fromlumi is not an integer/],
    ['non-numeric Xmin', `1,2,h1,3,"[9, 1, 2, 3, 9]",15,3.0,x,3,1,0,1`, /Xmin is not a number/],
    ['unknown metype', `1,2,h1,12,"[9, 1, 2, 3, 9]",15,3.0,0.0,3,1,0,1`, /metype 12 is neither 1D/],
    ['too few columns', `1,2,h1,3,"[9, 1, 2, 3, 9]",15,3.0,0.0,3`, /expected 12 columns as in the header, found 9/],
    [
      'too many columns',
      `1,2,h1,3,"[9, 1, 2, 3, 9]",15,3.0,0.0,3,1,0,1,7`,
      /expected 12 columns as in the header, found 13/,
    ],
    ['empty title', `1,2,,3,"[9, 1, 2, 3, 9]",15,3.0,0.0,3,1,0,1`, /hname is empty/],
  ];

  it.each(table)('%s: reported with file and line, and the next rows are still read', async (name, badLine, reason) => {
    const path = writeCsv(`${name.replace(/\W+/g, '_')}.csv`, [HEADER, good1d(1), badLine, good1d(3)]);
    const { rows, errors } = await readAll(path);
    expect(rows.map((r) => r.lumisection)).toEqual([1, 3]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: path, line: 3 });
    expect(errors[0].reason).toMatch(reason);
  });

  it('reports a broken quote and resynchronises after it', async () => {
    // csv-parse loses one more record while it looks for the end of the broken quoted field.
    const path = writeCsv('quote.csv', [
      HEADER,
      good1d(1),
      `1,2,h1,3,"[9, 1, 2, 3, 9]"x,15,3.0,0.0,3,1,0,1`,
      good1d(3),
      good1d(4),
      good1d(5),
    ]);
    const { rows, errors } = await readAll(path);
    expect(rows.map((r) => r.lumisection)).toEqual([1, 4, 5]);
    expect(errors.map((e) => e.line)).toEqual([3, 4]);
    expect(errors[0].reason).toMatch(/malformed CSV \(Invalid Closing Quote/);
  });

  it('strips 1D flow bins and 2D borders', async () => {
    // 2D: Xbins 2, Ybins 1 -> a 3 x 4 grid with the middle row [u, a, b, o].
    const path = writeCsv('dims.csv', [HEADER, good1d(1), `1,2,h2,6,"[0,0,0,0, 0,5,6,0, 0,0,0,0]",11,1,0,2,1,0,1`]);
    const { rows, errors } = await readAll(path);
    expect(errors).toEqual([]);
    expect(rows[0]).toMatchObject({ dim: 1, data: [1, 2, 3] });
    expect(rows[1]).toMatchObject({ dim: 2, data: [[5, 6]] });
  });

  it('throws E_CSV_ROW on the first bad row without onError', async () => {
    const path = writeCsv('strict.csv', [HEADER, good1d(1), `1,2,h1,3,"[9]",15,3.0,0.0,3,1,0,1`]);
    const read = async (): Promise<void> => {
      for await (const _ of readMl4dqmCsv(path)) void _;
    };
    await expect(read()).rejects.toMatchObject({ code: 'E_CSV_ROW', context: { file: path, line: 3 } });
  });

  it('rejects a header without ML4DQM columns, and a missing file, with one-line errors', async () => {
    const path = writeCsv('header.csv', ['a,b,c', '1,2,3']);
    const read = async (p: string): Promise<void> => {
      for await (const _ of readMl4dqmCsv(p)) void _;
    };
    const headerError = await read(path).catch((e: unknown) => e);
    expect(headerError).toBeInstanceOf(DqmExportError);
    expect(headerError).toMatchObject({ code: 'E_CSV_HEADER' });
    expect((headerError as Error).message).toMatch(/missing column\(s\) fromrun, fromlumi, hname, histo/);
    await expect(read(join(tmp, 'nope.csv'))).rejects.toMatchObject({ code: 'E_FS_ENOENT' });
    await expect(read(writeCsv('empty.csv', []))).rejects.toMatchObject({ code: 'E_CSV_HEADER' });
  });

  it('stops reading, and closes the file, when the consumer breaks out', async () => {
    let n = 0;
    for await (const _ of readMl4dqmCsv(SYN_2D)) if (++n === 3) break;
    expect(n).toBe(3);
  });
});
