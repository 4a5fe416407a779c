/**
 * Sharding, as pure functions: which shard a slice belongs to (by a balanced assignment written into
 * a plan file, or by a stable hash of its key), how a shard is named in files, and where a batch
 * engine puts the shard index (Kubernetes Indexed Jobs, Slurm arrays; HTCondor passes `$(Process)` on
 * the command line). There is no coordinator: every shard computes the same answer from the same
 * inputs.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

/** Which shard this process is, out of how many. */
export interface ShardIndex {
  index: number;
  count: number;
}

/** Largest shard count accepted (file names carry the index; a plan lists every slice). */
export const MAX_SHARDS = 10_000;

/** Shard of a slice by a stable hash of stream name and slice key (sha256, first 32 bits, mod count). */
export function shardOfKey(stream: string, key: string, count: number): number {
  const digest = createHash('sha256').update(`${stream}\u0000${key}`).digest();
  return digest.readUInt32BE(0) % count;
}

/**
 * Assigns weighted items to `count` shards, largest first, each to the currently lightest shard (ties:
 * the lowest index). Deterministic for the same input order; items of equal weight keep their order.
 * Returns the shard of each item, in input order.
 */
export function assignShards(weights: readonly number[], count: number): number[] {
  const order = weights.map((w, i) => ({ w: Number.isFinite(w) && w > 0 ? w : 0, i })).sort((a, b) => b.w - a.w || a.i - b.i);
  const load = new Array<number>(count).fill(0);
  const items = new Array<number>(count).fill(0);
  const out = new Array<number>(weights.length);
  for (const { w, i } of order) {
    let best = 0;
    // Equal load: fewer items wins, so zero-weight (unknown) slices still spread over shards.
    for (let s = 1; s < count; s++) if (load[s] < load[best] || (load[s] === load[best] && items[s] < items[best])) best = s;
    out[i] = best;
    load[best] += w;
    items[best] += 1;
  }
  return out;
}

function parseIndex(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError('E_SHARD_INDEX', `${what}: expected a non-negative integer, got "${text}"`);
  return Number(text.trim());
}

/** Checks a shard count given as `what` (an option name); returns it. */
export function checkShardCount(count: number, what: string): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new UsageError('E_SHARD_COUNT', `${what}: expected a shard count from 1 to ${MAX_SHARDS}, got ${count}`);
  }
  return count;
}

/** `--shard I` or `--shard I/N`. */
export function parseShardArg(value: string): { index: number; count?: number } {
  const [i, n, extra] = value.split('/');
  if (extra !== undefined || i === undefined) throw new UsageError('E_SHARD_INDEX', `--shard: expected I or I/N, got "${value}"`);
  const index = parseIndex(i, '--shard');
  if (n === undefined) return { index };
  return { index, count: checkShardCount(parseIndex(n, '--shard'), '--shard') };
}

/**
 * The shard index a batch engine set: `JOB_COMPLETION_INDEX` (Kubernetes Indexed Job, 0-based) or
 * `SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN` (so `--array=1-4` works as well as `0-3`).
 */
export function shardIndexFromEnv(env: Record<string, string | undefined>): { index: number; from: string } | undefined {
  const k8s = env.JOB_COMPLETION_INDEX;
  if (k8s !== undefined && k8s !== '') return { index: parseIndex(k8s, 'JOB_COMPLETION_INDEX'), from: 'JOB_COMPLETION_INDEX' };
  const slurm = env.SLURM_ARRAY_TASK_ID;
  if (slurm !== undefined && slurm !== '') {
    const min = env.SLURM_ARRAY_TASK_MIN ? parseIndex(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN') : 0;
    const id = parseIndex(slurm, 'SLURM_ARRAY_TASK_ID');
    if (id < min) throw new UsageError('E_SHARD_INDEX', `SLURM_ARRAY_TASK_ID ${id} is below SLURM_ARRAY_TASK_MIN ${min}`);
    return { index: id - min, from: 'SLURM_ARRAY_TASK_ID' };
  }
  return undefined;
}

/**
 * Resolves this process's shard from the command line, the plan's shard count and the environment.
 * Undefined when nothing asks for sharding. `--shard I/N` needs no plan; `--shard I` needs `--plan`
 * or `--shards N`; with neither `--shard` given, the index comes from the engine's environment.
 */
export function resolveShard(input: {
  shard?: string;
  shards?: number;
  planShards?: number | null;
  env: Record<string, string | undefined>;
}): ShardIndex | undefined {
  const arg = input.shard !== undefined ? parseShardArg(String(input.shard)) : undefined;
  const counts = [arg?.count, input.shards, input.planShards ?? undefined].filter((c): c is number => c !== undefined);
  if (counts.length === 0) {
    if (arg) throw new UsageError('E_SHARD_COUNT', `--shard ${input.shard}: the shard count is unknown; use --shard I/N, --shards N, or --plan with a plan written by plan --shards N`);
    return undefined;
  }
  const count = checkShardCount(counts[0], '--shards');
  if (counts.some((c) => c !== count)) {
    throw new UsageError('E_SHARD_COUNT', `conflicting shard counts: ${[...new Set(counts)].join(' vs ')} (from --shard, --shards and the plan file)`);
  }
  let index = arg?.index;
  if (index === undefined) {
    const fromEnv = shardIndexFromEnv(input.env);
    if (!fromEnv) {
      throw new UsageError('E_SHARD_INDEX', `no shard index: give --shard I (HTCondor: --shard $(Process)) or run under an engine that sets JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID`);
    }
    index = fromEnv.index;
  }
  if (index >= count) throw new UsageError('E_SHARD_INDEX', `shard index ${index} is out of range: there are ${count} shards (0 to ${count - 1})`);
  return { index, count };
}
