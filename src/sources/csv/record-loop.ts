/**
 * Sequential reading of a byte range of a file in large blocks (one reused buffer, grown only for a
 * record larger than it), handing each complete CSV record to a visitor. Large sequential reads
 * are what page cache and network filesystems (EOS, CephFS) serve fastest. Synchronous: it runs in
 * worker threads, where blocking a thread is the point.
 */
import { readSync } from 'node:fs';
import { Cells, NEED_MORE, bomLength, skipEmptyLines } from './record-cut.js';

/** Called for each record with its cells (byte ranges into `buf`), its first line and byte offset in the file. */
export type RecordVisitor = (buf: Buffer, cells: Cells, line: number, offset: number) => void;

/** How a range ended. */
export interface LoopEnd {
  /** Line number after the last record (1-based: the line the next record would start on). */
  nextLine: number;
  /** Set when the range ends inside a record (an unclosed quote at the end of the file): its first line. */
  unfinishedLine: number | null;
  /** True when the last byte of the range is a line end (a file being copied usually is not). */
  endsWithNewline: boolean;
}

/** Options of `forEachRecord`. */
export interface LoopOptions {
  /** File descriptor, opened for reading. */
  fd: number;
  /** First byte of the range: the start of a record (or of the file, BOM and header included). */
  start: number;
  /** End of the range (exclusive): the end of a record or of the file. */
  end: number;
  /** 1-based line of the first record. */
  line: number;
  /** Read size in bytes. */
  blockBytes: number;
  /** Cell capacity of a record (more cells are counted, not stored). */
  cellCapacity?: number;
}

/**
 * The thread's read buffer, reused by every call (ranges and scans of a worker run one at a time,
 * and visitors use the buffer only while they are called). A fresh 4 MiB buffer per range is above
 * glibc's mmap threshold, so each of its pages was faulted in again by the read that filled it:
 * ~0.2 s of CPU, kernel time, per 0.5 GB file (perf, docs/decisions.md). A buffer grown for a huge
 * record is kept too, up to `MAX_KEPT_BYTES`.
 */
let kept: Buffer | null = null;
const MAX_KEPT_BYTES = 64 << 20;

/** A buffer of at least `bytes` bytes: the kept one if it is large enough. */
function readBuffer(bytes: number): Buffer {
  if (kept && kept.length >= bytes) return kept;
  const buf = Buffer.allocUnsafeSlow(bytes);
  if (bytes <= MAX_KEPT_BYTES) kept = buf;
  return buf;
}

/** Reads `[start, end)` and visits every record in order. */
export function forEachRecord(o: LoopOptions, visit: RecordVisitor): LoopEnd {
  let buf = readBuffer(Math.max(1024, Math.min(o.blockBytes, o.end - o.start + 1)));
  const cells = new Cells(o.cellCapacity ?? 32);
  const lines = { n: o.line };
  let filled = 0;
  let filePos = o.start;
  /** File offset of buf[0]. */
  let base = o.start;
  let p = 0;
  let first = o.start === 0;
  let lastByte = -1;
  for (;;) {
    if (filePos < o.end && filled < buf.length) {
      const n = readSync(o.fd, buf, filled, Math.min(buf.length - filled, o.end - filePos), filePos);
      if (n === 0)
        throw Object.assign(new Error(`file shrank while reading (expected ${o.end} bytes, got ${filePos})`), {
          code: 'E_SHRUNK',
        });
      filled += n;
      filePos += n;
      lastByte = buf[filled - 1];
    }
    if (first) {
      p = bomLength(buf, filled);
      first = false;
    }
    const atEof = filePos >= o.end;
    for (;;) {
      p = skipEmptyLines(buf, p, filled, lines);
      if (p >= filled) break;
      if (!atEof && p === filled - 1 && buf[p] === 13) break; // a CR whose LF is in the next block
      const next = cells.cut(buf, p, filled, atEof);
      if (next === NEED_MORE) break;
      visit(buf, cells, lines.n, base + p);
      lines.n += cells.newlines;
      p = next;
    }
    if (atEof) {
      return {
        nextLine: lines.n,
        unfinishedLine: p < filled ? lines.n : null,
        endsWithNewline: lastByte === 10 || lastByte === -1,
      };
    }
    if (p === 0 && filled === buf.length) {
      // One record larger than the buffer: grow it (rare; a histogram of millions of bins).
      const grown = Buffer.allocUnsafeSlow(buf.length * 2);
      buf.copy(grown, 0, 0, filled);
      if (grown.length <= MAX_KEPT_BYTES) kept = grown;
      buf = grown;
    } else {
      buf.copy(buf, 0, p, filled);
      filled -= p;
      base += p;
      p = 0;
    }
  }
}
