import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkGranularity,
  checkParseRequest,
  dimensionalityFromName,
  formatFromName,
  type ParseRequest,
} from '../../src/cli/files/parse-check.js';
import type { HistogramDataFile } from '../../src/domain.js';

const captures = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'fixtures', 'captures');
const files = (name: string): HistogramDataFile[] =>
  JSON.parse(readFileSync(join(captures, name), 'utf8')).body.results;
// Before parsing (all at 0 %, no contents) and after (1-3 at 100 %, 4 failed at 0 %).
const before = files('12_histogram_data_files_after_discover_cachebust.json');
const after = files('34_histogram_data_files_after_parsing.json');

const lum = (dim: 1 | 2, fileFormat: 'csv' | 'root' = 'csv'): ParseRequest => ({ granularity: 'lum', dim, fileFormat });

describe('dimensionalityFromName / formatFromName', () => {
  it.each([
    ['/data/dqm/csv/ZeroBias_2018A_DataFrame_1D_2.csv', 1],
    ['/data/dqm/csv/ZeroBias_2018A_DataFrame_2D_synthetic.csv', 2],
    ['/data/dqm/csv_bad/ZeroBias_2018A_DataFrame_1D_2_copy_parsed_as_2D.csv', 1],
    ['/x/run_2D.csv', 2],
    ['/x/a_1D_b_2D.csv', undefined],
    ['/x/plain.csv', undefined],
    ['/x_1D_/plain.csv', undefined],
  ])('%s -> %s', (path, dim) => {
    expect(dimensionalityFromName(path)).toBe(dim);
  });
  it('reads the extension', () => {
    expect(formatFromName('/a/b.CSV')).toBe('csv');
    expect(formatFromName('/a/b.root')).toBe('root');
    expect(formatFromName('/a/b.txt')).toBeUndefined();
  });
});

describe('checkParseRequest', () => {
  // (what, file, request, action, code, message pattern)
  const table: [string, HistogramDataFile, ParseRequest, string, string | undefined, RegExp | undefined][] = [
    ['fresh 1D file as 1D', before[0], lum(1), 'ok', undefined, undefined],
    ['fresh 2D file as 2D', before[2], lum(2), 'ok', undefined, undefined],
    [
      '1D file as 2D (the silent thread failure)',
      before[0],
      lum(2),
      'refuse',
      'E_PARSE_DIMENSIONALITY',
      /named as 1D but --dim 2 .* leaving the file at 0 %/,
    ],
    ['the failed copy as 2D again', after[3], lum(2), 'refuse', 'E_PARSE_DIMENSIONALITY', /named as 1D/],
    ['the failed copy as 1D', after[3], lum(1), 'ok', undefined, undefined],
    [
      'csv file as root',
      before[1],
      lum(1, 'root'),
      'refuse',
      'E_PARSE_FILE_FORMAT',
      /\.csv extension but --file-format root/,
    ],
    [
      'already parsed, same request',
      after[0],
      lum(1),
      'done',
      undefined,
      /already parsed as lum 1D \(100 %\); nothing to do/,
    ],
    [
      'already parsed, other dim',
      after[2],
      lum(1),
      'refuse',
      'E_PARSE_ALREADY_PARSED',
      /already parsed \(100 %, contents: lum 2D\); the server refuses/,
    ],
    [
      'in progress',
      { ...before[2], entries_total: 240, entries_processed: 96, percentage_processed: 40 },
      lum(2),
      'refuse',
      'E_PARSE_IN_PROGRESS',
      /is being parsed \(40 % \(96\/240\)\); follow it with: dqm-export files wait 3/,
    ],
  ];
  it.each(table)('%s', (_what, file, req, action, code, message) => {
    const v = checkParseRequest(file, req);
    expect(v.action).toBe(action);
    if (v.action === 'refuse') expect(v.code).toBe(code);
    if (message && v.action !== 'ok') expect(v.message).toMatch(message);
  });

  it('refuses granularity run for any file', () => {
    expect(checkGranularity({ granularity: 'lum', dim: 1, fileFormat: 'csv' }).action).toBe('ok');
    const v = checkGranularity({ granularity: 'run', dim: 1, fileFormat: 'csv' });
    expect(v.action === 'refuse' && v.code === 'E_PARSE_GRANULARITY' && v.usage).toBe(true);
    expect(v.action === 'refuse' && v.message).toMatch(/not implemented .* answers 500/);
  });

  it('marks request mistakes as usage errors and file states as not', () => {
    const dim = checkParseRequest(before[0], lum(2));
    const parsed = checkParseRequest(after[2], lum(1));
    expect(dim.action === 'refuse' && dim.usage && dim.forcible).toBe(true);
    expect(parsed.action === 'refuse' && !parsed.usage && !parsed.forcible).toBe(true);
  });
});
