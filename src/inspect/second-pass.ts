/**
 * The second pass over one title, once the first gave the mean and each bin's range:
 * - per-bin percentiles of 1D titles from a fixed-bucket sketch: each bin's [min, max] is cut into
 *   `buckets` equal buckets and counted; a percentile is interpolated linearly inside its bucket, so
 *   it is off by at most (max - min) / buckets (exact when a bin takes one value). Memory: bins x
 *   buckets counters, independent of the record count.
 * - the lumisections farthest from the mean: distance is the L2 norm between the histogram and the
 *   mean, each divided by the sum of its absolute bins (so a shape, not a luminosity, is compared);
 *   the top `keep` are kept in a small sorted list. Empty and non-finite histograms are not ranked:
 *   the checks already count them.
 */
import type { Bins } from './rows.js';
import type { Outlier, PercentileCurve } from './types.js';

/** Percentiles the 1D report draws. */
export const PERCENTILES = [5, 25, 50, 75, 95] as const;

/** Counts per bin into equal buckets over the bin's [min, max]. */
export class PercentileSketch {
  private readonly counts: Uint32Array;
  private total = 0;

  constructor(
    private readonly min: Float64Array,
    private readonly max: Float64Array,
    private readonly buckets: number,
  ) {
    this.counts = new Uint32Array(min.length * buckets);
  }

  /** Counts one histogram (same length as min/max, finite bins). */
  add(values: Bins): void {
    const { min, max, buckets, counts } = this;
    this.total++;
    for (let i = 0; i < min.length; i++) {
      const width = max[i]! - min[i]!;
      const k = width > 0 ? Math.min(buckets - 1, Math.floor(((values[i]! - min[i]!) / width) * buckets)) : 0;
      counts[i * buckets + k]!++;
    }
  }

  /** The curve of percentile `p` (0..100), one value per bin. */
  curve(p: number): PercentileCurve {
    const { min, max, buckets, counts } = this;
    const target = (p / 100) * this.total;
    const values = new Array<number>(min.length);
    for (let i = 0; i < min.length; i++) {
      const width = max[i]! - min[i]!;
      if (!(width > 0)) {
        values[i] = this.total > 0 ? min[i]! : 0;
        continue;
      }
      let seen = 0;
      let k = 0;
      for (; k < buckets; k++) {
        const c = counts[i * buckets + k]!;
        if (seen + c >= target && c > 0) {
          const within = (target - seen) / c;
          values[i] = min[i]! + ((k + Math.max(0, Math.min(1, within))) / buckets) * width;
          break;
        }
        seen += c;
      }
      if (k === buckets) values[i] = max[i]!;
    }
    return { p, values };
  }
}

/** The histogram divided by the sum of its absolute bins, or null when that sum is 0. */
export function unitSum(values: ArrayLike<number>): Float64Array | null {
  let norm = 0;
  for (let i = 0; i < values.length; i++) norm += Math.abs(values[i]!);
  if (!(norm > 0) || !Number.isFinite(norm)) return null;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! / norm;
  return out;
}

/** L2 distance between `values` normalised to unit sum and an already normalised reference; null when `values` sums to 0. */
export function shapeDistance(values: Bins, reference: Float64Array): number | null {
  let norm = 0;
  for (let i = 0; i < values.length; i++) norm += Math.abs(values[i]!);
  if (!(norm > 0) || !Number.isFinite(norm)) return null;
  let d = 0;
  for (let i = 0; i < values.length; i++) {
    const diff = values[i]! / norm - reference[i]!;
    d += diff * diff;
  }
  return Math.sqrt(d);
}

/** Keeps the `keep` records farthest from a reference; ties keep the earlier (smaller run, lumisection) record. */
export class FarthestRecords {
  private readonly kept: Outlier[] = [];

  constructor(
    private readonly reference: Float64Array | null,
    private readonly keep: number,
  ) {}

  /** Offers one record (its bins are copied only when it is kept). */
  offer(run: number, lumisection: number, entries: number | null, values: Bins): void {
    if (!this.reference || this.keep <= 0) return;
    const distance = shapeDistance(values, this.reference);
    if (distance === null) return;
    const kept = this.kept;
    if (kept.length === this.keep && !this.before({ run, lumisection, distance }, kept[kept.length - 1]!)) return;
    const outlier: Outlier = { run, lumisection, distance, entries, values: Array.from(values) };
    let at = kept.length;
    while (at > 0 && this.before(outlier, kept[at - 1]!)) at--;
    kept.splice(at, 0, outlier);
    if (kept.length > this.keep) kept.pop();
  }

  private before(a: Pick<Outlier, 'run' | 'lumisection' | 'distance'>, b: Outlier): boolean {
    if (a.distance !== b.distance) return a.distance > b.distance;
    return a.run !== b.run ? a.run < b.run : a.lumisection < b.lumisection;
  }

  /** The kept records, farthest first. */
  result(): Outlier[] {
    return [...this.kept];
  }
}
