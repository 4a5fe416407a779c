import { describe, expect, it } from 'vitest';
import { parse as parseCsv } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveOutputFormat } from '../../src/cli/output/format.js';
import { csvField, csvRow } from '../../src/cli/output/csv.js';
import { renderTable, type Column } from '../../src/cli/output/table.js';
import { formatNumber, truncate } from '../../src/cli/output/text.js';
import {
  binSum,
  dataFileView,
  describeProgress,
  histogram1dView,
  histogram2dView,
  runView,
} from '../../src/cli/output/views.js';
import { createRecordWriter, JSONL_WRITE_CHARS } from '../../src/cli/output/writer.js';
import type { Histogram1D, Histogram2D, HistogramDataFile, Run } from '../../src/domain.js';

const captures = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'captures');
const body = <T>(name: string): T => JSON.parse(readFileSync(join(captures, name), 'utf8')).body as T;

function collect(): { out: { write(s: string): void }; text: () => string } {
  let text = '';
  return { out: { write: (s: string) => void (text += s) }, text: () => text };
}

describe('resolveOutputFormat', () => {
  it('defaults to table on a terminal and jsonl otherwise', () => {
    expect(resolveOutputFormat(undefined, true)).toBe('table');
    expect(resolveOutputFormat(undefined, false)).toBe('jsonl');
    expect(resolveOutputFormat('csv', true)).toBe('csv');
  });
  it('rejects an unknown format with the valid list and a did-you-mean', () => {
    expect(() => resolveOutputFormat('xml', true)).toThrow(
      /^unknown --format value "xml"; valid values: table, json, jsonl, csv$/,
    );
    expect(() => resolveOutputFormat('jsnl', true)).toThrow(
      /^unknown --format value "jsnl" \(did you mean "jsonl"\?\); valid values: table, json, jsonl, csv$/,
    );
  });
});

describe('text helpers', () => {
  it.each([
    ['abcdefghij', 5, 'end', 'abcd…'],
    ['abcdefghij', 5, 'start', '…ghij'],
    ['abcdefghij', 5, 'middle', 'ab…ij'],
    ['abcdefghij', 6, 'middle', 'abc…ij'],
    ['abc', 5, 'middle', 'abc'],
    ['abc', 1, 'middle', '…'],
  ] as const)('truncate(%s, %i, %s) = %s', (text, width, at, expected) => {
    expect(truncate(text, width, at)).toBe(expected);
  });
  it.each([
    [2, '2'],
    [2.5, '2.5'],
    [1 / 3, '0.333333'],
    [1234567.891, '1234570'],
    [0.00001234, '0.00001234'],
    [1e-9 / 3, '3.33333e-10'],
    [-26.7, '-26.7'],
  ])('formatNumber(%d) = %s', (n, expected) => {
    expect(formatNumber(n)).toBe(expected);
  });
});

describe('csv', () => {
  it('quotes only when needed and writes objects as JSON', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(null)).toBe('');
    expect(
      csvField([
        [1, 2],
        [3, 4],
      ]),
    ).toBe('"[[1,2],[3,4]]"');
    expect(csvRow([1, 'x', true])).toBe('1,x,true\n');
  });
});

describe('renderTable', () => {
  type Row = { id: number; title: string };
  const columns: Column<Row>[] = [
    { header: 'id', value: (r) => r.id, align: 'right' },
    { header: 'title', value: (r) => r.title, shrink: 'middle', minWidth: 10 },
    { header: 'n', value: () => null },
  ];
  const rows: Row[] = [
    { id: 1, title: 'clusterposition_zphi_ontrack_PXLayer_1' },
    { id: 200, title: 'short' },
  ];

  it('aligns columns and prints missing values as -', () => {
    const lines = renderTable(columns, rows).trimEnd().split('\n');
    expect(lines[0]).toBe(' id  title                                   n');
    expect(lines[1]).toBe('  1  clusterposition_zphi_ontrack_PXLayer_1  -');
    expect(lines[2]).toBe('200  short                                   -');
  });

  it('shortens only the shrinkable column, keeping both ends of a title', () => {
    const lines = renderTable(columns, rows, { maxWidth: 30 }).trimEnd().split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(30);
    expect(lines[1]).toMatch(/^ {2}1 {2}cluster.*….*Layer_1 {2}-$/);
    expect(lines[2].startsWith('200')).toBe(true);
  });

  it('stops at minWidth when the table cannot fit', () => {
    const lines = renderTable(columns, rows, { maxWidth: 5 }).trimEnd().split('\n');
    expect(lines[1]).toContain('…');
    expect(lines[1].length).toBe(3 + 2 + 10 + 2 + 1);
  });
});

describe('views on captured records', () => {
  const h1 = body<Histogram1D>('85_h1d_detail.json');
  const h2 = body<Histogram2D>('96_h2d_detail.json');
  const files = body<{ results: HistogramDataFile[] }>('34_histogram_data_files_after_parsing.json').results;

  it('summarises a 2D histogram as its shape and sum', () => {
    const table = renderTable(histogram2dView.table, [h2]);
    expect(table).toContain(`${h2.y_bin}x${h2.x_bin}`);
    expect(table).toContain(formatNumber(binSum(h2.data)));
    expect(table.length).toBeLessThan(400);
  });

  it('summarises a 1D histogram with its bin count and sum', () => {
    const table = renderTable(histogram1dView.table, [h1]);
    expect(table).toContain(h1.title);
    expect(table).toContain(formatNumber(binSum(h1.data)));
  });

  it('shows data files with contents and progress, keeping the file name when shortened', () => {
    const table = renderTable(dataFileView.table, files, { maxWidth: 80 });
    expect(table).toContain('lum 2D');
    expect(table).toContain('100 %');
    expect(table).toContain('0 %');
    for (const line of table.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(table).toMatch(/…\S*_2D_synthetic\.csv/);
  });

  it('describes progress while parsing', () => {
    expect(describeProgress({ percentage_processed: 40, entries_processed: 96, entries_total: 240 })).toBe(
      '40 % (96/240)',
    );
    expect(describeProgress({ percentage_processed: 100.0, entries_processed: 9, entries_total: 9 })).toBe('100 %');
  });
});

describe('createRecordWriter', () => {
  const runs = body<{ results: Run[] }>('50_runs.json').results.slice(0, 3);
  const h2 = body<Histogram2D>('96_h2d_detail.json');

  it('jsonl: a large batch goes out in whole-line pieces of about JSONL_WRITE_CHARS, same text', () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({ id: i, title: `µ-title ${i}`, data: [i, i / 3, -i] }));
    const pieces: string[] = [];
    const w = createRecordWriter({
      format: 'jsonl',
      view: runView as never,
      out: { write: (s: string) => pieces.push(s) },
    });
    w.write(records);
    w.write([]);
    w.end();
    expect(pieces.join('')).toBe(records.map((r) => JSON.stringify(r) + '\n').join(''));
    expect(pieces.length).toBeGreaterThan(1);
    const longestLine = Math.max(...records.map((r) => JSON.stringify(r).length + 1));
    for (const piece of pieces) {
      expect(piece.endsWith('\n')).toBe(true);
      expect(piece.length).toBeLessThan(JSONL_WRITE_CHARS + longestLine);
    }
    expect(w.count).toBe(3000);
  });

  it('jsonl: one complete record per line', () => {
    const c = collect();
    const w = createRecordWriter({ format: 'jsonl', view: runView, out: c.out });
    w.write(runs.slice(0, 2));
    w.write(runs.slice(2));
    w.end();
    expect(
      c
        .text()
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(runs);
    expect(w.count).toBe(3);
  });

  it('json: an array across pages, [] when empty, the object alone for single', () => {
    const c = collect();
    const w = createRecordWriter({ format: 'json', view: runView, out: c.out });
    w.write(runs.slice(0, 1));
    w.write(runs.slice(1));
    w.end();
    expect(JSON.parse(c.text())).toEqual(runs);

    const e = collect();
    const empty = createRecordWriter({ format: 'json', view: runView, out: e.out });
    empty.end();
    expect(JSON.parse(e.text())).toEqual([]);

    const s = collect();
    const single = createRecordWriter({ format: 'json', view: histogram2dView, out: s.out, single: true });
    single.write([h2]);
    single.end();
    expect(JSON.parse(s.text())).toEqual(h2);
  });

  it('csv: known fields first, 2D data as a JSON string column that reads back exactly', () => {
    const c = collect();
    const w = createRecordWriter({ format: 'csv', view: histogram2dView, out: c.out });
    w.write([h2, { ...h2, id: h2.id + 1, title: 'a, "quoted" title' }]);
    w.end();
    const rows = parseCsv(c.text(), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual(histogram2dView.fields);
    expect(JSON.parse(rows[0].data)).toEqual(h2.data);
    expect(Number(rows[0].id)).toBe(h2.id);
    expect(rows[1].title).toBe('a, "quoted" title');
  });

  it('csv: header only when there are no records; extra server fields are kept', () => {
    const c = collect();
    const w = createRecordWriter({ format: 'csv', view: runView, out: c.out });
    w.end();
    expect(c.text()).toBe('run_number,date\n');

    const d = collect();
    const x = createRecordWriter<Run & { oms_fill?: number }>({ format: 'csv', view: runView, out: d.out });
    x.write([{ ...runs[0], oms_fill: 7 }]);
    x.end();
    expect(d.text().split('\n')[0]).toBe('run_number,date,oms_fill');
  });

  it('table: aligned rows after end()', () => {
    const c = collect();
    const w = createRecordWriter({ format: 'table', view: runView, out: c.out });
    w.write(runs);
    expect(c.text()).toBe('');
    w.end();
    const lines = c.text().trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^run_number {2}date$/);
  });
});
