/**
 * The records a run will fetch, for its progress bar on a terminal: every stream planned, then page 1
 * of a sample of its slices probed (all of them when there are few) and the rest extrapolated. Probing
 * every slice, as `plan` does, cost one request per slice before the export started: 400 slices at
 * 50 ms latency and c = 16 delayed it by 1.5 s, and each probed page 1 is fetched again by the export
 * (docs/decisions.md, "The progress bar probes a sample of the slices").
 */
import type { LoadedPipeline } from '../config/index.js';
import { readCursor } from '../dataset/cursor.js';
import { streamRoot } from '../dataset/layout.js';
import type { Source } from '../sources/source.js';

/** Indices of at most `k` of `n` items, spread evenly from the first; all of them when n <= k. */
export function sampleIndices(n: number, k: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const take = Math.max(1, k);
  return Array.from({ length: take }, (_, i) => Math.floor((i * n) / take));
}

/** Records of `n` slices from the records of a sample of them: exact when the sample is all of them. */
export function extrapolateRecords(sampled: readonly number[], n: number): number {
  if (sampled.length === 0) return 0;
  const sum = sampled.reduce((a, b) => a + b, 0);
  return sampled.length === n ? sum : Math.round((sum * n) / sampled.length);
}

/**
 * Plans every stream of `loaded` against `source` and probes page 1 of at most `sample` slices of
 * each; resolves to the records expected in all. Writes nothing.
 */
export async function estimateRunRecords(
  loaded: LoadedPipeline,
  source: Source,
  o: { outRoot: string; sample: number; signal?: AbortSignal },
): Promise<number> {
  let records = 0;
  for (const stream of loaded.pipeline.streams) {
    const cursor = stream.incremental ? await readCursor(streamRoot(stream, o.outRoot)) : null;
    const minRun = cursor ? cursor.value + 1 : undefined;
    const slices = await source.plan(stream, { minRun, signal: o.signal });
    const picked = sampleIndices(slices.length, o.sample).map((i) => slices[i]!);
    const estimates = await source.estimate(picked, { signal: o.signal });
    records += extrapolateRecords(
      estimates.map((e) => e.records),
      slices.length,
    );
  }
  return records;
}
