/**
 * Planning DIALS streams as plain data: the run list (`run/`, trimmed with `fields=`) or the ME list
 * (`mes/`) is fetched once, then `planDialsSlices` (pure) cuts the stream per run, per run range, per
 * dataset or per ME. Slices are independent cursor walks, fetched side by side.
 */
import { encodeFilters, type Filters } from '../../domain.js';
import { ConfigError } from '../../errors.js';
import { cursorPagination } from '../pagination.js';
import type { SourceSlice } from '../source.js';
import type { DialsClient } from './client.js';
import type { DialsEndpoint, DialsMe, DialsRun } from '../../dials.js';

/** `slice` of a DIALS stream. */
export type DialsSliceSpec = {
  by: 'none' | 'run' | 'run-range' | 'dataset' | 'me' | 'title';
  runs?: number[];
  size?: number;
};

/** Facts planning needs: the (dataset, run) pairs in scope, and the ME ids. */
export interface DialsPlanContext {
  runs?: ReadonlyArray<{ dataset_id: number; run_number: number }>;
  mes?: readonly number[];
}

const RUN_FILTERS = ['dataset_id', 'dataset', 'dataset__regex', 'run_number', 'run_number__gte', 'run_number__lte'];
const RUN_BOUNDS = ['run_number', 'run_number__gte', 'run_number__lte'];

/** The stream's filters with an incremental cursor applied (`run_number__gte` raised to `minRun`). */
export function withMinRun(filters: Filters, minRun: number | undefined): Filters {
  if (minRun === undefined) return filters;
  const current = typeof filters.run_number__gte === 'number' ? filters.run_number__gte : -Infinity;
  return { ...filters, run_number__gte: Math.max(current, minRun) };
}

/** `run/` filters that list the runs a stream can touch. */
export function runListFilters(filters: Filters): Filters {
  const out: Filters = {};
  for (const k of RUN_FILTERS) if (filters[k] !== undefined) out[k] = filters[k];
  return out;
}

function without(filters: Filters, keys: readonly string[]): Filters {
  const out = { ...filters };
  for (const k of keys) delete out[k];
  return out;
}

/** Cuts a stream into slices; pure. */
export function planDialsSlices(
  endpoint: DialsEndpoint,
  filters: Filters,
  spec: DialsSliceSpec,
  context: DialsPlanContext,
): SourceSlice[] {
  const one = (key: string, f: Filters, partition: SourceSlice['partition']): SourceSlice => ({
    key,
    endpoint,
    filters: f,
    partition,
  });
  if (spec.by === 'none') return [one('all', filters, {})];
  if (spec.by === 'me') {
    if (!context.mes)
      throw new ConfigError('E_BAD_SLICING', `slicing ${endpoint} by me needs the ME list`, { field: 'slice.by' });
    return [...new Set(context.mes)]
      .sort((a, b) => a - b)
      .map((m) => one(`me=${m}`, { ...filters, me_id: m }, { me_id: m }));
  }
  const pairs = context.runs ?? [];
  if (spec.by === 'dataset') {
    const ids = [...new Set(pairs.map((p) => p.dataset_id))].sort((a, b) => a - b);
    return ids.map((d) => one(`dataset=${d}`, { ...filters, dataset_id: d }, { dataset_id: d }));
  }
  let runs = [...new Set(pairs.map((p) => p.run_number))].sort((a, b) => a - b);
  if (spec.runs) {
    const wanted = new Set(spec.runs);
    runs = runs.filter((r) => wanted.has(r));
  }
  if (spec.by === 'run')
    return runs.map((r) => one(`run=${r}`, { ...without(filters, RUN_BOUNDS), run_number: r }, { run: r }));
  if (spec.by === 'run-range') {
    const size = spec.size ?? 10;
    const out: SourceSlice[] = [];
    for (let i = 0; i < runs.length; i += size) {
      const chunk = runs.slice(i, i + size);
      const from = chunk[0];
      const to = chunk[chunk.length - 1];
      // Consecutive runs of the server's list: nothing lies between them, so bounds are exact.
      out.push(
        one(
          from === to ? `runs=${from}` : `runs=${from}..${to}`,
          { ...without(filters, RUN_BOUNDS), run_number__gte: from, run_number__lte: to },
          { run_from: from, run_to: to },
        ),
      );
    }
    return out;
  }
  throw new ConfigError('E_BAD_SLICING', `cannot slice ${endpoint} by ${spec.by}`, { field: 'slice.by' });
}

/** Fetches what `planDialsSlices` needs for this slicing. */
export async function loadDialsPlanContext(
  client: DialsClient,
  endpoint: DialsEndpoint,
  filters: Filters,
  spec: DialsSliceSpec,
  signal?: AbortSignal,
): Promise<DialsPlanContext> {
  if (spec.by === 'none') return {};
  if (spec.by === 'me') {
    const params = new URLSearchParams();
    for (const k of ['me', 'me__regex'] as const)
      if (typeof filters[k] === 'string') params.set(k, filters[k] as string);
    if (filters.me_id === undefined) params.set('dim', endpoint === 'th2' ? '2' : '1');
    params.set('fields', 'me_id,me,dim');
    const page = await client.plainList<DialsMe>('mes', params, { signal });
    const ids = page.records.map((m) => m.me_id);
    return { mes: filters.me_id !== undefined ? ids.filter((id) => id === filters.me_id) : ids };
  }
  const runs: Array<{ dataset_id: number; run_number: number }> = [];
  let token: string | null = null;
  for (;;) {
    const params = encodeFilters(runListFilters(filters));
    params.set('fields', 'dataset_id,run_number');
    params.set('page_size', '500');
    for (const [k, v] of Object.entries(cursorPagination.params(token))) params.set(k, v);
    const page = await client.list<DialsRun>('run', params, { signal });
    for (const r of page.records) runs.push({ dataset_id: r.dataset_id, run_number: r.run_number });
    token = cursorPagination.after(page, token);
    if (token === null) return { runs };
  }
}
