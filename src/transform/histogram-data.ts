/**
 * The histogram `data` column. Values are checked and copied in one pass straight into one growing
 * Float64Array/Float32Array per batch, and the Arrow data is assembled with `makeData` from that
 * buffer plus int32 offsets: a 72 x 56 histogram is 4032 values, and a per-value builder call would
 * dominate the export (bench/load.ts measures both).
 */
import { Field, FixedSizeList, Float32, Float64, List, makeData, type Data, type DataType } from 'apache-arrow';
import { PackedHistogramData } from '../histogram-values.js';
import type { Dtype, Layout } from './spec.js';

/** Field metadata that makes pyarrow and Ray read a fixed-size list as a tensor. */
export function tensorMetadata(shape: readonly number[]): Map<string, string> {
  return new Map([
    ['ARROW:extension:name', 'arrow.fixed_shape_tensor'],
    ['ARROW:extension:metadata', JSON.stringify({ shape })],
  ]);
}

/**
 * The element field. It must be named `item` and be nullable: pyarrow restores the tensor extension
 * only for the canonical storage type `fixed_size_list<item: float, nullable>` (checked).
 */
function itemField(dtype: Dtype): Field {
  return new Field('item', dtype === 'float32' ? new Float32() : new Float64(), true);
}

/** True for the layouts whose rows all have one shape within a batch (`tensor` and `array`). */
export function isFixedShape(layout: Layout): boolean {
  return layout === 'tensor' || layout === 'array';
}

/**
 * The Arrow type of `data` for a layout; `shape` (`[x]` or `[y, x]`) is needed for the fixed-shape
 * layouts only. `array` nests one fixed-size list per dimension, so a reader that knows no tensor
 * extension (Hugging Face `datasets`, polars, DuckDB) still sees `[y][x]` (docs/decisions.md).
 */
export function histogramDataType(layout: Layout, dtype: Dtype, dims: 1 | 2, shape?: readonly number[]): DataType {
  const item = itemField(dtype);
  if (layout === 'tensor') {
    if (!shape) throw new Error('histogramDataType: the tensor layout needs a shape');
    return new FixedSizeList(
      shape.reduce((a, b) => a * b, 1),
      item,
    );
  }
  if (layout === 'array') {
    if (!shape) throw new Error('histogramDataType: the array layout needs a shape');
    if (dims === 1) return new FixedSizeList(shape[0]!, item);
    return new FixedSizeList(shape[0]!, new Field('item', new FixedSizeList(shape[1]!, item), true));
  }
  if (layout === 'nested' && dims === 2) return new List(new Field('item', new List(item), true));
  return new List(item);
}

/**
 * Copies `n` values of `row` into `buf` at `pos` while checking each is a finite number (`v - v` is
 * NaN for NaN and ±Infinity). Returns the index of the first bad value, or -1. A plain function over
 * a JS array of doubles: the hot loop of the whole export.
 */
function copyFinite(buf: Float64Array | Float32Array, pos: number, row: readonly unknown[], n: number): number {
  for (let i = 0; i < n; i++) {
    const v = row[i];
    if (typeof v !== 'number' || v - v !== 0) return i;
    buf[pos + i] = v;
  }
  return -1;
}

/** True when every value is finite (`v - v` is NaN for NaN and ±Infinity). */
function allFinite(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) return false;
  }
  return true;
}

/** An int32 offsets buffer that grows by doubling. */
class Offsets {
  private data: Int32Array;
  length = 1;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(2, capacity + 1));
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  /** The offsets pushed so far, starting with 0. */
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

/** Accumulates the `data` of accepted records for one batch. */
export class HistogramDataAccumulator {
  private values: Float64Array | Float32Array;
  private used = 0;
  /** Value offsets per record (flat, 1D nested) or per row (2D nested). */
  private readonly valueOffsets: Offsets;
  /** Row offsets per record (2D nested only). */
  private readonly rowOffsets: Offsets;
  private rows = 0;
  private count = 0;
  /** Shape of the first accepted record; every record of a tensor batch must match it. */
  shape: number[] | null = null;

  constructor(
    private readonly layout: Layout,
    private readonly dtype: Dtype,
    private readonly dims: 1 | 2,
    expectedValues: number,
  ) {
    this.values = this.allocate(Math.max(16, expectedValues));
    this.valueOffsets = new Offsets(64);
    this.rowOffsets = new Offsets(16);
  }

  private allocate(n: number): Float64Array | Float32Array {
    return this.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  }

  private reserve(n: number): void {
    if (this.used + n <= this.values.length) return;
    if (this.used + n > 0x7fffffff)
      throw new RangeError('histogram data: more than 2^31 values in one batch; use smaller batches');
    const grown = this.allocate(Math.max(this.used + n, this.values.length * 2));
    grown.set(this.values.subarray(0, this.used));
    this.values = grown;
  }

  /** True when a record of this shape may join the batch (always, except a different tensor or array shape). */
  accepts(xBin: number, yBin: number | null): boolean {
    if (!isFixedShape(this.layout) || this.shape === null) return true;
    return this.dims === 1 ? this.shape[0] === xBin : this.shape[0] === yBin && this.shape[1] === xBin;
  }

  /**
   * Checks `data` against `x_bin` (and `y_bin` rows for 2D) and copies it. Returns null when accepted,
   * or the reason and the offending field path; a refused record leaves nothing behind.
   */
  append(data: unknown, xBin: number, yBin: number | null): { reason: string; field: string } | null {
    if (data instanceof PackedHistogramData) {
      if (this.appendPacked(data, xBin, yBin)) return null;
      // A shape or value the checks below refuse: they name the field, from the JSON arrays.
      data = data.toJSON();
    }
    const start = this.used;
    if (!Array.isArray(data))
      return {
        reason: `expected ${this.dims === 1 ? 'a list of numbers' : 'a list of rows'}, got ${data === null ? 'null' : typeof data}`,
        field: 'data',
      };
    if (this.dims === 1) {
      if (data.length !== xBin) return { reason: `expected x_bin=${xBin} values, got ${data.length}`, field: 'data' };
      this.reserve(xBin);
      const bad = copyFinite(this.values, start, data, xBin);
      if (bad >= 0)
        return {
          reason: `expected a finite number, got ${JSON.stringify(data[bad]) ?? 'undefined'}`,
          field: `data[${bad}]`,
        };
      this.commit(start, xBin, null);
    } else {
      const y = yBin as number;
      if (data.length !== y) return { reason: `expected y_bin=${y} rows, got ${data.length}`, field: 'data' };
      this.reserve(xBin * y);
      const buf = this.values;
      for (let iy = 0, pos = start; iy < y; iy++, pos += xBin) {
        const row: unknown = data[iy];
        if (!Array.isArray(row))
          return {
            reason: `expected a row of x_bin=${xBin} numbers, got ${row === null ? 'null' : typeof row}`,
            field: `data[${iy}]`,
          };
        if (row.length !== xBin)
          return { reason: `expected x_bin=${xBin} values, got ${row.length}`, field: `data[${iy}]` };
        const bad = copyFinite(buf, pos, row, xBin);
        if (bad >= 0)
          return {
            reason: `expected a finite number, got ${JSON.stringify(row[bad]) ?? 'undefined'}`,
            field: `data[${iy}][${bad}]`,
          };
      }
      this.commit(start, xBin, y);
    }
    return null;
  }

  /**
   * Records the values just copied at `start` (`x_bin` of them, or `y_bin` rows of `x_bin`) as one
   * more histogram: its offsets (per row for nested 2D), the batch's shape, the count.
   */
  private commit(start: number, xBin: number, yBin: number | null): void {
    this.used = start + xBin * (yBin ?? 1);
    if (yBin !== null && this.layout === 'nested') {
      for (let iy = 1; iy <= yBin; iy++) this.valueOffsets.push(start + iy * xBin);
      this.rows += yBin;
      this.rowOffsets.push(this.rows);
    } else {
      this.valueOffsets.push(this.used);
    }
    if (this.shape === null) this.shape = yBin === null ? [xBin] : [yBin, xBin];
    this.count++;
  }

  /**
   * Appends decoded values (src/extract/decode-page.ts) with one `.set()` when their shape is
   * `x_bin` (2D: `y_bin` rows of `x_bin`) and all are finite; false (nothing appended) otherwise.
   * Storing into a Float32Array rounds like the per-value assignment of `append`.
   */
  private appendPacked(data: PackedHistogramData, xBin: number, yBin: number | null): boolean {
    const fits = this.dims === 1 ? data.rows === null && data.cols === xBin : data.rows === yBin && data.cols === xBin;
    if (!fits || !allFinite(data.values)) return false;
    const start = this.used;
    this.reserve(data.values.length);
    this.values.set(data.values, start);
    this.commit(start, xBin, this.dims === 1 ? null : yBin);
    return true;
  }

  /** Number of accepted records. */
  get length(): number {
    return this.count;
  }

  /** The Arrow type of the accumulated column. */
  type(): DataType {
    return histogramDataType(this.layout, this.dtype, this.dims, this.shape ?? (this.dims === 1 ? [0] : [0, 0]));
  }

  /** Field metadata of the column: the tensor extension for the tensor layout, else none. */
  fieldMetadata(): Map<string, string> {
    return this.layout === 'tensor' ? tensorMetadata(this.shape ?? (this.dims === 1 ? [0] : [0, 0])) : new Map();
  }

  /** The Arrow data of everything accepted. */
  finish(): Data {
    const type = this.type();
    const values = this.values.subarray(0, this.used);
    const elemType = this.dtype === 'float32' ? new Float32() : new Float64();
    const child = makeData({ type: elemType, length: this.used, data: values, nullCount: 0 } as never) as Data;
    if (type instanceof FixedSizeList) {
      const inner = type.children[0]!.type;
      if (inner instanceof FixedSizeList) {
        // array layout, 2D: count x y rows of x values.
        const rows = makeData({ type: inner, length: this.count * (this.shape?.[0] ?? 0), child, nullCount: 0 });
        return makeData({ type, length: this.count, child: rows, nullCount: 0 });
      }
      return makeData({ type, length: this.count, child, nullCount: 0 });
    }
    const list = type as List;
    if (this.layout === 'nested' && this.dims === 2) {
      const inner = makeData({
        type: list.children[0].type as List,
        length: this.rows,
        valueOffsets: this.valueOffsets.view(),
        child,
        nullCount: 0,
      });
      return makeData({
        type: list,
        length: this.count,
        valueOffsets: this.rowOffsets.view(),
        child: inner,
        nullCount: 0,
      });
    }
    return makeData({ type: list, length: this.count, valueOffsets: this.valueOffsets.view(), child, nullCount: 0 });
  }
}
