/** Which command lines start the Parquet encoder worker before the CLI loads (src/cli/prewarm.ts). */
import { describe, expect, it } from 'vitest';
import { prewarmsEncoder } from '../../src/cli/prewarm.js';

const files: Record<string, string> = {
  'http.yaml': 'source:\n  type: dqm-playground\nstreams: []\n',
  'csv.yaml': 'source:\n  type: ml4dqm-csv\n  files: [a.csv]\n',
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
