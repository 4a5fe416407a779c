/**
 * Chunk buffers of the CSV export: a chunk's columns are views of two buffers (handed over without
 * copying), and buffers given back are reused for later chunks, in the builder and through the
 * worker pool, without changing what is parsed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferStash, ChunkBuilder, chunkTransferList, type HistogramChunk } from '../../../src/sources/csv/chunk.js';
import type { ParseTask } from '../../../src/sources/csv/parse-range.js';
import { CsvWorkerPool } from '../../../src/sources/csv/worker-pool.js';
import { COLUMNS } from '../../../src/transform/index.js';

const row = (i: number): Parameters<ChunkBuilder['commit']>[0] => ({
  id: 100 + i,
  run: 315000 + i,
  ls: i + 1,
  title: `t${i}`,
  entries: i * 10,
  x_min: -1,
  x_max: 1,
  x_bin: 2,
  y_min: -2,
  y_max: 2,
  y_bin: 3,
});

function fill(b: ChunkBuilder, rows: number, start = 0): void {
  for (let i = start; i < start + rows; i++) {
    const { out, pos } = b.reserve(6);
    for (let k = 0; k < 6; k++) out[pos + k] = i * 6 + k;
    b.commit(row(i), 6);
  }
}

describe('ChunkBuilder buffers', () => {
  it('hands a chunk over as views of two buffers, without copies, with every column right', () => {
    const stash = new BufferStash();
    const b = new ChunkBuilder(3, 2, true, 7, 4, 6, stash);
    fill(b, 3);
    const c = b.take();
    expect(c.rows).toBe(3);
    expect([...c.id]).toEqual([100, 101, 102]);
    expect([...c.run]).toEqual([315000, 315001, 315002]);
    expect([...c.lumisection]).toEqual([1, 2, 3]);
    expect(c.title).toEqual(['t0', 't1', 't2']);
    expect([...c.y_bin]).toEqual([3, 3, 3]);
    expect([...c.dataOffsets]).toEqual([0, 6, 12, 18]);
    expect([...c.data]).toEqual(Array.from({ length: 18 }, (_, i) => i));
    expect(c.data).toBeInstanceOf(Float32Array);
    const buffers = chunkTransferList(c);
    // One buffer for the scalar columns, one for the values: structured clone refuses duplicates.
    expect(buffers).toHaveLength(2);
    expect(buffers).toContain(c.data.buffer);
    expect(buffers).toContain(c.id.buffer);
  });

  it('reuses buffers given back, and starts a chunk with no rows without taking any', () => {
    const stash = new BufferStash();
    const b = new ChunkBuilder(0, 1, false, 1, 2, 6, stash);
    fill(b, 2);
    const first = b.take();
    const given = chunkTransferList(first);
    stash.give(given);
    expect(stash.size).toBe(2);
    fill(b, 1, 5);
    const second = b.take();
    expect(chunkTransferList(second).sort((x, y) => x.byteLength - y.byteLength)).toEqual(
      given.sort((x, y) => x.byteLength - y.byteLength),
    );
    expect(second.rows).toBe(1);
    expect([...second.id]).toEqual([105]);
    expect(second.y_bin).toHaveLength(0);
    expect(stash.size).toBe(0);
    // Rejects only: an empty chunk, no buffer taken from the stash.
    stash.give(chunkTransferList(second));
    b.consumed = 1;
    b.badRows.push({ line: 9, reason: 'bad' });
    const empty = b.take();
    expect(empty.rows).toBe(0);
    expect(empty.badRows).toEqual([{ line: 9, reason: 'bad' }]);
    expect(stash.size).toBe(2);
  });

  it('grows the values buffer for a row larger than expected and keeps the smaller one for reuse', () => {
    const stash = new BufferStash();
    const b = new ChunkBuilder(0, 1, true, 1, 2, 2, stash);
    const { out, pos } = b.reserve(40);
    for (let k = 0; k < 40; k++) out[pos + k] = k;
    b.commit({ ...row(0), x_bin: 40 }, 40);
    const c = b.take();
    expect([...c.data]).toEqual(Array.from({ length: 40 }, (_, k) => k));
    expect(stash.size).toBe(1);
  });

  it('keeps at most `limit` buffers and ignores tiny ones', () => {
    const stash = new BufferStash(2);
    stash.give([new ArrayBuffer(4), new ArrayBuffer(1024), new ArrayBuffer(1024), new ArrayBuffer(1024)]);
    expect(stash.size).toBe(2);
    expect(stash.take(1024).byteLength).toBe(1024);
    expect(stash.size).toBe(1);
  });
});

describe('CsvWorkerPool buffer recycling', () => {
  let dir: string;
  let path: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'csv-chunk-buffers-'));
    path = join(dir, 'h.csv');
    const lines = ['fromrun,fromlumi,hname,metype,histo,entries,Xmax,Xmin,Xbins,Ymax,Ymin,Ybins'];
    for (let i = 0; i < 40; i++) {
      const values = Array.from({ length: 4 * 5 }, (_, k) => (i * 31 + k * 7) % 97);
      lines.push(`315000,${i + 1},t,6,"[${values.join(', ')}]",${i},1.5,-1.5,3,1.0,-1.0,2`);
    }
    await writeFile(path, lines.join('\n') + '\n');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('parses the same chunks again after their buffers went back to the workers', async () => {
    const pool = new CsvWorkerPool(2);
    try {
      const scan = await pool.scan(path, { blockBytes: 4096, rangeBytes: 1 << 20 });
      const range = scan.ranges[0];
      const task: ParseTask = {
        path,
        start: range.start,
        end: range.end,
        line: range.line,
        row: range.row,
        columns: scan.columns,
        fileDim: 2,
        route: new Int32Array(range.rows),
        idBase: 1,
        fileId: 1,
        float32: true,
        fixedShape: true,
        batchRows: 7,
        valuesPerRow: scan.valuesPerRow,
        blockBytes: 4096,
        badRows: 'fail',
        strict: false,
        catalogue: [...COLUMNS.lumisection_histograms_2d],
      };
      const plain = (c: HistogramChunk): unknown => ({
        rows: c.rows,
        id: [...c.id],
        ls: [...c.lumisection],
        data: [...c.data],
        offsets: [...c.dataOffsets],
      });
      const runs: unknown[][] = [];
      for (let pass = 0; pass < 4; pass++) {
        const seen: unknown[] = [];
        await pool.parse(task, (chunk) => {
          seen.push(plain(chunk));
          pool.recycle(chunkTransferList(chunk));
          // Transferred back: the views are detached and must not be read any more.
          expect(chunk.data.length).toBe(0);
        });
        runs.push(seen);
      }
      expect(runs[0]).toHaveLength(6);
      for (const r of runs.slice(1)) expect(r).toEqual(runs[0]);
      expect((runs[0][0] as { id: number[] }).id).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect((runs[0][0] as { data: number[] }).data.slice(0, 6)).toEqual([42, 49, 56, 77, 84, 91]);
    } finally {
      await pool.close();
    }
  });
});
