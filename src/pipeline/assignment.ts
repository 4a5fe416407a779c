/**
 * Which slices of a stream this process runs: all of them (planned now), those of a plan file, or one
 * shard's share (from the plan file's balanced assignment, or by a stable hash of the slice key when
 * there is no plan file). Every shard computes the plan hash of the whole stream, so `finalize` can
 * tell whether all shards ran the same plan.
 */
import type { LoadedPipeline, Stream } from '../config/index.js';
import type { ShardRun } from '../dataset/targets.js';
import { ConfigError, UsageError } from '../errors.js';
import type { Source, SourceSlice } from '../sources/source.js';
import { planHash, slicesOf, type PlanFile } from './plan-file.js';
import { shardOfKey, type ShardIndex } from './shards.js';

/** What `runStream` gets besides the common options. */
export interface SliceAssignment {
  slices?: SourceSlice[];
  shard?: ShardRun;
}

/** Refuses stream settings whose meaning depends on one process seeing every slice. */
export function checkShardable(loaded: LoadedPipeline, stream: Stream): void {
  const why = stream.incremental
    ? 'incremental streams keep one cursor per dataset'
    : stream.output.mode === 'append'
      ? 'output.mode append adds to one dataset manifest'
      : stream.max_records !== undefined
        ? 'max_records counts records across all slices'
        : null;
  if (why) {
    throw new UsageError(
      'E_SHARD_UNSUPPORTED',
      `${loaded.file}: stream ${stream.name} cannot be sharded: ${why}; run it unsharded`,
      { file: loaded.file, field: `streams.${stream.name}` },
    );
  }
}

/** The slices and shard context for one stream of a run. */
export async function sliceAssignment(
  loaded: LoadedPipeline,
  stream: Stream,
  source: Source,
  o: { plan?: PlanFile; shard?: ShardIndex; signal?: AbortSignal },
): Promise<SliceAssignment> {
  let all: Array<SourceSlice & { shard?: number }> | undefined;
  if (o.plan) {
    const ps = o.plan.streams.find((s) => s.name === stream.name);
    if (!ps)
      throw new ConfigError('E_PLAN_STALE', `the plan file has no stream ${stream.name}; write the plan again`, {
        field: `streams.${stream.name}`,
      });
    all = slicesOf(ps).map((s, i) => ({ ...s, shard: ps.slices[i].shard }));
  }
  if (!o.shard) return all ? { slices: all } : {};
  checkShardable(loaded, stream);
  const { index, count } = o.shard;
  if (!all) {
    const planned = await source.plan(stream, { signal: o.signal });
    all = planned.map((s) => ({ ...s, shard: shardOfKey(stream.name, s.key, count) }));
  }
  const hash = o.plan ? o.plan.planHash : planHash(loaded.configHash, count, [{ name: stream.name, slices: all }]);
  const mine = all.filter((s) => s.shard === index).map(({ shard: _shard, ...s }) => s as SourceSlice);
  return { slices: mine, shard: { index, count, planHash: hash, assigned: mine.length } };
}
