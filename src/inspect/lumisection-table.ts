/**
 * Per (title, run): how many records each lumisection has and its `entries`, in typed arrays indexed
 * by lumisection number. Lumisections of a run are small consecutive integers (a few thousand at
 * most), so this is a few bytes per lumisection, and no per-record object is kept.
 */
import { InputError } from '../errors.js';

/** Widest lumisection range one run may span (12 bytes each): far above any real run's. */
export const MAX_LUMISECTION_SPAN = 1_000_000;

/** Records and `entries` per lumisection of one run of one title. */
export class LumisectionTable {
  private first = 0;
  private counts = new Uint32Array(0);
  private entryValues = new Float64Array(0);
  /** Smallest and largest lumisection seen (Infinity / -Infinity when none). */
  min = Infinity;
  max = -Infinity;
  /** Distinct lumisections seen. */
  distinct = 0;
  /** Records added (duplicates included). */
  records = 0;

  private grow(ls: number): void {
    const lo = Math.min(this.min, ls);
    const hi = Math.max(this.max, ls);
    const first = this.counts.length === 0 ? lo : Math.min(this.first, lo);
    const need = hi - first + 1;
    if (need > MAX_LUMISECTION_SPAN) {
      throw new InputError(
        'E_INSPECT_LUMISECTION',
        `lumisection numbers of one run span ${lo}..${hi}, more than ${MAX_LUMISECTION_SPAN} (expected consecutive lumisections from 1)`,
        { field: 'lumisection' },
      );
    }
    if (first === this.first && need <= this.counts.length) return;
    const shift = this.counts.length === 0 ? 0 : this.first - first;
    const size = Math.max(need, shift + this.counts.length * 2, 64);
    const counts = new Uint32Array(size);
    const entries = new Float64Array(size).fill(NaN);
    counts.set(this.counts, shift);
    entries.set(this.entryValues, shift);
    this.first = first;
    this.counts = counts;
    this.entryValues = entries;
  }

  /** Records one record of lumisection `ls`; returns how many records it had before (0: first). */
  add(ls: number, entries: number | null): number {
    this.records++;
    if (!Number.isInteger(ls)) return 0;
    this.grow(ls);
    const k = ls - this.first;
    const before = this.counts[k]!;
    this.counts[k] = before + 1;
    if (before === 0) {
      this.distinct++;
      if (entries !== null) this.entryValues[k] = entries;
    }
    if (ls < this.min) this.min = ls;
    if (ls > this.max) this.max = ls;
    return before;
  }

  /** Lumisections in [lo, hi] without a record. */
  missingIn(lo: number, hi: number): number {
    if (!(hi >= lo)) return 0;
    let present = 0;
    for (let ls = Math.max(lo, this.first); ls <= Math.min(hi, this.first + this.counts.length - 1); ls++) {
      if (this.counts[ls - this.first]! > 0) present++;
    }
    return hi - lo + 1 - present;
  }

  /** [lumisection, entries] of every lumisection with a record and an `entries` value, in order. */
  entryPoints(): [number, number][] {
    const out: [number, number][] = [];
    for (let k = 0; k < this.counts.length; k++) {
      if (this.counts[k]! > 0 && !Number.isNaN(this.entryValues[k]!)) out.push([this.first + k, this.entryValues[k]!]);
    }
    return out;
  }
}
