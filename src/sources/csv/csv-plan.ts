/**
 * Planning a histogram stream over scanned CSV files, as plain data: the slices (the extractor's own
 * `planSlices`, fed with the runs and titles the scans found), each slice's filters as the embedded
 * server's validated query, and per file the route of every data row (slice index, filtered out,
 * or bad) with per-slice counts. One pass over the rows routes them all; no histogram is parsed.
 */
import { encodeFilters, type Endpoint } from '../../domain.js';
import { ServerError } from '../../errors.js';
import { planSlices, type Slice, type StreamSpec } from '../../extract/index.js';
import { histogramQuery, isReply } from '../../server/filters.js';
import { satisfies, type HistogramQuery } from '../../tables/model.js';

/** What planning needs to know about one file (from its scan, or from the journal of a resumed run). */
export interface FileSummary {
  /** Absolute path. */
  path: string;
  /** `source_data_file` of its rows: its position in the sorted file list, from 1. */
  fileId: number;
  /** Its dimensionality (null: no good row). */
  dim: 1 | 2 | null;
  /** Data rows (ids of the next file of the same dimensionality start after them). */
  rows: number;
  /** Distinct runs of its good rows. */
  runs: number[];
  /** Distinct titles of its good rows. */
  titles: string[];
}

/** Per-row fields a route needs (the scan's arrays). */
export interface RowFields {
  rows: number;
  dims: Uint8Array;
  run: Int32Array;
  ls: Int32Array;
  title: Int32Array;
  titles: string[];
  entries: Float64Array;
}

/** A slice with its filters as a server query. */
export interface PlannedSlice {
  slice: Slice;
  query: HistogramQuery;
}

/** Route of a row: its slice index, or one of these. */
export const ROUTE_SKIP = -1;
/** Bad per the scan: parsed only to report it. */
export const ROUTE_BAD = -2;

/** Ids of the first row of each file: ids run per dimensionality over the files in order. */
export function idBases(files: readonly FileSummary[]): number[] {
  const next = { 1: 1, 2: 1 };
  return files.map((f) => {
    if (f.dim === null) return 1;
    const base = next[f.dim];
    next[f.dim] += f.rows;
    return base;
  });
}

/**
 * Slices of the stream over these files, with their queries. Throws ServerError for filters the
 * server would refuse (an unknown title, a bad value), worded as the in-process server's reply.
 */
export function planCsvSlices(spec: StreamSpec, files: readonly FileSummary[], description: string): PlannedSlice[] {
  const dim = spec.endpoint === 'lumisection_histograms_1d' ? 1 : 2;
  const runs = new Set<number>();
  const titles = new Set<string>();
  for (const f of files) {
    for (const r of f.runs) runs.add(r);
    if (f.dim === dim) for (const t of f.titles) titles.add(t);
  }
  const slices = planSlices(spec as StreamSpec & { endpoint: Endpoint }, {
    runs: [...runs].sort((a, b) => a - b),
  }) as Slice[];
  const lookup = {
    exists: (id: number) => files.some((f) => f.fileId === id),
    idsWithPathContaining: (text: string) => files.filter((f) => f.path.includes(text)).map((f) => f.fileId),
  };
  return slices.map((slice) => {
    const query = histogramQuery([...encodeFilters(slice.filters)], (t) => titles.has(t), lookup, 'GET, HEAD, OPTIONS');
    if (isReply(query)) {
      const body = query.body.toString('utf8');
      throw new ServerError('E_HTTP_400', `${description} rejected the filters of slice ${slice.key}: ${body}`, {
        status: query.status,
        field: slice.key,
      });
    }
    return { slice, query };
  });
}

function matches(q: HistogramQuery, run: number, ls: number, entries: number, title: string, fileId: number): boolean {
  return (
    satisfies(run, q.run) &&
    satisfies(ls, q.ls) &&
    satisfies(entries, q.entries) &&
    (!q.titles || q.titles.includes(title)) &&
    (!q.sourceFiles || q.sourceFiles.has(fileId))
  );
}

/** Routes of a file's rows and rows per slice. */
export interface FileRoutes {
  route: Int32Array;
  counts: number[];
  bad: number;
}

/**
 * Routes every row of a file: to the first slice whose query admits it, ROUTE_SKIP when none does
 * (or the row is of the other dimensionality), ROUTE_BAD for a row the scan found bad (any
 * dimensionality: a bad row fails the run whatever the stream, as the server's parse of the whole
 * file would). `limit` caps the rows routed (max_records), counting from `already`.
 */
export function routeRows(
  rows: RowFields,
  fileId: number,
  dim: 1 | 2,
  slices: readonly PlannedSlice[],
  limit = Infinity,
): FileRoutes {
  const route = new Int32Array(rows.rows);
  const counts = new Array<number>(slices.length).fill(0);
  let bad = 0;
  let routed = 0;
  for (let i = 0; i < rows.rows; i++) {
    const d = rows.dims[i];
    if (d === 0) {
      route[i] = ROUTE_BAD;
      bad++;
      continue;
    }
    route[i] = ROUTE_SKIP;
    if (d !== dim || routed >= limit) continue;
    const title = rows.titles[rows.title[i]];
    for (let s = 0; s < slices.length; s++) {
      if (matches(slices[s].query, rows.run[i], rows.ls[i], rows.entries[i], title, fileId)) {
        route[i] = s;
        counts[s]++;
        routed++;
        break;
      }
    }
  }
  return { route, counts, bad };
}
