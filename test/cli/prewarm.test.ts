/** Which command lines start the Parquet encoder worker or the CSV worker before the CLI loads (src/cli/prewarm.ts). */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvRunAhead, prewarmsEncoder } from '../../src/cli/prewarm.js';

const files: Record<string, string> = {
  'http.yaml': 'source:\n  type: dqm-playground\nstreams: []\n',
  'csv.yaml': 'source:\n  type: ml4dqm-csv\n  files: [a.csv]\n',
  'csv-arrow.yaml': 'source:\n  type: ml4dqm-csv\n  files: [a.csv]\nstreams:\n  - output: {format: arrow}\n',
};
const read = (file: string): string => {
  const text = files[file];
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
  return text;
};

describe('prewarmsEncoder', () => {
  it.each([
    [['run', 'http.yaml'], true],
    [['run', '--resume', 'http.yaml'], true],
    [['run', '--out', 'dir', 'http.yaml'], true],
    [['-v', 'run', '--concurrency', '4', 'http.yaml', '--no-progress'], true],
    [['run', 'csv.yaml'], false], // CSV sources encode in a pool of their own
    [['run', 'missing.yaml'], false], // the run fails at once
    [['run'], false],
    [['run', '--help'], false],
    [['run', 'http.yaml', '-h'], false],
    [['validate', 'http.yaml'], false],
    [['--version'], false],
    [[], false],
  ])('%j -> %s', (argv, expected) => {
    expect(prewarmsEncoder(argv, read)).toBe(expected);
  });
});

describe('csvRunAhead', () => {
  const cwd = '/home/user/pipelines';
  const csv = (file: string | null, encoder = true) => ({
    scan: file === null ? undefined : { pipeline: resolve(cwd, file) },
    encoder,
  });
  const convert = (files: string[] | null) => ({
    scan: files === null ? undefined : { files, dir: cwd },
    encoder: true,
  });
  it.each([
    [['run', 'csv.yaml'], csv('csv.yaml')],
    [['run', '--out', 'dir', 'csv.yaml', '--no-progress'], csv('csv.yaml')],
    [['run', 'csv-arrow.yaml'], csv('csv-arrow.yaml', false)], // maybe no Parquet to encode
    [['run', '--resume', 'csv.yaml'], csv(null)], // committed files are not read again
    [['run', 'csv.yaml', '--resume=true'], csv(null)],
    [['run', 'csv.yaml', '--plan', 'plan.json', '--shard', '1/2'], csv(null)], // a shard scans its own files
    [['convert', 'a.csv', 'b/*.csv', '--out', 'dataset'], convert(['a.csv', 'b/*.csv'])],
    [['convert', '--out=dataset', '--log-level', 'info', 'a.csv'], convert(['a.csv'])],
    [['convert', 'a.csv', '--out', 'dataset', '--resume'], convert(null)],
    [['convert', '--out', 'dataset'], undefined],
    [['convert', 'a.csv', '--help'], undefined],
    [['convert', '--', 'a.csv'], undefined],
    [['run', 'http.yaml'], undefined],
    [['run', 'missing.yaml'], undefined],
    [['run', 'csv.yaml', '--help'], undefined],
    [['validate', 'csv.yaml'], undefined],
    [[], undefined],
  ])('%j -> %j', (argv, expected) => {
    expect(csvRunAhead(argv, read, cwd)).toEqual(expected);
  });
});
