/** Cutting CSV records out of a buffer (src/sources/csv/record-cut.ts): quoting, line ends, bad quotes. */
import { describe, expect, it } from 'vitest';
import { Cells, NEED_MORE } from '../../../src/sources/csv/record-cut.js';

function cut(
  text: string,
  atEof = true,
): { next: number; cells: string[]; newlines: number; malformed: string | null } {
  const buf = Buffer.from(text);
  const cells = new Cells(8);
  const next = cells.cut(buf, 0, buf.length, atEof);
  return {
    next,
    cells: Array.from({ length: Math.min(cells.count, 8) }, (_, i) => cells.text(buf, i)),
    newlines: cells.newlines,
    malformed: cells.malformed,
  };
}

describe('Cells.cut', () => {
  it('cuts plain and quoted cells; a quoted cell keeps its commas, "" is a quote, newlines count', () => {
    expect(cut('1,2,"[1, 2]",x\nnext')).toEqual({
      next: 15,
      cells: ['1', '2', '[1, 2]', 'x'],
      newlines: 1,
      malformed: null,
    });
    expect(cut('"a ""b"", c",d\n')).toMatchObject({ cells: ['a "b", c', 'd'], newlines: 1 });
    expect(cut('"line\nbreak",z\n')).toMatchObject({ cells: ['line\nbreak', 'z'], newlines: 2 });
  });

  it('drops the CR of CRLF, after plain and quoted cells', () => {
    expect(cut('a,b\r\n')).toMatchObject({ cells: ['a', 'b'], next: 5 });
    expect(cut('a,"b"\r\n')).toMatchObject({ cells: ['a', 'b'], next: 7 });
  });

  it('needs more bytes for a record cut by the end of the buffer, unless at the end of the file', () => {
    expect(cut('a,"[1, 2', false).next).toBe(NEED_MORE);
    expect(cut('a,"[1, 2').next).toBe(NEED_MORE); // an unclosed quote at the end of the file: truncated
    expect(cut('a,b', false).next).toBe(NEED_MORE);
    expect(cut('a,b')).toMatchObject({ next: 3, cells: ['a', 'b'], newlines: 0 });
  });

  it('marks bad quoting as malformed and ends the record at the line end', () => {
    expect(cut('a,b"c,d\nnext')).toMatchObject({ next: 8, malformed: expect.stringMatching(/Invalid Opening Quote/) });
    expect(cut('"a"b,c\nnext')).toMatchObject({ next: 7, malformed: expect.stringMatching(/Invalid Closing Quote/) });
  });
});
