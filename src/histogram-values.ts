/**
 * A histogram's `data` as the page decoder (src/extract/decode-page.ts) delivers it: the values in
 * one Float64Array instead of a JS array (of rows) of numbers. The transform copies it with one
 * `.set()`; anything else that looks at the record sees the JSON it came from through `toJSON`, so
 * `JSON.stringify` of a record is the same either way.
 */
export class PackedHistogramData {
  /**
   * @param values every value, row-major, exactly the doubles JSON.parse gives
   * @param rows number of rows for 2D data (`[[...], ...]`), null for 1D data (`[...]`)
   * @param cols values per row (1D: the length)
   */
  constructor(
    readonly values: Float64Array,
    readonly rows: number | null,
    readonly cols: number,
  ) {}

  /** The data as JSON.parse would have given it: a list of numbers (1D) or a list of rows (2D). */
  toJSON(): number[] | number[][] {
    if (this.rows === null) return Array.from(this.values);
    const out: number[][] = [];
    for (let r = 0; r < this.rows; r++) out.push(Array.from(this.values.subarray(r * this.cols, (r + 1) * this.cols)));
    return out;
  }
}
