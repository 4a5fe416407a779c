/**
 * Synthetic histograms: the spec (`runs=R,ls=L,titles=T,dim=2,x=56,y=72,run0=N`) and the
 * deterministic generator. Values come from fixed pools of pre-serialised blocks (2D: 8 rows of x bins;
 * 1D: whole histograms) chosen by a hash of (run, LS, title), so a histogram's bytes are a
 * concatenation of cached buffers and the same on every request, server and seed.
 */
import { UsageError } from '../errors.js';
import {
  histogramAxes,
  type Histogram1D,
  type Histogram2D,
  type HistogramAxes,
  type XAxis,
  type YAxis,
} from '../domain.js';
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
    for (const part of input
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [key, value, extra] = part.split('=');
      if (!KEYS.includes(key as keyof SyntheticSpec) || value === undefined || extra !== undefined) {
        throw new UsageError(
          'E_SERVE_SYNTHETIC',
          `--synthetic: invalid item "${part}"; expected key=value with keys ${KEYS.join(', ')}`,
        );
      }
      given[key] = Number(value);
    }
  } else {
    Object.assign(given, input);
  }
  const spec = {
    ...SYNTHETIC_DEFAULTS,
    ...(given.dim === 1 && given.x === undefined ? { x: 100 } : {}),
    ...given,
  } as SyntheticSpec;
  for (const key of KEYS) {
    const v = spec[key];
    const min = key === 'run0' ? 0 : 1;
    if (!Number.isSafeInteger(v) || v < min)
      throw new UsageError('E_SERVE_SYNTHETIC', `--synthetic: ${key} must be an integer >= ${min}, got ${String(v)}`);
  }
  if (spec.dim !== 1 && spec.dim !== 2)
    throw new UsageError('E_SERVE_SYNTHETIC', `--synthetic: dim must be 1 or 2, got ${spec.dim}`);
  if (spec.x > 100_000 || spec.y > 100_000)
    throw new UsageError('E_SERVE_SYNTHETIC', '--synthetic: x and y must be <= 100000');
  if (spec.runs * spec.ls * spec.titles > Number.MAX_SAFE_INTEGER / 2)
    throw new UsageError('E_SERVE_SYNTHETIC', '--synthetic: too many histograms');
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
/** 2D rows come in pre-joined blocks of this many: 9 buffers per 72-row histogram instead of 72 (measured 2-4x faster pages). */
const BLOCK_ROWS = 8;

/** Pre-serialised blocks of one length (rows per block; 1D: one whole histogram). */
interface BlockPool {
  /** Values: blocks[i][row][ix]. */
  blocks: number[][][];
  sums: number[];
  /** Text of block i opening `data` (`[[...` in 2D). */
  first: Buffer[];
  /** Text of block i after another block (`,[...`). */
  rest: Buffer[];
}

/** Pre-serialised value blocks and everything else a synthetic record is assembled from. */
export class SyntheticPool {
  /** Block pools by block length (2D: BLOCK_ROWS and the remainder; 1D: 1). */
  private readonly pools = new Map<number, BlockPool>();
  /** Block lengths of one histogram, in order. */
  private readonly layout: number[];
  /** `]` (2D) + the fields after `data`. */
  readonly tail: Buffer;
  readonly titles: string[];

  constructor(readonly spec: SyntheticSpec) {
    // Small histograms use one-row blocks: more distinct histograms, and their speed does not matter.
    const per = spec.y >= 4 * BLOCK_ROWS ? BLOCK_ROWS : 1;
    this.layout =
      spec.dim === 1 ? [1] : Array.from({ length: Math.ceil(spec.y / per) }, (_, b) => Math.min(per, spec.y - b * per));
    for (const rows of new Set(this.layout)) this.pools.set(rows, this.makePool(rows));
    const fields = { ...axes(spec), source_data_file: 1 } as HistogramFields;
    this.tail = Buffer.from((spec.dim === 2 ? ']' : '') + histogramTail(fields, spec.dim));
    this.titles = Array.from({ length: spec.titles }, (_, t) => syntheticTitle(spec, t));
  }

  private makePool(rows: number): BlockPool {
    const { dim, x } = this.spec;
    const pool: BlockPool = { blocks: [], sums: [], first: [], rest: [] };
    for (let i = 0; i < POOL_SIZE; i++) {
      const prng = new Prng(hashInts(dim, x, rows, i));
      const block = Array.from({ length: rows }, () => (dim === 2 ? rowOf2d(prng, x) : histogramOf1d(prng, x)));
      const text = block.map((row) => '[' + row.map(pyFloat).join(',') + ']').join(',');
      pool.blocks.push(block);
      pool.sums.push(block.flat().reduce((a, b) => a + b, 0));
      pool.first.push(Buffer.from(dim === 2 ? '[' + text : text));
      pool.rest.push(Buffer.from(',' + text));
    }
    return pool;
  }

  /** Pool index of block b of the histogram with hash h. */
  private static pick(h: number, b: number): number {
    return mix32(h + Math.imul(b + 1, 0x9e3779b9)) & (POOL_SIZE - 1);
  }

  /** The blocks of histogram (run number, LS, title index), as [pool, index] pairs. */
  private choose(runNumber: number, ls: number, t: number): Array<[BlockPool, number]> {
    const h = hashInts(runNumber, ls, t);
    return this.layout.map((rows, b) => [this.pools.get(rows)!, SyntheticPool.pick(h, b)]);
  }

  /** Sum of the bins of the histogram: its `entries`. */
  entries(runNumber: number, ls: number, t: number): number {
    let sum = 0;
    for (const [pool, i] of this.choose(runNumber, ls, t)) sum += pool.sums[i];
    return sum;
  }

  /** The histogram's data: 1D values, or 2D rows. */
  data(runNumber: number, ls: number, t: number): number[] | number[][] {
    const rows = this.choose(runNumber, ls, t).flatMap(([pool, i]) => pool.blocks[i].map((row) => [...row]));
    return this.spec.dim === 1 ? rows[0] : rows;
  }

  /** Appends the JSON text of the histogram's `data` only (2D: closed with `]`). */
  appendData(runNumber: number, ls: number, t: number, parts: Buffer[]): void {
    this.choose(runNumber, ls, t).forEach(([pool, i], b) => parts.push((b === 0 ? pool.first : pool.rest)[i]));
    if (this.spec.dim === 2) parts.push(CLOSE_ROWS);
  }

  /** Appends the JSON bytes of histogram `id` = (run index r, LS, title index t). */
  append(id: number, r: number, ls: number, t: number, parts: Buffer[]): void {
    const runNumber = this.spec.run0 + r;
    const blocks = this.choose(runNumber, ls, t);
    let entries = 0;
    for (const [pool, i] of blocks) entries += pool.sums[i];
    parts.push(
      Buffer.from(
        histogramHead({ id, run: runNumber, lumisection: ls, title: this.titles[t], entries } as HistogramFields),
      ),
    );
    blocks.forEach(([pool, i], b) => parts.push((b === 0 ? pool.first : pool.rest)[i]));
    parts.push(this.tail);
  }
}

const CLOSE_ROWS = Buffer.from(']');

/** The binning of every histogram of a spec. */
export function syntheticAxes(spec: SyntheticSpec): HistogramAxes {
  return histogramAxes(axes(spec));
}

function axes(spec: SyntheticSpec): XAxis & Partial<YAxis> {
  if (spec.dim === 1) return { x_min: -0.5, x_max: spec.x - 0.5, x_bin: spec.x };
  return { x_min: -26.7, x_max: 26.7, x_bin: spec.x, y_min: -3.14159, y_max: 3.14159, y_bin: spec.y };
}

/** A row of a 2D occupancy map: a smooth profile over x times a per-row level, with noise. */
function rowOf2d(prng: Prng, x: number): number[] {
  const level = 5 + prng.int(80);
  return Array.from({ length: x }, (_, ix) =>
    Math.round(level * (0.5 + 0.5 * Math.sin((Math.PI * (ix + 0.5)) / x)) * (0.8 + 0.4 * prng.next())),
  );
}

/** A 1D peak with noise. */
function histogramOf1d(prng: Prng, x: number): number[] {
  const center = x * (0.3 + 0.4 * prng.next());
  const width = x * (0.05 + 0.15 * prng.next());
  const amplitude = 50 + prng.int(5000);
  return Array.from({ length: x }, (_, ix) =>
    Math.round(amplitude * Math.exp(-0.5 * ((ix - center) / width) ** 2) * (0.9 + 0.2 * prng.next())),
  );
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
export function syntheticHistogram(
  specInput: SyntheticSpec | string,
  id: number,
): Histogram1D | Histogram2D | undefined {
  const spec = typeof specInput === 'string' ? parseSyntheticSpec(specInput) : specInput;
  const at = decodeSyntheticId(spec, id);
  if (!at) return undefined;
  const pool = poolOf(spec);
  const run = spec.run0 + at.r;
  const base = {
    id,
    run,
    lumisection: at.ls,
    title: pool.titles[at.t],
    entries: pool.entries(run, at.ls, at.t),
    source_data_file: 1,
  };
  if (spec.dim === 1)
    return { ...base, data: pool.data(run, at.ls, at.t) as number[], x_min: -0.5, x_max: spec.x - 0.5, x_bin: spec.x };
  const data = pool.data(run, at.ls, at.t) as number[][];
  return { ...base, data, x_min: -26.7, x_max: 26.7, x_bin: spec.x, y_min: -3.14159, y_max: 3.14159, y_bin: spec.y };
}
