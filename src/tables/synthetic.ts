/**
 * Synthetic tables: runs, lumisections and histograms computed from a SyntheticSpec, never stored.
 * Ids, totals and the k-th row of a filtered list are arithmetic on (run, LS, title) index sets, so
 * millions of histograms cost no memory and any page costs the same. Read-only (POST/DELETE: 405).
 */
import { DataFileTable } from './datafiles.js';
import {
  EMPTY_LISTING,
  satisfies,
  type CreateResult,
  type HistogramQuery,
  type HistogramRow,
  type HistogramTable,
  type IntConstraint,
  type Listing,
  type LumisectionQuery,
  type LumisectionTable,
  type RunQuery,
  type RunTable,
} from './model.js';
import { lumisectionJson, runJson, timestampAt } from './records.js';
import {
  decodeSyntheticId,
  poolOf,
  syntheticAxes,
  syntheticCount,
  syntheticId,
  type SyntheticPool,
  type SyntheticSpec,
} from './synthetic-spec.js';

/** 2018-01-01T00:00:00Z: synthetic creation dates count from here, one millisecond per lumisection. */
const BASE_MICROS = Date.UTC(2018, 0, 1) * 1000;

/** An ordered set of integers: a range, or an explicit sorted list. */
interface IndexSet {
  readonly size: number;
  at(i: number): number;
}

function range(lo: number, hi: number): IndexSet {
  return { size: Math.max(0, hi - lo + 1), at: (i) => lo + i };
}

function list(values: number[]): IndexSet {
  return { size: values.length, at: (i) => values[i] };
}

/** Values v in first..first+count-1 satisfying c, as a set of offsets v - first. */
function select(c: IntConstraint, first: number, count: number): IndexSet {
  let lo = first;
  let hi = first + count - 1;
  if (c.eq !== undefined) [lo, hi] = [Math.max(lo, c.eq), Math.min(hi, c.eq)];
  if (c.gte !== undefined) lo = Math.max(lo, Math.ceil(c.gte));
  if (c.lte !== undefined) hi = Math.min(hi, Math.floor(c.lte));
  if (c.eq !== undefined && !Number.isInteger(c.eq)) return range(0, -1);
  if (c.in !== undefined)
    return list(
      [...new Set(c.in)]
        .filter((v) => v >= lo && v <= hi)
        .sort((a, b) => a - b)
        .map((v) => v - first),
    );
  return range(lo - first, hi - first);
}

/** Synthetic lumisection histograms of the spec's dimensionality. */
export class SyntheticHistogramTable implements HistogramTable {
  readonly dim: 1 | 2;
  private readonly pool: SyntheticPool;
  private readonly titleIndex: Map<string, number>;

  constructor(private readonly spec: SyntheticSpec) {
    this.dim = spec.dim;
    this.pool = poolOf(spec);
    this.titleIndex = new Map(this.pool.titles.map((t, i) => [t, i]));
  }

  hasTitle(title: string): boolean {
    return this.titleIndex.has(title);
  }

  private rowCache: HistogramRow[] | undefined;

  /** Every histogram as a row object (built once: about 100 bytes per histogram; `data` stays computed). */
  rows(): readonly HistogramRow[] {
    if (this.rowCache) return this.rowCache;
    const { spec, pool } = this;
    const axes = syntheticAxes(spec);
    const out: HistogramRow[] = [];
    for (let r = 0; r < spec.runs; r++) {
      const run = spec.run0 + r;
      for (let ls = 1; ls <= spec.ls; ls++) {
        for (let t = 0; t < spec.titles; t++) {
          out.push({
            run,
            ls,
            title: pool.titles[t],
            entries: pool.entries(run, ls, t),
            fileId: 1,
            axes,
            appendData: (parts) => pool.appendData(run, ls, t, parts),
          });
        }
      }
    }
    return (this.rowCache = out);
  }

  list(q: HistogramQuery): Listing {
    const { spec, pool } = this;
    if (q.sourceFiles && !q.sourceFiles.has(1)) return EMPTY_LISTING;
    const runs = select(q.run, spec.run0, spec.runs);
    const lss = select(q.ls, 1, spec.ls);
    const titles = q.titles
      ? list([...new Set(q.titles.map((t) => this.titleIndex.get(t)!))].sort((a, b) => a - b))
      : range(0, spec.titles - 1);
    const nt = titles.size;
    const nl = lss.size;
    const total = runs.size * nl * nt;
    const locate = (k: number): [number, number, number] => {
      const q2 = Math.floor(k / nt);
      return [runs.at(Math.floor(q2 / nl)), lss.at(q2 % nl) + 1, titles.at(k % nt)];
    };
    const emit = (r: number, ls: number, t: number, parts: Buffer[]): void =>
      pool.append(syntheticId(spec, r, ls, t), r, ls, t, parts);
    if (
      q.entries.gte === undefined &&
      q.entries.lte === undefined &&
      q.entries.eq === undefined &&
      q.entries.in === undefined
    ) {
      return { total, append: (k, parts) => emit(...locate(k), parts) };
    }
    // entries is a function of the data, not of the indices: scan (O(total), documented).
    const hits: number[] = [];
    for (let k = 0; k < total; k++) {
      const [r, ls, t] = locate(k);
      if (satisfies(pool.entries(spec.run0 + r, ls, t), q.entries)) hits.push(k);
    }
    return { total: hits.length, append: (k, parts) => emit(...locate(hits[k]), parts) };
  }

  get(id: number): Buffer | undefined {
    const at = decodeSyntheticId(this.spec, id);
    if (!at) return undefined;
    const parts: Buffer[] = [];
    this.pool.append(id, at.r, at.ls, at.t, parts);
    return Buffer.concat(parts);
  }

  delete(): undefined {
    return undefined;
  }
}

/** Synthetic runs run0 .. run0+runs-1. */
export class SyntheticRunTable implements RunTable {
  constructor(private readonly spec: SyntheticSpec) {}

  private json(r: number): Buffer {
    return runJson(this.spec.run0 + r, timestampAt(BASE_MICROS + r * this.spec.ls * 1000));
  }

  list(q: RunQuery): Listing {
    if (q.never) return EMPTY_LISTING;
    const { spec } = this;
    let runs = q.runNumber === undefined ? range(0, spec.runs - 1) : select({ eq: q.runNumber }, spec.run0, spec.runs);
    if (q.date !== undefined) {
      const r = (q.date - BASE_MICROS) / (spec.ls * 1000);
      const ok =
        Number.isInteger(r) && r >= 0 && r < spec.runs && (q.runNumber === undefined || r === q.runNumber - spec.run0);
      runs = list(ok ? [r] : []);
    }
    return { total: runs.size, append: (k, parts) => parts.push(this.json(runs.at(k))) };
  }

  get(runNumber: number): Buffer | undefined {
    const r = runNumber - this.spec.run0;
    return Number.isInteger(r) && r >= 0 && r < this.spec.runs ? this.json(r) : undefined;
  }

  create(): CreateResult {
    return { error: 'read-only' };
  }
}

/** Synthetic lumisections: ids in (run, LS) order, which is also the list order. */
export class SyntheticLumisectionTable implements LumisectionTable {
  constructor(private readonly spec: SyntheticSpec) {}

  private json(k: number): Buffer {
    const r = Math.floor(k / this.spec.ls);
    return lumisectionJson(this.spec.run0 + r, (k % this.spec.ls) + 1, timestampAt(BASE_MICROS + k * 1000));
  }

  list(q: LumisectionQuery): Listing {
    const { spec } = this;
    if (q.never) return EMPTY_LISTING;
    const runs = q.run === undefined ? range(0, spec.runs - 1) : select({ eq: q.run }, spec.run0, spec.runs);
    const lss = q.ls === undefined ? range(0, spec.ls - 1) : select({ eq: q.ls }, 1, spec.ls);
    let keys: IndexSet = {
      size: runs.size * lss.size,
      at: (i) => runs.at(Math.floor(i / lss.size)) * spec.ls + lss.at(i % lss.size),
    };
    if (q.date !== undefined) {
      const k = (q.date - BASE_MICROS) / 1000;
      const r = Math.floor(k / spec.ls);
      const ok =
        Number.isInteger(k) &&
        k >= 0 &&
        k < spec.runs * spec.ls &&
        satisfies(r + spec.run0, { eq: q.run }) &&
        satisfies((k % spec.ls) + 1, { eq: q.ls });
      keys = list(ok ? [k] : []);
    }
    return { total: keys.size, append: (i, parts) => parts.push(this.json(keys.at(i))) };
  }

  get(id: number): Buffer | undefined {
    return Number.isInteger(id) && id >= 1 && id <= this.spec.runs * this.spec.ls ? this.json(id - 1) : undefined;
  }

  create(): CreateResult {
    return { error: 'read-only' };
  }
}

/** The one data file synthetic histograms claim to come from (id 1, fully parsed). */
export function syntheticDataFiles(spec: SyntheticSpec): DataFileTable {
  const files = new DataFileTable();
  const text = Object.entries(spec)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const file = files.register(`synthetic:${text}`, 0)!;
  const n = syntheticCount(spec);
  Object.assign(file, {
    entriesTotal: n,
    entriesProcessed: n,
    contents: [{ granularity: 'lum', dim: spec.dim }],
    state: 'parsed',
  });
  file.counts[spec.dim === 1 ? 'h1d' : 'h2d'] = n;
  return files;
}
