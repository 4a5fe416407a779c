/**
 * Planning a stream as plain data: the pipeline file's `slice` becomes the extractor's StreamSpec,
 * the server's run list turns it into slices (`planSlices`, pure), and an optional probe fetches page
 * 1 of every slice to estimate records, pages and bytes. `plan` prints this, `plan --write-plan`
 * stores it for shards, and `run` executes it.
 */
import pLimit from 'p-limit';
import type { Stream } from '../../config/index.js';
import type { Endpoint } from '../../domain.js';
import { loadPlanContext, planSlices, type DqmClient, type Slice, type StreamSpec } from '../../extract/index.js';

/** `slice.by` of the pipeline file as the extractor's slice dimensions, plus an optional run cursor. */
export function streamSpecFor(stream: Stream, minRun?: number): StreamSpec {
  const filters = { ...stream.filters } as Record<string, string | number | boolean | (string | number)[]>;
  if (minRun !== undefined) {
    // Runs and lumisections are not sliced by a cursor filter: their run list is cut by `runs` below.
    const key =
      stream.endpoint === 'lumisections' || stream.endpoint === 'runs' ? null : 'lumisection__run__run_number__gte';
    if (key) {
      const current = typeof filters[key] === 'number' ? (filters[key] as number) : -Infinity;
      filters[key] = Math.max(current, minRun);
    }
  }
  const slice = stream.slice as { by: string; runs?: number[]; size?: number };
  const spec: StreamSpec = { endpoint: stream.endpoint as Endpoint, filters };
  if (slice.by !== 'none') spec.sliceBy = [slice.by as 'run' | 'run-range' | 'title'];
  if (slice.runs) spec.runs = minRun === undefined ? slice.runs : slice.runs.filter((r) => r >= minRun);
  if (slice.size) spec.runsPerSlice = slice.size;
  return spec;
}

/** Slices of one stream, with the spec they came from. */
export interface PlannedStream {
  spec: StreamSpec;
  slices: Slice[];
}

/** Plans a stream against the server (fetches the run list when slicing by run). */
export async function planStream(
  stream: Stream,
  client: DqmClient,
  options: { minRun?: number; signal?: AbortSignal } = {},
): Promise<PlannedStream> {
  const spec = streamSpecFor(stream, options.minRun);
  const context = await loadPlanContext(client, spec, { signal: options.signal });
  return { spec, slices: planSlices(spec, context) as Slice[] };
}

/** What page 1 of a slice says about the whole slice. */
export interface SliceEstimate {
  /** Records the server reports for the slice (`count`/`total`), or what page 1 held when it reports none. */
  records: number;
  /** Pages at the server's page size. */
  pages: number;
  /** JSON bytes, extrapolated from page 1's bytes per record. */
  bytes: number;
}

/** Estimate from one probed page; pure. */
export function estimateFromPage(page: {
  records: unknown[];
  total: number | null;
  perPage: number | null;
  bytes: number;
}): SliceEstimate {
  const records = page.total ?? page.records.length;
  const perPage = page.perPage ?? Math.max(1, page.records.length);
  const pages = records === 0 ? 1 : Math.ceil(records / perPage);
  const bytes = page.records.length ? Math.round((page.bytes / page.records.length) * records) : page.bytes;
  return { records, pages, bytes };
}

/**
 * Fetches page 1 of every slice, `concurrency` at a time, and returns one estimate per slice in
 * slice order. Costs one request per slice; nothing is written.
 */
export async function probeSlices(
  client: DqmClient,
  slices: readonly Slice[],
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<SliceEstimate[]> {
  const limit = pLimit(Math.max(1, options.concurrency ?? client.concurrency));
  return Promise.all(
    slices.map((slice) =>
      limit(async () =>
        estimateFromPage(await client.listPage(slice.endpoint, slice.filters, 1, { signal: options.signal })),
      ),
    ),
  );
}
