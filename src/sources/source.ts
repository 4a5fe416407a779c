/**
 * The one interface every record source sits behind (DQM Playground, DIALS, ML4DQM CSV files): plan a
 * stream into slices (plain data), fetch slices' records as batches, end each slice with a report that
 * names how it was proven complete, estimate slices for `plan`, and describe provenance. The runner,
 * `plan` and shards talk only to this, so a new source is one more implementation; a streaming source
 * fits as long as it yields record batches and a verified end per slice.
 */
import type { Pipeline, Stream } from '../config/index.js';
import type { Filters } from '../domain.js';
import type { ClientStats, PartitionValues } from '../extract/types.js';
import type { Logger } from '../log.js';
import type { CsvSession } from './csv/session.js';

/** Kinds of source, as `source.type` names them. */
export type SourceKind = 'dqm-playground' | 'dials' | 'ml4dqm-csv';

/**
 * How a slice was shown to be complete, recorded per slice in the journal and the manifest:
 * - `server-total`: distinct records equal the total the list envelope announced (DQM Playground);
 * - `count-endpoint`: equal to the answer of the endpoint's `count/` route with the same filters;
 * - `lumisection-counts`: equal to the sum of `th1_count`/`th2_count` of the slice's lumisections;
 * - `cursor-end`: an ordered cursor walk reached its end with strictly increasing keys (no count exists);
 * - `single-response`: the endpoint answers in one unpaged response.
 */
export type CompletenessProof =
  'server-total' | 'count-endpoint' | 'lumisection-counts' | 'cursor-end' | 'single-response';

/** One independently fetched, verified and committed unit of a stream. */
export interface SourceSlice {
  /** Stable and unique within a stream, e.g. `run=315705`. */
  key: string;
  /** The endpoint read, in the source's own naming (`th2`, `lumisection_histograms_2d`). */
  endpoint: string;
  /** Filters of this slice, the source's real names. */
  filters: Filters;
  /** Values the slice stands for (partition columns and resume keys). */
  partition: PartitionValues;
}

/** The verified end of a slice. */
export interface SourceSliceReport {
  /** Records the proof expected (null when the proof is the end of an ordered walk). */
  total: number | null;
  /** Distinct records emitted. */
  received: number;
  /** Records dropped because their key had been emitted already. */
  duplicates: number;
  /** Extra scopes or walks fetched to reconcile the count. */
  repairs: number;
  retries: number;
  pages: number;
  bytes: number;
  elapsedMs: number;
  /** How the slice was proven complete. */
  proof?: CompletenessProof;
  /** Further source-specific counters (e.g. DIALS page-size reductions). */
  [extra: string]: unknown;
}

/** Yielded while extracting: batches of a slice's records (each once), then the slice's verified end. */
export type SourceEvent =
  | { type: 'batch'; slice: SourceSlice; records: unknown[]; bytes: number }
  | { type: 'slice-done'; slice: SourceSlice; report: SourceSliceReport };

/** What page 1 (or a count) says about a slice, for `plan`. */
export interface SliceEstimate {
  /** Records the server reports for the slice, or what one page held when it reports none. */
  records: number;
  /** Pages at the source's page size. */
  pages: number;
  /** JSON bytes, extrapolated from the probe's bytes per record. */
  bytes: number;
}

/** Options of `Source.plan`. */
export interface PlanOptions {
  /** Incremental cursor: only runs >= this. */
  minRun?: number;
  signal?: AbortSignal;
}

/** Options of `Source.extract`. */
export interface SourceExtractOptions {
  signal?: AbortSignal;
  logger?: Logger;
}

/** Where a stream's data came from, written to manifests and file metadata (token-free). */
export interface StreamProvenance {
  /** The list endpoint's URL. */
  sourceUrl: string;
  endpoint: string;
  /** Filters as configured (after an incremental cursor). */
  filters: Filters;
}

/** A record source. */
export interface Source {
  readonly kind: SourceKind;
  /** Token-free base URL (or `file:` description) of the source. */
  readonly origin: string;
  /** Requests (or slices) in flight at once. */
  readonly concurrency: number;
  /** Live request counters (retries = attempts - requests). */
  readonly stats: ClientStats;
  /** Cuts a stream into slices. */
  plan(stream: Stream, options?: PlanOptions): Promise<SourceSlice[]>;
  /** One cheap probe per slice, in slice order. */
  estimate(slices: readonly SourceSlice[], options?: { signal?: AbortSignal }): Promise<SliceEstimate[]>;
  /** Records of `slices`, each slice's batches followed by its verified end. */
  extract(slices: readonly SourceSlice[], options?: SourceExtractOptions): AsyncIterable<SourceEvent>;
  /** Provenance of a stream read from this source. */
  provenance(stream: Stream, minRun?: number): StreamProvenance;
  /**
   * An ml4dqm-csv source's files and parse workers: its histogram streams are streamed from the files
   * by `runCsvStream` (src/pipeline/run-csv-stream.ts) instead of going through `extract`.
   */
  readonly csv?: CsvSession;
  /** Runs the pipeline's `prepare` steps; absent where the source has none. */
  prepare?(steps: NonNullable<Pipeline['prepare']>, options: { logger: Logger; signal?: AbortSignal }): Promise<void>;
  close(): Promise<void>;
}
