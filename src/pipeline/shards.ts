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
  const order = weights
    .map((w, i) => ({ w: Number.isFinite(w) && w > 0 ? w : 0, i }))
    .sort((a, b) => b.w - a.w || a.i - b.i);
  const load = new Array<number>(count).fill(0);
  const items = new Array<number>(count).fill(0);
  const out = new Array<number>(weights.length);
  for (const { w, i } of order) {
    let best = 0;
    // Equal load: fewer items wins, so zero-weight (unknown) slices still spread over shards.
    for (let s = 1; s < count; s++)
      if (load[s] < load[best] || (load[s] === load[best] && items[s] < items[best])) best = s;
    out[i] = best;
    load[best] += w;
    items[best] += 1;
  }
  return out;
}

function parseIndex(text: string, what: string): number {
  if (!/^\d+$/.test(text.trim()))
    throw new UsageError('E_SHARD_INDEX', `${what}: expected a non-negative integer, got "${text}"`);
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
  if (extra !== undefined || i === undefined)
    throw new UsageError('E_SHARD_INDEX', `--shard: expected I or I/N, got "${value}"`);
  const index = parseIndex(i, '--shard');
  if (n === undefined) return { index };
  return { index, count: checkShardCount(parseIndex(n, '--shard'), '--shard') };
}

/** Where the shard index came from, for messages: `--shard` or the engine's variable. */
export type ShardIndexSource = '--shard' | 'JOB_COMPLETION_INDEX' | 'SLURM_ARRAY_TASK_ID';

/**
 * The shard index a batch engine set: `JOB_COMPLETION_INDEX` (Kubernetes Indexed Job, 0-based) or
 * `SLURM_ARRAY_TASK_ID` itself (submit the array as `--array=0-(N-1)`). The array task id is used as
 * it is, never shifted by `SLURM_ARRAY_TASK_MIN`: the usual way to rerun one failed task,
 * `sbatch --array=3 ...`, has a minimum of 3, and a shifted index would run shard 0 instead of 3.
 */
export function shardIndexFromEnv(
  env: Record<string, string | undefined>,
): { index: number; from: Exclude<ShardIndexSource, '--shard'> } | undefined {
  const k8s = env.JOB_COMPLETION_INDEX;
  if (k8s !== undefined && k8s !== '')
    return { index: parseIndex(k8s, 'JOB_COMPLETION_INDEX'), from: 'JOB_COMPLETION_INDEX' };
  const slurm = env.SLURM_ARRAY_TASK_ID;
  if (slurm !== undefined && slurm !== '')
    return { index: parseIndex(slurm, 'SLURM_ARRAY_TASK_ID'), from: 'SLURM_ARRAY_TASK_ID' };
  return undefined;
}

function outOfRange(index: number, count: number, from: ShardIndexSource): UsageError {
  const range = `there are ${count} shards (0 to ${count - 1})`;
  if (from === 'SLURM_ARRAY_TASK_ID') {
    return new UsageError(
      'E_SHARD_INDEX',
      `SLURM_ARRAY_TASK_ID ${index} is out of range: ${range}; the array task id is the shard index, so submit the array as --array=0-${count - 1} (or rerun one shard with --array=I)`,
    );
  }
  if (from === 'JOB_COMPLETION_INDEX')
    return new UsageError(
      'E_SHARD_INDEX',
      `JOB_COMPLETION_INDEX ${index} is out of range: ${range}; set the Job's completions to ${count}`,
    );
  return new UsageError('E_SHARD_INDEX', `shard index ${index} is out of range: ${range}`);
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
}): (ShardIndex & { from: ShardIndexSource }) | undefined {
  const arg = input.shard !== undefined ? parseShardArg(String(input.shard)) : undefined;
  const counts = [arg?.count, input.shards, input.planShards ?? undefined].filter((c): c is number => c !== undefined);
  if (counts.length === 0) {
    if (arg)
      throw new UsageError(
        'E_SHARD_COUNT',
        `--shard ${input.shard}: the shard count is unknown; use --shard I/N, --shards N, or --plan with a plan written by plan --shards N`,
      );
    return undefined;
  }
  const count = checkShardCount(counts[0], '--shards');
  if (counts.some((c) => c !== count)) {
    throw new UsageError(
      'E_SHARD_COUNT',
      `conflicting shard counts: ${[...new Set(counts)].join(' vs ')} (from --shard, --shards and the plan file)`,
    );
  }
  let index = arg?.index;
  let from: ShardIndexSource = '--shard';
  if (index === undefined) {
    const fromEnv = shardIndexFromEnv(input.env);
    if (!fromEnv) {
      throw new UsageError(
        'E_SHARD_INDEX',
        `no shard index: give --shard I (HTCondor: --shard $(Process)) or run under an engine that sets JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID`,
      );
    }
    index = fromEnv.index;
    from = fromEnv.from;
  }
  if (index >= count) throw outOfRange(index, count, from);
  return { index, count, from };
}
