/**
 * `plan`: every stream's slices, probed (page 1 of each: totals, pages, estimated bytes) and, for a
 * sharded export, assigned to shards largest first across all streams. Reads the incremental cursor
 * but writes nothing; the result is plain data (a PlanFile) for printing or `--write-plan`.
 */
import type { LoadedPipeline } from '../config/index.js';
import { readCursor } from '../dataset/cursor.js';
import { streamRoot } from '../dataset/layout.js';
import { isHistogramStream } from '../transform/columns.js';
import type { SliceEstimate, Source, SourceSlice } from '../sources/source.js';
import { safeUrl } from '../secrets.js';
import { checkShardable } from './assignment.js';
import { buildPlanFile, type PlanFile, type PlanStream } from './plan-file.js';
import { assignShards } from './shards.js';
import { planCsvStream } from './csv-stream-plan.js';
import { csvPlanStream, csvUnitWeight } from './csv-shards.js';

/** Options of `makePlan`. */
export interface MakePlanOptions {
  /** Where the slices come from. */
  source: Source;
  /** Directory output paths resolve against (for reading incremental cursors). */
  outRoot: string;
  /** Shard count, or undefined for an unsharded plan. */
  shards?: number;
  /** Fetch page 1 of every slice (default true). */
  probe?: boolean;
  signal?: AbortSignal;
}

/** Plans (and probes) every stream of the pipeline. */
export async function makePlan(loaded: LoadedPipeline, o: MakePlanOptions): Promise<PlanFile> {
  const streams: PlanStream[] = [];
  for (const stream of loaded.pipeline.streams) {
    if (o.shards !== undefined) checkShardable(loaded, stream);
    const cursor = stream.incremental ? await readCursor(streamRoot(stream, o.outRoot)) : null;
    const minRun = cursor ? cursor.value + 1 : undefined;
    const csv = o.source.csv;
    let slices: SourceSlice[];
    let estimates: SliceEstimate[] | undefined;
    if (csv && isHistogramStream(stream.endpoint)) {
      // CSV files: exact counts from the fast scans (the probe costs nothing more); sharded, a file is the unit.
      const scanned = await planCsvStream(stream, csv, { minRun });
      if (o.shards !== undefined) {
        streams.push(csvPlanStream(stream, scanned.files));
        continue;
      }
      ({ slices, estimates } = scanned);
    } else {
      slices = await o.source.plan(stream, { minRun, signal: o.signal });
      estimates = o.probe === false ? undefined : await o.source.estimate(slices, { signal: o.signal });
    }
    streams.push({
      name: stream.name,
      endpoint: stream.endpoint,
      output: stream.output.path,
      slices: slices.map((s, i) => ({
        key: s.key,
        filters: s.filters,
        partition: s.partition,
        ...(estimates ? { estimate: estimates[i] } : {}),
      })),
    });
  }
  if (o.shards !== undefined) {
    // One balanced assignment over all streams: a shard gets a fair share of the total work.
    const flat = streams.flatMap((s) => s.slices);
    const weights = flat.map((s) => csvUnitWeight(s) ?? s.estimate?.bytes ?? 1);
    const shards = assignShards(weights, o.shards);
    flat.forEach((s, i) => (s.shard = shards[i]));
  }
  return buildPlanFile({
    pipeline: loaded.pipeline.name,
    configHash: loaded.configHash,
    source: safeUrl(o.source.origin),
    shards: o.shards ?? null,
    streams,
  });
}

/** Totals of a list of slices' estimates (absent estimates count as unknown). */
export function planTotals(slices: ReadonlyArray<{ estimate?: { records: number; pages: number; bytes: number } }>): {
  slices: number;
  records: number;
  pages: number;
  bytes: number;
  probed: boolean;
} {
  const t = {
    slices: slices.length,
    records: 0,
    pages: 0,
    bytes: 0,
    probed: slices.every((s) => s.estimate !== undefined),
  };
  for (const s of slices) {
    t.records += s.estimate?.records ?? 0;
    t.pages += s.estimate?.pages ?? 0;
    t.bytes += s.estimate?.bytes ?? 0;
  }
  return t;
}
