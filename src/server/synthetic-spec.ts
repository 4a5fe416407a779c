/**
 * Synthetic histograms: the spec (`runs=R,ls=L,titles=T,dim=2,x=56,y=72,run0=N`) and the
 * deterministic generator. Values come from a fixed pool of pre-serialised rows (2D: rows of x bins;
 * 1D: whole histograms) chosen by a hash of (run, LS, title), so a histogram's bytes are a
 * concatenation of cached buffers and the same on every request, server and seed.
 */
import { UsageError } from '../errors.js';
import type { Histogram1D, Histogram2D } from '../domain.js';
import { hashInts, mix32, Prng } from './prng.js';
import { histogramHead, histogramTail, type HistogramFields } from './records.js';
import { pyFloat } from './pyjson.js';

/** Shape of a synthetic data set. */
export interface SyntheticSpec {
  /** Number of runs. */
  runs: number;
  /** Lumisections per run (numbered 1..ls). */
  ls: number;
  /** Histogram titles (one histogram per run, LS and title). */
  titles: number;
  /** 1D or 2D histograms (the other endpoint is empty). */
  dim: 1 | 2;
  /** X bins. */
  x: number;
  /** Y bins (2D only). */
  y: number;
  /** First run number; runs are run0, run0+1, ... */
  run0: number;
}

/** Defaults: 10 runs x 100 LS x 2 titles of 56 x 72 2D histograms (2000 histograms, ~40 MB of JSON). */
export const SYNTHETIC_DEFAULTS: SyntheticSpec = { runs: 10, ls: 100, titles: 2, dim: 2, x: 56, y: 72, run0: 300000 };

const KEYS = Object.keys(SYNTHETIC_DEFAULTS) as Array<keyof SyntheticSpec>;

/** Parses `runs=R,ls=L,...` (or completes a partial object); throws UsageError E_SERVE_SYNTHETIC. */
export function parseSyntheticSpec(input: string | Partial<SyntheticSpec>): SyntheticSpec {
  const given: Record<string, number> = {};
  if (typeof input === 'string') {
    for (const part of input.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [key, value, extra] = part.split('=');
      if (!KEYS.includes(key as keyof SyntheticSpec) || value === undefined || extra !== undefined) {
        throw new UsageError('E_SERVE_SYNTHETIC', `--synthetic: invalid item "${part}"; expected key=value with keys ${KEYS.join(', ')}`);
      }
      given[key] = Number(value);
    }
  } else {
    Object.assign(given, input);
  }
  const spec = { ...SYNTHETIC_DEFAULTS, ...(given.dim === 1 && given.x === undefined ? { x: 100 } : {}), ...given } as SyntheticSpec;
  for (const key of KEYS) {
    const v = spec[key];
    const min = key === 'run0' ? 0 : 1;
    if (!Number.isSafeInteger(v) || v < min) throw new UsageError('E_SERVE_SYNTHETIC', `--synthetic: ${key} must be an integer >= ${min}, got ${String(v)}`);
  }
  if (spec.dim !== 1 && spec.dim !== 2) throw new UsageError('E_SERVE_SYNTHETIC', `--synthetic: dim must be 1 or 2, got ${spec.dim}`);
  if (spec.x > 100_000 || spec.y > 100_000) throw new UsageError('E_SERVE_SYNTHETIC', '--synthetic: x and y must be <= 100000');
  if (spec.runs * spec.ls * spec.titles > Number.MAX_SAFE_INTEGER / 2) throw new UsageError('E_SERVE_SYNTHETIC', '--synthetic: too many histograms');
  return spec;
}

/** Title of the t-th synthetic histogram (0-based). */
export function syntheticTitle(spec: SyntheticSpec, t: number): string {
  return `synthetic_${spec.dim}d_${t + 1}`;
}

/** Number of histograms. */
export function syntheticCount(spec: SyntheticSpec): number {
  return spec.runs * spec.ls * spec.titles;
}

/** (run index, LS, title index) of a histogram id, or undefined outside 1..count. */
export function decodeSyntheticId(spec: SyntheticSpec, id: number): { r: number; ls: number; t: number } | undefined {
  if (!Number.isSafeInteger(id) || id < 1 || id > syntheticCount(spec)) return undefined;
  const k = id - 1;
  const t = k % spec.titles;
  const q = Math.floor(k / spec.titles);
  return { r: Math.floor(q / spec.ls), ls: (q % spec.ls) + 1, t };
}

/** Id of (run index, LS, title index). */
export function syntheticId(spec: SyntheticSpec, r: number, ls: number, t: number): number {
  return (r * spec.ls + (ls - 1)) * spec.titles + t + 1;
}

const POOL_SIZE = 256;

/** Pre-serialised value rows and everything else a synthetic record is assembled from. */
export class SyntheticPool {
  /** 2D: rows of x values; 1D: whole histograms of x values. */
  readonly values: number[][] = [];
  readonly sums: number[] = [];
  /** `[[row` (2D first row) or `[values]` (1D). */
  readonly first: Buffer[] = [];
  /** `,[row` (2D later rows). */
  readonly rest: Buffer[] = [];
  /** `]` (2D) + the fields after `data`. */
  readonly tail: Buffer;
  readonly titles: string[];

  constructor(readonly spec: SyntheticSpec) {
    for (let i = 0; i < POOL_SIZE; i++) {
      const prng = new Prng(hashInts(spec.dim, spec.x, i));
      const row = spec.dim === 2 ? rowOf2d(prng, spec.x) : histogramOf1d(prng, spec.x);
      const text = '[' + row.map(pyFloat).join(',') + ']';
      this.values.push(row);
      this.sums.push(row.reduce((a, b) => a + b, 0));
      this.first.push(Buffer.from(spec.dim === 2 ? '[' + text : text));
      this.rest.push(Buffer.from(',' + text));
    }
    const fields = { ...axes(spec), source_data_file: 1 } as HistogramFields;
    this.tail = Buffer.from((spec.dim === 2 ? ']' : '') + histogramTail(fields, spec.dim));
    this.titles = Array.from({ length: spec.titles }, (_, t) => syntheticTitle(spec, t));
  }

  /** Pool index of the 2D row iy (or the 1D histogram, iy = 0) of the histogram with hash h. */
  static pick(h: number, iy: number): number {
    return mix32(h + Math.imul(iy + 1, 0x9e3779b9)) & (POOL_SIZE - 1);
  }

  /** Sum of the bins of histogram (run number, LS, title index): its `entries`. */
  entries(runNumber: number, ls: number, t: number): number {
    const h = hashInts(runNumber, ls, t);
    if (this.spec.dim === 1) return this.sums[SyntheticPool.pick(h, 0)];
    let sum = 0;
    for (let iy = 0; iy < this.spec.y; iy++) sum += this.sums[SyntheticPool.pick(h, iy)];
    return sum;
  }

  /** Appends the JSON bytes of histogram `id` = (run index r, LS, title index t). */
  append(id: number, r: number, ls: number, t: number, parts: Buffer[]): void {
    const runNumber = this.spec.run0 + r;
    const h = hashInts(runNumber, ls, t);
    const entries = this.entries(runNumber, ls, t);
    const head = histogramHead({ id, run: runNumber, lumisection: ls, title: this.titles[t], entries } as HistogramFields);
    parts.push(Buffer.from(head));
    if (this.spec.dim === 1) parts.push(this.first[SyntheticPool.pick(h, 0)]);
    else for (let iy = 0; iy < this.spec.y; iy++) parts.push((iy === 0 ? this.first : this.rest)[SyntheticPool.pick(h, iy)]);
    parts.push(this.tail);
  }
}

function axes(spec: SyntheticSpec): Pick<HistogramFields, 'x_min' | 'x_max' | 'x_bin' | 'y_min' | 'y_max' | 'y_bin'> {
  if (spec.dim === 1) return { x_min: -0.5, x_max: spec.x - 0.5, x_bin: spec.x };
  return { x_min: -26.7, x_max: 26.7, x_bin: spec.x, y_min: -3.14159, y_max: 3.14159, y_bin: spec.y };
}

/** A row of a 2D occupancy map: a smooth profile over x times a per-row level, with noise. */
function rowOf2d(prng: Prng, x: number): number[] {
  const level = 5 + prng.int(80);
  return Array.from({ length: x }, (_, ix) => Math.round(level * (0.5 + 0.5 * Math.sin((Math.PI * (ix + 0.5)) / x)) * (0.8 + 0.4 * prng.next())));
}

/** A 1D peak with noise. */
function histogramOf1d(prng: Prng, x: number): number[] {
  const center = x * (0.3 + 0.4 * prng.next());
  const width = x * (0.05 + 0.15 * prng.next());
  const amplitude = 50 + prng.int(5000);
  return Array.from({ length: x }, (_, ix) => Math.round(amplitude * Math.exp(-0.5 * ((ix - center) / width) ** 2) * (0.9 + 0.2 * prng.next())));
}

const pools = new Map<string, SyntheticPool>();

/** The (cached) pool of a spec. */
export function poolOf(spec: SyntheticSpec): SyntheticPool {
  const key = `${spec.dim}:${spec.x}:${spec.y}:${spec.titles}:${spec.run0}`;
  let pool = pools.get(key);
  if (!pool) pools.set(key, (pool = new SyntheticPool(spec)));
  return pool;
}

/**
 * The synthetic histogram with this id as a record object, exactly what the server serves for it
 * (for tests and for checking exported data); undefined outside 1..count.
 */
export function syntheticHistogram(specInput: SyntheticSpec | string, id: number): Histogram1D | Histogram2D | undefined {
  const spec = typeof specInput === 'string' ? parseSyntheticSpec(specInput) : specInput;
  const at = decodeSyntheticId(spec, id);
  if (!at) return undefined;
  const pool = poolOf(spec);
  const run = spec.run0 + at.r;
  const h = hashInts(run, at.ls, at.t);
  const base = { id, run, lumisection: at.ls, title: pool.titles[at.t], entries: pool.entries(run, at.ls, at.t), source_data_file: 1 };
  if (spec.dim === 1) return { ...base, data: [...pool.values[SyntheticPool.pick(h, 0)]], x_min: -0.5, x_max: spec.x - 0.5, x_bin: spec.x };
  const data = Array.from({ length: spec.y }, (_, iy) => [...pool.values[SyntheticPool.pick(h, iy)]]);
  return { ...base, data, x_min: -26.7, x_max: 26.7, x_bin: spec.x, y_min: -3.14159, y_max: 3.14159, y_bin: spec.y };
}
