/**
 * The first pass over one title's histograms: running per-bin sum, minimum and maximum (for the mean
 * and the percentile sketch's bucket ranges), the data checks, and the per-run lumisection tables.
 * Memory is a few arrays of the title's bin count plus a few bytes per lumisection: never a histogram
 * per record.
 */
import { LumisectionTable } from './lumisection-table.js';
import type { Bins } from './rows.js';
import type { CheckCounts } from './types.js';

/** Zero counts of every check. */
export function noChecks(): CheckCounts {
  return {
    emptyHistograms: 0,
    nanHistograms: 0,
    negativeHistograms: 0,
    zeroEntries: 0,
    missingLumisections: 0,
    duplicateKeys: 0,
    shapeMismatches: 0,
  };
}

/** What one scan of a histogram's bins found. */
export interface BinScan {
  /** A NaN or infinite bin. */
  nonFinite: boolean;
  /** A negative bin. */
  negative: boolean;
  /** Every bin is zero. */
  empty: boolean;
}

/** Scans a histogram's bins once for the checks. */
export function scanBins(values: Bins): BinScan {
  let nonFinite = false;
  let negative = false;
  let empty = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) nonFinite = true;
    else if (v < 0) negative = true;
    if (v !== 0) empty = false;
  }
  return { nonFinite, negative, empty: empty && !nonFinite };
}

/** One histogram record, as the first pass sees it. */
export interface HistogramRecord {
  run: number;
  lumisection: number;
  entries: number | null;
  values: Bins;
  shape: [number, number];
  ranges: { x: [number, number] | null; y: [number, number] | null };
}

/** Pass-one accumulator of one title. */
export class TitleStats {
  readonly checks = noChecks();
  readonly runs = new Map<number, LumisectionTable>();
  readonly shapes = new Map<string, number>();
  records = 0;
  /** Records added to the sums (finite bins, the title's shape). */
  inMean = 0;
  xBins = 0;
  yBins = 0;
  xRange: [number, number] | null = null;
  yRange: [number, number] | null = null;
  sum: Float64Array | null = null;
  min: Float64Array | null = null;
  max: Float64Array | null = null;

  constructor(
    readonly title: string,
    readonly dims: 1 | 2,
  ) {}

  /** Adds one record. */
  add(r: HistogramRecord): void {
    this.records++;
    const key = this.dims === 2 ? `${r.shape[0]}x${r.shape[1]}` : `${r.shape[0]}`;
    this.shapes.set(key, (this.shapes.get(key) ?? 0) + 1);
    let table = this.runs.get(r.run);
    if (!table) this.runs.set(r.run, (table = new LumisectionTable()));
    if (table.add(r.lumisection, r.entries) > 0) this.checks.duplicateKeys++;
    if (r.entries === 0) this.checks.zeroEntries++;
    const scan = scanBins(r.values);
    if (scan.empty) this.checks.emptyHistograms++;
    if (scan.nonFinite) this.checks.nanHistograms++;
    if (scan.negative) this.checks.negativeHistograms++;
    if (this.sum === null) {
      this.xBins = r.shape[0];
      this.yBins = r.shape[1];
      this.xRange = r.ranges.x;
      this.yRange = r.ranges.y;
      this.sum = new Float64Array(r.values.length);
      this.min = new Float64Array(r.values.length).fill(Infinity);
      this.max = new Float64Array(r.values.length).fill(-Infinity);
    }
    if (r.values.length !== this.sum.length) {
      this.checks.shapeMismatches++;
      return;
    }
    if (scan.nonFinite) return;
    this.inMean++;
    const { sum, min, max } = this as { sum: Float64Array; min: Float64Array; max: Float64Array };
    for (let i = 0; i < sum.length; i++) {
      const v = r.values[i]!;
      sum[i]! += v;
      if (v < min[i]!) min[i] = v;
      if (v > max[i]!) max[i] = v;
    }
  }

  /** The per-bin mean (zeros when no record is in the mean). */
  mean(): Float64Array {
    const sum = this.sum ?? new Float64Array(0);
    const n = this.inMean;
    return sum.map((s) => (n > 0 ? s / n : 0));
  }
}

/**
 * Fills each title's `missingLumisections`: a run's range is its smallest to largest lumisection over
 * every title, and each lumisection of that range a title present in the run lacks counts once.
 */
export function countMissingLumisections(titles: Iterable<TitleStats>): void {
  const all = [...titles];
  const range = new Map<number, [number, number]>();
  for (const t of all) {
    for (const [run, table] of t.runs) {
      const r = range.get(run);
      range.set(run, r ? [Math.min(r[0], table.min), Math.max(r[1], table.max)] : [table.min, table.max]);
    }
  }
  for (const t of all) {
    t.checks.missingLumisections = 0;
    for (const [run, table] of t.runs) {
      const [lo, hi] = range.get(run)!;
      t.checks.missingLumisections += table.missingIn(lo, hi);
    }
  }
}
