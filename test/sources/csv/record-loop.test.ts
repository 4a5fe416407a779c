/**
 * forEachRecord (src/sources/csv/record-loop.ts) reuses one read buffer per thread: calls after a
 * record larger than the block (which grows the buffer) and reads of ranges smaller than the kept
 * buffer still visit exactly the records of their own range.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forEachRecord } from '../../../src/sources/csv/record-loop.js';

const dir = mkdtempSync(join(tmpdir(), 'dqm-record-loop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The records of `[start, end)` of `path` as arrays of cell texts. */
function records(path: string, start: number, end: number, blockBytes: number): string[][] {
  const fd = openSync(path, 'r');
  try {
    const out: string[][] = [];
    forEachRecord({ fd, start, end, line: 1, blockBytes }, (buf, cells) => {
      const row: string[] = [];
      for (let c = 0; c < cells.count; c++) row.push(cells.text(buf, c));
      out.push(row);
    });
    return out;
  } finally {
    closeSync(fd);
  }
}

describe('forEachRecord with its reused read buffer', () => {
  it('reads the same records whatever was read before, after a record larger than the block', () => {
    const big = `1,"[${Array.from({ length: 3000 }, (_, i) => i).join(', ')}]"\n`;
    const small = ['2,"[1, 2]"\n', '3,"[3]"\n', '4,"[4, 5, 6]"\n'].join('');
    const path = join(dir, 'mixed.csv');
    writeFileSync(path, big + small);
    const expected = [
      ['1', `[${Array.from({ length: 3000 }, (_, i) => i).join(', ')}]`],
      ['2', '[1, 2]'],
      ['3', '[3]'],
      ['4', '[4, 5, 6]'],
    ];
    // The big record is larger than a 1 KiB block: the buffer grows and is kept.
    expect(records(path, 0, big.length + small.length, 1024)).toEqual(expected);
    // A range smaller than the kept buffer, then the whole file again with a tiny block.
    expect(records(path, big.length, big.length + small.length, 1024)).toEqual(expected.slice(1));
    expect(records(path, big.length + 11, big.length + small.length, 64)).toEqual(expected.slice(2));
    expect(records(path, 0, big.length + small.length, 64)).toEqual(expected);
  });
});
