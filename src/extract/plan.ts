/**
 * Plan, then execute: a stream (endpoint + filters + how to slice) becomes a list of slices, as plain
 * data, by a pure function. The run list is an input (fetched by `loadPlanContext`), so planning is
 * tested with object literals and a plan can be printed, diffed and resumed by slice key.
 */
import { FILTERS, isHistogramEndpoint, type Endpoint, type Filters } from '../domain.js';
import { ConfigError, InternalError } from '../errors.js';
import { constraintOf, restrictTo, runKeys, satisfies } from './constraints.js';
import type { PartitionValues, Slice } from './types.js';

/** A way to cut a stream: one slice per run, per chunk of consecutive runs, or per title. */
export type SliceDimension = 'run' | 'run-range' | 'title';

/** Valid slice dimensions per endpoint. */
export const SLICE_DIMENSIONS: Record<Endpoint, readonly SliceDimension[]> = {
  runs: ['run'],
  lumisections: ['run'],
  lumisection_histograms_1d: ['run', 'run-range', 'title'],
  lumisection_histograms_2d: ['run', 'run-range', 'title'],
  histogram_data_files: [],
};

/** What to export from one endpoint. */
export interface StreamSpec {
  endpoint: Endpoint;
  /** Real filter names (see FILTERS); `__in` and `title` take lists. */
  filters?: Filters;
  /** Dimensions to cut along, combined as a product in this order; empty or absent: one slice. */
  sliceBy?: readonly SliceDimension[];
  /** Runs to export, instead of those the server lists (still intersected with the run filters). */
  runs?: readonly number[];
  /** Runs per slice for `run-range`. Default 10. */
  runsPerSlice?: number;
}

/** Facts about the server that planning needs; plain data. */
export interface PlanContext {
  /** Run numbers on the server (from `/api/runs/`); needed to slice by run unless the stream lists runs. */
  runs?: readonly number[];
  /** Titles to slice by when the stream's `title` filter does not list them. */
  titles?: readonly string[];
}

interface Cut {
  key: string;
  partition: PartitionValues;
  apply: (filters: Filters) => Filters;
}

/** Turns a stream into its slices. Pure; throws ConfigError for a stream that cannot be planned. */
export function planSlices<E extends Endpoint>(
  stream: StreamSpec & { endpoint: E },
  context: PlanContext = {},
): Slice<E>[] {
  const filters = stream.filters ?? {};
  checkFilters(stream.endpoint, filters);
  const dims = stream.sliceBy ?? [];
  checkDimensions(stream.endpoint, dims);
  let slices: Array<{ keys: string[]; partition: PartitionValues; filters: Filters }> = [
    { keys: [], partition: {}, filters },
  ];
  for (const dim of dims) {
    const cuts = cutsFor(dim, stream, context);
    slices = slices.flatMap((s) =>
      cuts.map((cut) => ({
        keys: [...s.keys, cut.key],
        partition: { ...s.partition, ...cut.partition },
        filters: cut.apply(s.filters),
      })),
    );
  }
  return slices.map((s) => ({
    key: s.keys.length ? s.keys.join('/') : 'all',
    endpoint: stream.endpoint,
    filters: s.filters,
    partition: s.partition,
  }));
}

/**
 * Runs of `runs` that the stream's run filters admit, sorted and distinct. Mirrors the server's
 * filtering for `/api/runs/`, which cannot do `__gte`/`__lte`/`__in` itself.
 */
export function runsInScope(endpoint: Endpoint, filters: Filters, runs: readonly number[]): number[] {
  const keys = runKeys(endpoint);
  const c = keys ? constraintOf(filters, keys) : {};
  return [...new Set(runs)].filter((r) => satisfies(c, r)).sort((a, b) => a - b);
}

/** The `/api/runs/` filters that fetch the runs a stream can touch: exact when the stream names one run. */
export function runListFilters(endpoint: Endpoint, filters: Filters): Filters {
  const keys = runKeys(endpoint);
  const c = keys ? constraintOf(filters, keys) : {};
  return c.eq !== undefined ? { run_number: c.eq } : {};
}

function cutsFor(dim: SliceDimension, stream: StreamSpec, context: PlanContext): Cut[] {
  const keys = runKeys(stream.endpoint);
  const filters = stream.filters ?? {};
  if (dim === 'title') {
    const listed =
      filters.title === undefined
        ? undefined
        : Array.isArray(filters.title)
          ? filters.title.map(String)
          : [String(filters.title)];
    const titles = listed ?? context.titles;
    if (!titles || titles.length === 0) {
      throw new ConfigError(
        'E_BAD_SLICING',
        `slicing ${stream.endpoint} by title needs the titles: list them in the title filter`,
        { field: 'title' },
      );
    }
    return [...new Set(titles)].map((t) => ({
      key: `title=${encodeURIComponent(t)}`,
      partition: { title: t },
      apply: (f) => ({ ...f, title: [t] }),
    }));
  }
  if (!keys) throw new InternalError('E_PLAN', `no run dimension on ${stream.endpoint}`);
  const source = stream.runs ?? context.runs;
  if (!source) {
    throw new InternalError(
      'E_PLAN_CONTEXT',
      `planning ${stream.endpoint} by ${dim} needs context.runs (the run list from /api/runs/) or stream.runs`,
    );
  }
  const runs = runsInScope(stream.endpoint, filters, source);
  if (dim === 'run') {
    return runs.map((run) => ({
      key: `run=${run}`,
      partition: { run },
      apply: (f) => restrictTo(f, keys, [run], true),
    }));
  }
  const size = stream.runsPerSlice ?? 10;
  if (!Number.isInteger(size) || size < 1) {
    throw new ConfigError('E_BAD_SLICING', `runsPerSlice must be a positive integer, got ${size}`, {
      field: 'runsPerSlice',
    });
  }
  const cuts: Cut[] = [];
  for (let i = 0; i < runs.length; i += size) {
    const chunk = runs.slice(i, i + size);
    const from = chunk[0];
    const to = chunk[chunk.length - 1];
    // Bounds of consecutive server runs: nothing between them exists, so gte/lte is exact. An
    // explicit run list may skip server runs, so it is sent as an `__in` list instead.
    const contiguous = !stream.runs && constraintOf(filters, keys).in === undefined;
    cuts.push({
      key: from === to ? `runs=${from}` : `runs=${from}..${to}`,
      partition: { run_from: from, run_to: to },
      apply: (f) => restrictTo(f, keys, chunk, contiguous),
    });
  }
  return cuts;
}

function checkFilters(endpoint: Endpoint, filters: Filters): void {
  const valid = FILTERS[endpoint];
  for (const name of Object.keys(filters)) {
    if (!(name in valid)) {
      throw new ConfigError(
        'E_UNKNOWN_FILTER',
        `unknown filter ${name} for ${endpoint} (the server would silently ignore it). Valid values are: ${Object.keys(valid).join(', ')}`,
        { field: name },
      );
    }
  }
}

function checkDimensions(endpoint: Endpoint, dims: readonly SliceDimension[]): void {
  const valid = SLICE_DIMENSIONS[endpoint];
  for (const dim of dims) {
    if (!valid.includes(dim)) {
      throw new ConfigError(
        'E_BAD_SLICING',
        `cannot slice ${endpoint} by ${dim}. Valid values are: ${valid.length ? valid.join(', ') : '(none: one slice)'}`,
        { field: 'sliceBy' },
      );
    }
  }
  if (new Set(dims).size !== dims.length)
    throw new ConfigError('E_BAD_SLICING', `sliceBy repeats a dimension: ${dims.join(', ')}`, { field: 'sliceBy' });
  if (dims.includes('run') && dims.includes('run-range')) {
    throw new ConfigError('E_BAD_SLICING', 'sliceBy cannot have both run and run-range', { field: 'sliceBy' });
  }
  if (dims.includes('run-range') && !isHistogramEndpoint(endpoint)) {
    throw new ConfigError('E_BAD_SLICING', `run-range needs run range filters, which ${endpoint} does not have`, {
      field: 'sliceBy',
    });
  }
}
