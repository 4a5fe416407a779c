/**
 * Cutting CSV records out of a byte buffer, without copying: each record's cells as byte ranges.
 * RFC 4180 quoting (a quoted cell may hold commas, `""` and newlines; ML4DQM's `histo` cell is a
 * quoted JSON array), LF or CRLF line ends, empty lines skipped, as csv-parse reads these files.
 * A quoted cell is skipped with `indexOf('"')` (memchr), so a 17 KB `histo` cell costs one native
 * scan; only the short cells are walked byte by byte.
 */

/** The buffer ends inside the record: read more (or, at the end of the file, a truncated record). */
export const NEED_MORE = -1;

/** Byte ranges of the cells of one record. Reused from record to record. */
export class Cells {
  /** First byte of each cell (after the opening quote, for a quoted cell). */
  starts: Int32Array;
  /** End (exclusive) of each cell (before the closing quote). */
  ends: Int32Array;
  /** 0: plain; 1: quoted; 2: quoted with `""` escapes to undo. */
  quoting: Uint8Array;
  /** Cells in the record (may exceed the capacity: only the first `capacity` are stored). */
  count = 0;
  /** Newlines inside the record (1 for a one-line record ended by LF). */
  newlines = 0;
  /** Set when the record is not valid CSV; the record then ends at the next line end. */
  malformed: string | null = null;

  constructor(capacity = 32) {
    this.starts = new Int32Array(capacity);
    this.ends = new Int32Array(capacity);
    this.quoting = new Uint8Array(capacity);
  }

  private push(start: number, end: number, quoting: number): void {
    const i = this.count++;
    if (i < this.starts.length) {
      this.starts[i] = start;
      this.ends[i] = end;
      this.quoting[i] = quoting;
    }
  }

  /** Cell `i` as a string (quotes undone), UTF-8. */
  text(buf: Buffer, i: number): string {
    const s = buf.toString('utf8', this.starts[i], this.ends[i]);
    return this.quoting[i] === 2 ? s.replaceAll('""', '"') : s;
  }

  /**
   * Cuts the record starting at `pos` (not at an empty line: see `skipEmptyLines`). Returns the index
   * after its line end, or NEED_MORE when `buf[pos, end)` holds no complete record. With `atEof`, the
   * last record may end without a line end.
   */
  cut(buf: Buffer, pos: number, end: number, atEof: boolean): number {
    this.count = 0;
    this.newlines = 0;
    this.malformed = null;
    let p = pos;
    for (;;) {
      if (p < end && buf[p] === 34) {
        // Quoted cell: find the closing quote, stepping over "" escapes.
        const start = p + 1;
        let q = start;
        let escaped = false;
        for (;;) {
          q = buf.indexOf(34, q);
          if (q === -1 || q >= end) return NEED_MORE;
          if (q + 1 < end && buf[q + 1] === 34) {
            escaped = true;
            q += 2;
            continue;
          }
          if (q + 1 >= end && !atEof) return NEED_MORE;
          break;
        }
        // Newlines inside quotes keep the line count of later records right.
        for (let n = buf.indexOf(10, start); n !== -1 && n < q; n = buf.indexOf(10, n + 1)) this.newlines++;
        this.push(start, q, escaped ? 2 : 1);
        p = q + 1;
        if (p < end && buf[p] === 13) p++;
        if (p >= end) return atEof ? p : NEED_MORE;
        const b = buf[p];
        if (b === 44) {
          p++;
          continue;
        }
        if (b === 10) {
          this.newlines++;
          return p + 1;
        }
        return this.badRecord(
          buf,
          p,
          end,
          atEof,
          `Invalid Closing Quote: got "${String.fromCharCode(b)}" after a quoted field`,
        );
      }
      // Plain cell: up to the next comma or line end.
      const start = p;
      while (p < end) {
        const b = buf[p];
        if (b === 44 || b === 10) break;
        if (b === 34) return this.badRecord(buf, p, end, atEof, 'Invalid Opening Quote: a quote in an unquoted field');
        p++;
      }
      if (p >= end && !atEof) return NEED_MORE;
      const cellEnd = p > start && buf[p - 1] === 13 && (p >= end || buf[p] === 10) ? p - 1 : p;
      this.push(start, cellEnd, 0);
      if (p >= end) return p;
      if (buf[p] === 44) {
        p++;
        continue;
      }
      this.newlines++;
      return p + 1;
    }
  }

  private badRecord(buf: Buffer, p: number, end: number, atEof: boolean, reason: string): number {
    const nl = buf.indexOf(10, p);
    if (nl === -1 || nl >= end) {
      if (!atEof) return NEED_MORE;
      this.malformed = reason;
      return end;
    }
    this.malformed = reason;
    this.newlines++;
    return nl + 1;
  }
}

/** Skips empty lines (LF or CRLF only) from `pos`; returns the new position and counts them in `lines`. */
export function skipEmptyLines(buf: Buffer, pos: number, end: number, lines: { n: number }): number {
  let p = pos;
  for (;;) {
    if (p < end && buf[p] === 10) {
      lines.n++;
      p++;
    } else if (p + 1 < end && buf[p] === 13 && buf[p + 1] === 10) {
      lines.n++;
      p += 2;
    } else {
      return p;
    }
  }
}

/** Length of a UTF-8 byte order mark at the start of `buf`, or 0. */
export function bomLength(buf: Uint8Array, end: number): number {
  return end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
}
