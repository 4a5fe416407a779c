/**
 * Completeness proofs of DIALS slices, where the API gives counts: `count/` routes (run, lumisection,
 * file-index) with the slice's own filters, and for th1/th2 the sum of `th1_count`/`th2_count` over the
 * slice's lumisections (when the slice filters only by dataset, run and lumisection: an ME or entries
 * filter leaves no count to compare with). Otherwise the proof is the end of the ordered walk.
 */
import { encodeFilters, type Filters } from '../../domain.js';
import { cursorPagination } from '../pagination.js';
import type { CompletenessProof, SourceSlice } from '../source.js';
import type { DialsClient } from './client.js';
import type { DialsEndpoint, DialsLumisection } from '../../dials.js';

/** A proof and the record count it expects (null: no count, the walk's end is the proof). */
export interface SliceProof {
  proof: CompletenessProof;
  expected: number | null;
}

/** Histogram filters that `lumisection/` accepts with the same meaning. */
const LUMISECTION_SCOPE = new Set([
  'dataset_id',
  'dataset',
  'dataset__regex',
  'run_number',
  'run_number__gte',
  'run_number__lte',
  'ls_number',
  'ls_number__gte',
  'ls_number__lte',
  'order_by',
]);

const COUNTED: ReadonlySet<string> = new Set(['run', 'lumisection', 'file-index']);

/** The filters of a lumisection walk counting a histogram slice, or null when the counts cannot prove it. */
export function lumisectionScope(filters: Filters): Filters | null {
  const out: Filters = {};
  for (const [k, v] of Object.entries(filters)) {
    if (!LUMISECTION_SCOPE.has(k)) return null;
    if (k !== 'order_by') out[k] = v;
  }
  return out;
}

/** How `slice` can be proven complete, without fetching anything. */
export function proofKind(endpoint: DialsEndpoint, filters: Filters): CompletenessProof {
  if (COUNTED.has(endpoint)) return 'count-endpoint';
  if ((endpoint === 'th1' || endpoint === 'th2') && lumisectionScope(filters)) return 'lumisection-counts';
  if (endpoint === 'mes') return 'single-response';
  return 'cursor-end';
}

/** Sum of `th1_count` or `th2_count` over the lumisections `scope` selects. */
export async function histogramCount(
  client: DialsClient,
  dim: 'th1' | 'th2',
  scope: Filters,
  signal?: AbortSignal,
): Promise<number> {
  let sum = 0;
  let token: string | null = null;
  for (;;) {
    const params = encodeFilters(scope);
    params.set('fields', `dataset_id,run_number,ls_number,${dim}_count`);
    params.set('page_size', '500');
    for (const [k, v] of Object.entries(cursorPagination.params(token))) params.set(k, v);
    const page = await client.list<Pick<DialsLumisection, 'th1_count' | 'th2_count'>>('lumisection', params, {
      signal,
    });
    for (const r of page.records) sum += Number(r[`${dim}_count`] ?? 0);
    token = cursorPagination.after(page, token);
    if (token === null) return sum;
  }
}

/** Fetches what the slice's proof compares with. */
export async function proveSlice(
  client: DialsClient,
  slice: SourceSlice,
  endpoint: DialsEndpoint,
  signal?: AbortSignal,
): Promise<SliceProof> {
  const kind = proofKind(endpoint, slice.filters);
  if (kind === 'count-endpoint') {
    const { order_by: _ignored, ...filters } = slice.filters;
    return { proof: kind, expected: await client.count(endpoint, encodeFilters(filters), { signal }) };
  }
  if (kind === 'lumisection-counts') {
    return {
      proof: kind,
      expected: await histogramCount(client, endpoint as 'th1' | 'th2', lumisectionScope(slice.filters)!, signal),
    };
  }
  return { proof: kind, expected: null };
}
