/**
 * What the request handlers see of the data: tables of pre-serialised records behind small
 * interfaces, implemented twice (CSV-backed in store.ts, arithmetic in synthetic.ts). A list query
 * returns a Listing, whose k-th record is appended to a page as ready-made JSON bytes, so a page is
 * a concatenation of buffers and never a JSON.stringify of objects.
 */
import type { HistogramAxes } from '../domain.js';

/** The records matching a query, in the endpoint's natural order (ids, run numbers, ...). */
export interface Listing {
  /** Number of matching records. */
  readonly total: number;
  /** Appends the JSON bytes of the k-th record (0-based, k < total) to `parts`. */
  append(k: number, parts: Buffer[]): void;
}

/** An empty listing (run_histograms, tasks, ... and queries that match nothing). */
export const EMPTY_LISTING: Listing = { total: 0, append: () => undefined };

/** Constraints on an integer column: exact, range, and `__in` list, all ANDed. */
export interface IntConstraint {
  /** `field=` */
  eq?: number;
  /** `field__gte=` */
  gte?: number;
  /** `field__lte=` */
  lte?: number;
  /** `field__in=` */
  in?: number[];
}

/** True if `v` satisfies every constraint present. */
export function satisfies(v: number, c: IntConstraint): boolean {
  if (c.eq !== undefined && v !== c.eq) return false;
  if (c.gte !== undefined && v < c.gte) return false;
  if (c.lte !== undefined && v > c.lte) return false;
  if (c.in !== undefined && !c.in.includes(v)) return false;
  return true;
}

/** A validated histogram list query (see filters.ts for the query-string side). */
export interface HistogramQuery {
  run: IntConstraint;
  ls: IntConstraint;
  entries: IntConstraint;
  /** Any of these titles (`?title=a&title=b`). */
  titles?: string[];
  /** Ids of the data files allowed by `source_data_file` and `source_data_file__filepath__contains`. */
  sourceFiles?: Set<number>;
}

// Binning of a histogram (y fields null for 1D): declared with the record types, in src/domain.ts.
export type { HistogramAxes };

/**
 * One histogram's fields, for views other than the DQM Playground record (the DIALS server renders
 * its own records from these); `data` stays pre-rendered JSON text, appended without a copy.
 */
export interface HistogramRow {
  readonly run: number;
  readonly ls: number;
  readonly title: string;
  readonly entries: number;
  /** Data file the row was parsed from (synthetic rows: 1). */
  readonly fileId: number | null;
  readonly axes: HistogramAxes;
  /** Appends the JSON text of `data` (`[...]`, or `[[...],...]` y-outer in 2D) to `parts`. */
  appendData(parts: Buffer[]): void;
}

/** Lumisection histograms of one dimensionality. */
export interface HistogramTable {
  /** Every live histogram, in id order (the array may be shared: do not modify it). */
  rows(): readonly HistogramRow[];

  readonly dim: 1 | 2;
  /** True if a histogram with this title exists (django-filter's AllValuesMultipleFilter choices). */
  hasTitle(title: string): boolean;
  list(query: HistogramQuery): Listing;
  /** JSON bytes of one histogram, by id. */
  get(id: number): Buffer | undefined;
  /** Deletes by id; false if there is no such histogram; undefined if the table is read-only. */
  delete(id: number): boolean | undefined;
}

/** A validated runs query. `never` is set when a filter on a field this server leaves null was given. */
export interface RunQuery {
  runNumber?: number;
  date?: number;
  never?: boolean;
}

/** A validated lumisections query. */
export interface LumisectionQuery {
  run?: number;
  ls?: number;
  date?: number;
  never?: boolean;
}

/** Outcome of a create: the new record's JSON, or why not. */
export type CreateResult = { json: Buffer } | { error: 'exists' | 'no-run' | 'read-only' };

/** Runs, ordered by run number; detail by run number. */
export interface RunTable {
  list(query: RunQuery): Listing;
  get(runNumber: number): Buffer | undefined;
  create(runNumber: number): CreateResult;
}

/** Lumisections, ordered by (run, LS); detail by id (1-based, creation order). */
export interface LumisectionTable {
  list(query: LumisectionQuery): Listing;
  get(id: number): Buffer | undefined;
  create(runNumber: number, ls: number): CreateResult;
}

/** What histogram filters need to know about the data files. */
export interface DataFileLookup {
  exists(id: number): boolean;
  /** Ids of the files whose path contains `text` (case-sensitive, like `__contains`). */
  idsWithPathContaining(text: string): number[];
}

/** A validated data-file list query. */
export interface DataFileQuery {
  id?: number;
  dataEra?: string;
  dimensionality?: 1 | 2;
  granularity?: 'run' | 'lum';
  complete?: boolean;
  entriesTotalGt?: number;
  entriesTotalLt?: number;
  pathContains?: string;
}
