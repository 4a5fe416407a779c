/**
 * A chunk: the accepted rows of one slice from one byte range, as typed columns (the histogram
 * values already stripped of flow bins), posted from a parse worker to the main thread, which turns
 * it into an Arrow RecordBatch (chunk-batch.ts). Built row by row in the worker by ChunkBuilder.
 */

/** Rows of one slice, column by column. Every array has `rows` entries (`dataOffsets`: rows + 1). */
export interface HistogramChunk {
  /** Index of the slice in the task's slice list. */
  slice: number;
  rows: number;
  id: Float64Array;
  run: Int32Array;
  lumisection: Int32Array;
  title: string[];
  entries: Float64Array;
  x_min: Float64Array;
  x_max: Float64Array;
  x_bin: Int32Array;
  /** 2D only (empty for 1D). */
  y_min: Float64Array;
  y_max: Float64Array;
  y_bin: Int32Array;
  /** The data file id of every row (one file per chunk). */
  source_data_file: number;
  /** Kept histogram values, row-major, row after row. */
  data: Float32Array | Float64Array;
  /** Start of each row's values in `data`, plus the end. */
  dataOffsets: Int32Array;
  /** Routed rows this chunk accounts for: accepted, rejected and bad ones. */
  consumed: number;
  /** Records refused by the column checks (they are in no column). */
  rejects: ChunkReject[];
  /** Bad rows, in `bad_rows: reject` mode. */
  badRows: BadRow[];
}

/** A record refused by the transform's column checks, as the rejects file lists it. */
export interface ChunkReject {
  id: number;
  reason: string;
  field?: string;
  /** Position of the row in the file's data rows. */
  index: number;
}

/** A CSV row that could not be read (wrong columns, bad histo...), with its line. */
export interface BadRow {
  line: number;
  reason: string;
}

/**
 * ArrayBuffers a worker reuses for its chunks: the main thread sends a chunk's buffers back once its
 * batch has been written, so a steady export allocates no new ones (fresh buffers on one thread
 * freed on another cost page faults, garbage collections driven by external memory, and RSS that
 * creeps up: docs/decisions.md). Keyed by byte length; bounded, extra buffers are dropped.
 */
export class BufferStash {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private held = 0;

  constructor(private readonly limit = 32) {}

  /** A buffer of exactly `bytes` bytes (zeroed only when new: callers overwrite what they use). */
  take(bytes: number): ArrayBuffer {
    const list = this.free.get(bytes);
    const b = list?.pop();
    if (b) {
      this.held--;
      return b;
    }
    return new ArrayBuffer(bytes);
  }

  /** Keeps `buffers` for reuse (detached ones, and any past the limit, are dropped). */
  give(buffers: readonly ArrayBuffer[]): void {
    for (const b of buffers) {
      if (this.held >= this.limit || b.byteLength < 64) continue;
      let list = this.free.get(b.byteLength);
      if (!list) this.free.set(b.byteLength, (list = []));
      list.push(b);
      this.held++;
    }
  }

  /** Buffers held. */
  get size(): number {
    return this.held;
  }
}

/** The stash of this thread (each worker has its own module instance). */
export const chunkBuffers = new BufferStash();

/** Typed-array views of one chunk's scalar columns, laid out in one buffer. */
interface ColumnViews {
  id: Float64Array;
  entries: Float64Array;
  xMin: Float64Array;
  xMax: Float64Array;
  yMin: Float64Array;
  yMax: Float64Array;
  run: Int32Array;
  ls: Int32Array;
  xBin: Int32Array;
  yBin: Int32Array;
  offsets: Int32Array;
}

/** Bytes of the scalar-column buffer of a chunk of `cap` rows. */
function columnBytes(cap: number): number {
  return 6 * 8 * cap + 4 * 4 * cap + 4 * (cap + 1);
}

function columnViews(buffer: ArrayBuffer, cap: number, twoD: boolean): ColumnViews {
  let at = 0;
  const f64 = (n: number): Float64Array => {
    const a = new Float64Array(buffer, at, n);
    at += 8 * cap;
    return a;
  };
  const id = f64(cap);
  const entries = f64(cap);
  const xMin = f64(cap);
  const xMax = f64(cap);
  const yMin = f64(twoD ? cap : 0);
  const yMax = f64(twoD ? cap : 0);
  const i32 = (n: number, room = cap): Int32Array => {
    const a = new Int32Array(buffer, at, n);
    at += 4 * room;
    return a;
  };
  const run = i32(cap);
  const ls = i32(cap);
  const xBin = i32(cap);
  const yBin = i32(twoD ? cap : 0);
  const offsets = i32(cap + 1, cap + 1);
  return { id, entries, xMin, xMax, yMin, yMax, run, ls, xBin, yBin, offsets };
}

/**
 * Accumulates rows of one slice; `take()` hands the columns over (views of two buffers, transferred
 * without copying) and starts afresh. Buffers come from `chunkBuffers` when the first row arrives.
 */
export class ChunkBuilder {
  private readonly cap: number;
  private n = 0;
  private used = 0;
  private columns: ArrayBuffer | null = null;
  private v: ColumnViews | null = null;
  private title: string[] = [];
  private values: Float32Array | Float64Array | null = null;
  consumed = 0;
  rejects: ChunkReject[] = [];
  badRows: BadRow[] = [];
  /** Shape of the first row ([y, x] or [x]); a chunk of a fixed-shape layout (tensor, array) holds one shape only. */
  shape: number[] | null = null;

  constructor(
    readonly slice: number,
    private readonly dims: 1 | 2,
    private readonly float32: boolean,
    private readonly sourceDataFile: number,
    capacity: number,
    private valuesPerRow: number,
    private readonly stash: BufferStash = chunkBuffers,
  ) {
    this.cap = Math.max(1, capacity);
  }

  private get elementBytes(): number {
    return this.float32 ? 4 : 8;
  }

  private valuesOf(buffer: ArrayBuffer): Float32Array | Float64Array {
    return this.float32 ? new Float32Array(buffer) : new Float64Array(buffer);
  }

  /** The column buffers, taken from the stash on first use. */
  private views(): ColumnViews {
    if (!this.v) {
      this.columns = this.stash.take(columnBytes(this.cap));
      this.v = columnViews(this.columns, this.cap, this.dims === 2);
      const count = Math.max(16, this.cap * Math.max(1, this.valuesPerRow));
      this.values = this.valuesOf(this.stash.take(count * this.elementBytes));
    }
    return this.v;
  }

  /** Rows accepted so far. */
  get rows(): number {
    return this.n;
  }

  /** Room for `count` more values; returns the buffer and the position to write them at. */
  reserve(count: number): { out: Float32Array | Float64Array; pos: number } {
    this.views();
    let values = this.values!;
    if (this.used + count > values.length) {
      const grown = this.valuesOf(new ArrayBuffer(Math.max(this.used + count, values.length * 2) * this.elementBytes));
      grown.set(values.subarray(0, this.used));
      this.stash.give([values.buffer as ArrayBuffer]);
      this.values = values = grown;
    }
    return { out: values, pos: this.used };
  }

  /** Adds a row whose `count` values were written at the position `reserve` gave. */
  commit(
    row: {
      id: number;
      run: number;
      ls: number;
      title: string;
      entries: number;
      x_min: number;
      x_max: number;
      x_bin: number;
      y_min: number;
      y_max: number;
      y_bin: number;
    },
    count: number,
  ): void {
    const v = this.views();
    const i = this.n++;
    v.id[i] = row.id;
    v.run[i] = row.run;
    v.ls[i] = row.ls;
    this.title.push(row.title);
    v.entries[i] = row.entries;
    v.xMin[i] = row.x_min;
    v.xMax[i] = row.x_max;
    v.xBin[i] = row.x_bin;
    if (this.dims === 2) {
      v.yMin[i] = row.y_min;
      v.yMax[i] = row.y_max;
      v.yBin[i] = row.y_bin;
    }
    v.offsets[i] = this.used;
    this.used += count;
    this.valuesPerRow = count;
    if (this.shape === null) this.shape = this.dims === 1 ? [row.x_bin] : [row.y_bin, row.x_bin];
  }

  /** True when full. */
  get full(): boolean {
    return this.n >= this.cap;
  }

  /** True when anything (rows, rejects, bad rows, consumed rows) is waiting to be posted. */
  get pending(): boolean {
    return this.n > 0 || this.consumed > 0;
  }

  /** The chunk so far, as views of its buffers (no copy), and a fresh builder state. */
  take(): HistogramChunk {
    const n = this.n;
    const y = this.dims === 2 ? n : 0;
    let chunk: HistogramChunk;
    if (this.v) {
      const v = this.v;
      v.offsets[n] = this.used;
      chunk = {
        slice: this.slice,
        rows: n,
        id: v.id.subarray(0, n),
        run: v.run.subarray(0, n),
        lumisection: v.ls.subarray(0, n),
        title: this.title,
        entries: v.entries.subarray(0, n),
        x_min: v.xMin.subarray(0, n),
        x_max: v.xMax.subarray(0, n),
        x_bin: v.xBin.subarray(0, n),
        y_min: v.yMin.subarray(0, y),
        y_max: v.yMax.subarray(0, y),
        y_bin: v.yBin.subarray(0, y),
        source_data_file: this.sourceDataFile,
        data: this.values!.subarray(0, this.used),
        dataOffsets: v.offsets.subarray(0, n + 1),
        consumed: this.consumed,
        rejects: this.rejects,
        badRows: this.badRows,
      };
    } else {
      // Only rejects or bad rows: no buffers were taken.
      chunk = emptyChunk(this.slice, this.sourceDataFile, this.float32);
      chunk.consumed = this.consumed;
      chunk.rejects = this.rejects;
      chunk.badRows = this.badRows;
    }
    this.n = 0;
    this.used = 0;
    this.columns = null;
    this.v = null;
    this.values = null;
    this.title = [];
    this.consumed = 0;
    this.rejects = [];
    this.badRows = [];
    this.shape = null;
    return chunk;
  }
}

/** A chunk of no rows (rejects and bad rows only). */
function emptyChunk(slice: number, sourceDataFile: number, float32: boolean): HistogramChunk {
  return {
    slice,
    rows: 0,
    id: new Float64Array(0),
    run: new Int32Array(0),
    lumisection: new Int32Array(0),
    title: [],
    entries: new Float64Array(0),
    x_min: new Float64Array(0),
    x_max: new Float64Array(0),
    x_bin: new Int32Array(0),
    y_min: new Float64Array(0),
    y_max: new Float64Array(0),
    y_bin: new Int32Array(0),
    source_data_file: sourceDataFile,
    data: float32 ? new Float32Array(0) : new Float64Array(0),
    dataOffsets: new Int32Array(1),
    consumed: 0,
    rejects: [],
    badRows: [],
  };
}

/** The distinct ArrayBuffers under a chunk's columns: transferred rather than copied, then recycled. */
export function chunkTransferList(c: HistogramChunk): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const a of [
    c.id,
    c.run,
    c.lumisection,
    c.entries,
    c.x_min,
    c.x_max,
    c.x_bin,
    c.y_min,
    c.y_max,
    c.y_bin,
    c.data,
    c.dataOffsets,
  ])
    if (a.buffer.byteLength > 0) buffers.add(a.buffer as ArrayBuffer);
  return [...buffers];
}
