/**
 * The histogram `data` column. Values are checked and copied in one pass straight into one growing
 * Float64Array/Float32Array per batch, and the Arrow data is assembled with `makeData` from that
 * buffer plus int32 offsets: a 72 x 56 histogram is 4032 values, and a per-value builder call would
 * dominate the export (bench/load.ts measures both).
 */
import { Field, FixedSizeList, Float32, Float64, List, makeData, type Data, type DataType } from 'apache-arrow';
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

/** The Arrow type of `data` for a layout; `shape` (`[x]` or `[y, x]`) is needed for tensors only. */
export function histogramDataType(layout: Layout, dtype: Dtype, dims: 1 | 2, shape?: readonly number[]): DataType {
  const item = itemField(dtype);
  if (layout === 'tensor') {
    if (!shape) throw new Error('histogramDataType: the tensor layout needs a shape');
    return new FixedSizeList(shape.reduce((a, b) => a * b, 1), item);
  }
  if (layout === 'nested' && dims === 2) return new List(new Field('item', new List(item), true));
  return new List(item);
}

/** True when `v` is a finite number (`v - v` is NaN for NaN and ±Infinity). */
function finite(v: unknown): v is number {
  return typeof v === 'number' && v - v === 0;
}

/** Accumulates the `data` of accepted records for one batch. */
export class HistogramDataAccumulator {
  private values: Float64Array | Float32Array;
  private used = 0;
  /** Value offsets per record (flat, 1D nested) or per row (2D nested). */
  private readonly valueOffsets: number[] = [0];
  /** Row offsets per record (2D nested only). */
  private readonly rowOffsets: number[] = [0];
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
  }

  private allocate(n: number): Float64Array | Float32Array {
    return this.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  }

  private reserve(n: number): void {
    if (this.used + n <= this.values.length) return;
    if (this.used + n > 0x7fffffff) throw new RangeError('histogram data: more than 2^31 values in one batch; use smaller batches');
    const grown = this.allocate(Math.max(this.used + n, this.values.length * 2));
    grown.set(this.values.subarray(0, this.used));
    this.values = grown;
  }

  /** True when a record of this shape may join the batch (always, except a different tensor shape). */
  accepts(xBin: number, yBin: number | null): boolean {
    if (this.layout !== 'tensor' || this.shape === null) return true;
    return this.dims === 1 ? this.shape[0] === xBin : this.shape[0] === yBin && this.shape[1] === xBin;
  }

  /**
   * Checks `data` against `x_bin` (and `y_bin` rows for 2D) and copies it. Returns null when accepted,
   * or the reason and the offending field path; a refused record leaves nothing behind.
   */
  append(data: unknown, xBin: number, yBin: number | null): { reason: string; field: string } | null {
    const start = this.used;
    if (!Array.isArray(data)) return { reason: `expected ${this.dims === 1 ? 'a list of numbers' : 'a list of rows'}, got ${data === null ? 'null' : typeof data}`, field: 'data' };
    if (this.dims === 1) {
      if (data.length !== xBin) return { reason: `expected x_bin=${xBin} values, got ${data.length}`, field: 'data' };
      this.reserve(xBin);
      const buf = this.values;
      for (let i = 0; i < xBin; i++) {
        const v = data[i];
        if (!finite(v)) return { reason: `expected a finite number, got ${JSON.stringify(v) ?? 'undefined'}`, field: `data[${i}]` };
        buf[start + i] = v;
      }
      this.used = start + xBin;
      this.valueOffsets.push(this.used);
    } else {
      const y = yBin as number;
      if (data.length !== y) return { reason: `expected y_bin=${y} rows, got ${data.length}`, field: 'data' };
      this.reserve(xBin * y);
      const buf = this.values;
      let pos = start;
      for (let iy = 0; iy < y; iy++) {
        const row: unknown = data[iy];
        if (!Array.isArray(row)) return { reason: `expected a row of x_bin=${xBin} numbers, got ${row === null ? 'null' : typeof row}`, field: `data[${iy}]` };
        if (row.length !== xBin) return { reason: `expected x_bin=${xBin} values, got ${row.length}`, field: `data[${iy}]` };
        for (let ix = 0; ix < xBin; ix++) {
          const v = row[ix];
          if (!finite(v)) return { reason: `expected a finite number, got ${JSON.stringify(v) ?? 'undefined'}`, field: `data[${iy}][${ix}]` };
          buf[pos + ix] = v;
        }
        pos += xBin;
      }
      this.used = pos;
      if (this.layout === 'nested') {
        for (let iy = 1; iy <= y; iy++) this.valueOffsets.push(start + iy * xBin);
        this.rows += y;
        this.rowOffsets.push(this.rows);
      } else {
        this.valueOffsets.push(this.used);
      }
    }
    if (this.shape === null) this.shape = this.dims === 1 ? [xBin] : [yBin as number, xBin];
    this.count++;
    return null;
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
      return makeData({ type, length: this.count, child, nullCount: 0 });
    }
    const list = type as List;
    if (this.layout === 'nested' && this.dims === 2) {
      const inner = makeData({ type: list.children[0].type as List, length: this.rows, valueOffsets: Int32Array.from(this.valueOffsets), child, nullCount: 0 });
      return makeData({ type: list, length: this.count, valueOffsets: Int32Array.from(this.rowOffsets), child: inner, nullCount: 0 });
    }
    return makeData({ type: list, length: this.count, valueOffsets: Int32Array.from(this.valueOffsets), child, nullCount: 0 });
  }
}
