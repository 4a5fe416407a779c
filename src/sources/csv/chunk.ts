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

/** Accumulates rows of one slice; `take()` hands the columns over and starts afresh. */
export class ChunkBuilder {
  private cap: number;
  private n = 0;
  private used = 0;
  private id!: Float64Array;
  private run!: Int32Array;
  private ls!: Int32Array;
  private title: string[] = [];
  private entries!: Float64Array;
  private xMin!: Float64Array;
  private xMax!: Float64Array;
  private xBin!: Int32Array;
  private yMin!: Float64Array;
  private yMax!: Float64Array;
  private yBin!: Int32Array;
  private offsets!: Int32Array;
  private values!: Float32Array | Float64Array;
  consumed = 0;
  rejects: ChunkReject[] = [];
  badRows: BadRow[] = [];
  /** Shape of the first row ([y, x] or [x]); a tensor chunk holds one shape only. */
  shape: number[] | null = null;

  constructor(
    readonly slice: number,
    private readonly dims: 1 | 2,
    private readonly float32: boolean,
    private readonly sourceDataFile: number,
    capacity: number,
    private valuesPerRow: number,
  ) {
    this.cap = Math.max(1, capacity);
    this.reset();
  }

  private reset(): void {
    const c = this.cap;
    this.n = 0;
    this.used = 0;
    this.id = new Float64Array(c);
    this.run = new Int32Array(c);
    this.ls = new Int32Array(c);
    this.title = [];
    this.entries = new Float64Array(c);
    this.xMin = new Float64Array(c);
    this.xMax = new Float64Array(c);
    this.xBin = new Int32Array(c);
    const y = this.dims === 2 ? c : 0;
    this.yMin = new Float64Array(y);
    this.yMax = new Float64Array(y);
    this.yBin = new Int32Array(y);
    this.offsets = new Int32Array(c + 1);
    const v = Math.max(16, c * Math.max(1, this.valuesPerRow));
    this.values = this.float32 ? new Float32Array(v) : new Float64Array(v);
    this.consumed = 0;
    this.rejects = [];
    this.badRows = [];
    this.shape = null;
  }

  /** Rows accepted so far. */
  get rows(): number {
    return this.n;
  }

  /** Room for `count` more values; returns the buffer and the position to write them at. */
  reserve(count: number): { out: Float32Array | Float64Array; pos: number } {
    if (this.used + count > this.values.length) {
      const grown = this.float32
        ? new Float32Array(Math.max(this.used + count, this.values.length * 2))
        : new Float64Array(Math.max(this.used + count, this.values.length * 2));
      grown.set(this.values.subarray(0, this.used));
      this.values = grown;
    }
    return { out: this.values, pos: this.used };
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
    const i = this.n++;
    this.id[i] = row.id;
    this.run[i] = row.run;
    this.ls[i] = row.ls;
    this.title.push(row.title);
    this.entries[i] = row.entries;
    this.xMin[i] = row.x_min;
    this.xMax[i] = row.x_max;
    this.xBin[i] = row.x_bin;
    if (this.dims === 2) {
      this.yMin[i] = row.y_min;
      this.yMax[i] = row.y_max;
      this.yBin[i] = row.y_bin;
    }
    this.offsets[i] = this.used;
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

  /** The chunk so far (its arrays trimmed), and a fresh builder state. */
  take(): HistogramChunk {
    const n = this.n;
    this.offsets[n] = this.used;
    const chunk: HistogramChunk = {
      slice: this.slice,
      rows: n,
      id: this.id.slice(0, n),
      run: this.run.slice(0, n),
      lumisection: this.ls.slice(0, n),
      title: this.title,
      entries: this.entries.slice(0, n),
      x_min: this.xMin.slice(0, n),
      x_max: this.xMax.slice(0, n),
      x_bin: this.xBin.slice(0, n),
      y_min: this.yMin.slice(0, this.dims === 2 ? n : 0),
      y_max: this.yMax.slice(0, this.dims === 2 ? n : 0),
      y_bin: this.yBin.slice(0, this.dims === 2 ? n : 0),
      source_data_file: this.sourceDataFile,
      data: this.used === this.values.length ? this.values : this.values.slice(0, this.used),
      dataOffsets: this.offsets.slice(0, n + 1),
      consumed: this.consumed,
      rejects: this.rejects,
      badRows: this.badRows,
    };
    this.reset();
    return chunk;
  }
}

/** The ArrayBuffers of a chunk, to transfer rather than copy. */
export function chunkTransferList(c: HistogramChunk): ArrayBuffer[] {
  return [
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
  ].map((a) => a.buffer as ArrayBuffer);
}
