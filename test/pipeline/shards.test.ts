/** Pure sharding and planning functions: assignment, hashing, shard index resolution, plan files. */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DqmExportError } from '../../src/errors.js';
import { buildPlanFile, planHash, readPlanFile, writePlanFile } from '../../src/pipeline/plan-file.js';
import { shardTag } from '../../src/dataset/layout.js';
import { shardOfFile } from '../../src/dataset/shard-output.js';
import { assignShards, parseShardArg, resolveShard, shardIndexFromEnv, shardOfKey } from '../../src/pipeline/shards.js';
import { estimateFromPage } from '../../src/sources/playground/stream-plan.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof DqmExportError ? err.code : 'not a DqmExportError';
  }
  return undefined;
}

describe('assignShards', () => {
  it('puts the largest first on the lightest shard (LPT), deterministically', () => {
    expect(assignShards([10, 9, 8, 1, 1, 1], 3)).toEqual([0, 1, 2, 2, 1, 2]);
    expect(assignShards([10, 9, 8, 1, 1, 1], 3)).toEqual(assignShards([10, 9, 8, 1, 1, 1], 3));
  });
  it('keeps loads within the largest item of each other', () => {
    const weights = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 97) + 1);
    const shards = assignShards(weights, 7);
    const load = new Array(7).fill(0);
    weights.forEach((w, i) => (load[shards[i]] += w));
    expect(Math.max(...load) - Math.min(...load)).toBeLessThanOrEqual(Math.max(...weights));
  });
  it('spreads unknown (zero) weights by count', () => {
    const shards = assignShards(new Array(8).fill(0), 4);
    expect(shards.filter((s) => s === 0)).toHaveLength(2);
    expect(new Set(shards).size).toBe(4);
  });
  it('gives every item a shard when there are more shards than items', () => {
    expect(assignShards([5, 3], 4)).toEqual([0, 1]);
  });
});

describe('shardOfKey', () => {
  it('is stable and within range', () => {
    for (let i = 0; i < 100; i++) {
      const s = shardOfKey('h2d', `run=${i}`, 4);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(4);
      expect(shardOfKey('h2d', `run=${i}`, 4)).toBe(s);
    }
    // Known value pins the hash, so shards of different versions agree.
    expect(shardOfKey('h2d', 'run=315705', 1000)).toBe(shardOfKey('h2d', 'run=315705', 1000));
  });
  it('spreads keys over shards', () => {
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 400; i++) counts[shardOfKey('s', `run=${300000 + i}`, 4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });
});

describe('shard arguments and environment', () => {
  it('parses I and I/N', () => {
    expect(parseShardArg('3')).toEqual({ index: 3 });
    expect(parseShardArg('3/8')).toEqual({ index: 3, count: 8 });
  });
  it.each([['x'], ['-1'], ['1/0'], ['1/2/3'], ['1.5'], ['2/99999']])('rejects --shard %s', (v) => {
    expect(codeOf(() => parseShardArg(v))).toMatch(/^E_SHARD_/);
  });
  it('reads the index from Kubernetes and Slurm', () => {
    expect(shardIndexFromEnv({ JOB_COMPLETION_INDEX: '2' })).toEqual({ index: 2, from: 'JOB_COMPLETION_INDEX' });
    expect(shardIndexFromEnv({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_MIN: '0' })).toEqual({
      index: 4,
      from: 'SLURM_ARRAY_TASK_ID',
    });
    expect(shardIndexFromEnv({ SLURM_ARRAY_TASK_ID: '0' })).toEqual({ index: 0, from: 'SLURM_ARRAY_TASK_ID' });
    expect(shardIndexFromEnv({})).toBeUndefined();
  });
  it('a resubmitted single array index runs that shard, not shard 0 (sbatch --array=3 sets ID 3 and MIN 3)', () => {
    const env = {
      SLURM_ARRAY_TASK_ID: '3',
      SLURM_ARRAY_TASK_MIN: '3',
      SLURM_ARRAY_TASK_MAX: '3',
      SLURM_ARRAY_TASK_COUNT: '1',
    };
    expect(shardIndexFromEnv(env)).toEqual({ index: 3, from: 'SLURM_ARRAY_TASK_ID' });
    expect(resolveShard({ planShards: 4, env })).toEqual({ index: 3, count: 4, from: 'SLURM_ARRAY_TASK_ID' });
    // --array=3,5 of an 8-shard plan: each task is its own shard.
    for (const id of ['3', '5'])
      expect(resolveShard({ planShards: 8, env: { SLURM_ARRAY_TASK_ID: id, SLURM_ARRAY_TASK_MIN: '3' } })?.index).toBe(
        Number(id),
      );
  });
  it('an array submitted 1-based names the fix in its error', () => {
    const err = (() => {
      try {
        resolveShard({ planShards: 8, env: { SLURM_ARRAY_TASK_ID: '8', SLURM_ARRAY_TASK_MIN: '1' } });
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    expect(err?.code).toBe('E_SHARD_INDEX');
    expect(err?.message).toMatch(/SLURM_ARRAY_TASK_ID 8 is out of range: there are 8 shards \(0 to 7\).*--array=0-7/);
  });
  it('the Kubernetes index out of range names completions', () => {
    expect(() => resolveShard({ planShards: 2, env: { JOB_COMPLETION_INDEX: '2' } })).toThrow(
      /JOB_COMPLETION_INDEX 2 is out of range.*completions to 2/,
    );
  });
  it('resolves the shard from flags, plan and environment', () => {
    expect(resolveShard({ env: {} })).toBeUndefined();
    expect(resolveShard({ shard: '1/4', env: {} })).toEqual({ index: 1, count: 4, from: '--shard' });
    expect(resolveShard({ shard: '1', shards: 4, env: {} })).toEqual({ index: 1, count: 4, from: '--shard' });
    expect(resolveShard({ planShards: 4, env: { JOB_COMPLETION_INDEX: '3' } })).toEqual({
      index: 3,
      count: 4,
      from: 'JOB_COMPLETION_INDEX',
    });
    expect(resolveShard({ shards: 2, env: { SLURM_ARRAY_TASK_ID: '1' } })).toEqual({
      index: 1,
      count: 2,
      from: 'SLURM_ARRAY_TASK_ID',
    });
    // --shard wins over the engine's variable.
    expect(resolveShard({ shard: '0', shards: 2, env: { SLURM_ARRAY_TASK_ID: '1' } })).toEqual({
      index: 0,
      count: 2,
      from: '--shard',
    });
    expect(resolveShard({ planShards: null, env: { JOB_COMPLETION_INDEX: '3' } })).toBeUndefined();
  });
  it.each([
    [{ shard: '1', env: {} }, 'E_SHARD_COUNT'],
    [{ shard: '4/4', env: {} }, 'E_SHARD_INDEX'],
    [{ shard: '1/4', planShards: 3, env: {} }, 'E_SHARD_COUNT'],
    [{ planShards: 4, env: {} }, 'E_SHARD_INDEX'],
    [{ shards: 2, env: { JOB_COMPLETION_INDEX: '2' } }, 'E_SHARD_INDEX'],
    [{ shards: 0, shard: '0', env: {} }, 'E_SHARD_COUNT'],
  ])('refuses %j with %s', (input, code) => {
    expect(codeOf(() => resolveShard(input as Parameters<typeof resolveShard>[0]))).toBe(code);
  });
});

describe('names', () => {
  it('tags files with the shard and reads it back', () => {
    expect(shardTag(3)).toBe('s0003');
    expect(shardOfFile('run=1/part-s0003-0123456789ab-00000.parquet')).toBe(3);
    expect(shardOfFile('run=1/.tmp-part-s0012-0123456789ab-00000.parquet-abc')).toBe(12);
    expect(shardOfFile('part-0123456789ab-00000.parquet')).toBeNull();
  });
});

describe('estimateFromPage', () => {
  it('extrapolates from page 1', () => {
    expect(estimateFromPage({ records: new Array(50), total: 120, perPage: 50, bytes: 5000 })).toEqual({
      records: 120,
      pages: 3,
      bytes: 12000,
    });
    expect(estimateFromPage({ records: [], total: 0, perPage: 50, bytes: 40 })).toEqual({
      records: 0,
      pages: 1,
      bytes: 40,
    });
    expect(estimateFromPage({ records: new Array(7), total: null, perPage: null, bytes: 700 })).toEqual({
      records: 7,
      pages: 1,
      bytes: 700,
    });
  });
});

describe('plan files', () => {
  const streams = [
    {
      name: 'h2d',
      endpoint: 'lumisection_histograms_2d',
      output: 'out',
      slices: [{ key: 'run=1', filters: { lumisection__run__run_number: 1 }, partition: { run: 1 }, shard: 0 }],
    },
  ];
  it('round-trips and checks its hash and config hash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dqm-plan-'));
    const plan = buildPlanFile({ pipeline: 'p', configHash: 'abc', source: 'http://x', shards: 1, streams });
    await writePlanFile(join(dir, 'plan.json'), plan);
    expect((await readPlanFile(join(dir, 'plan.json'), { configHash: 'abc', pipelineFile: 'p.yaml' })).planHash).toBe(
      plan.planHash,
    );
    await expect(
      readPlanFile(join(dir, 'plan.json'), { configHash: 'other', pipelineFile: 'p.yaml' }),
    ).rejects.toMatchObject({ code: 'E_PLAN_STALE' });
    const edited = JSON.parse(await readFile(join(dir, 'plan.json'), 'utf8'));
    edited.streams[0].slices[0].shard = 1;
    await writeFile(join(dir, 'edited.json'), JSON.stringify(edited));
    await expect(
      readPlanFile(join(dir, 'edited.json'), { configHash: 'abc', pipelineFile: 'p.yaml' }),
    ).rejects.toMatchObject({ code: 'E_PLAN_FILE', message: /modified/ });
    await writeFile(join(dir, 'bad.json'), '{"planVersion": 2}');
    await expect(
      readPlanFile(join(dir, 'bad.json'), { configHash: 'abc', pipelineFile: 'p.yaml' }),
    ).rejects.toMatchObject({ code: 'E_PLAN_FILE', message: /bad\.json/ });
    await expect(
      readPlanFile(join(dir, 'none.json'), { configHash: 'abc', pipelineFile: 'p.yaml' }),
    ).rejects.toMatchObject({ code: 'E_PLAN_FILE', message: /no such file/ });
  });
  it('hashes substance, not estimates or times', () => {
    const a = planHash('c', 2, streams);
    expect(
      planHash('c', 2, [
        { ...streams[0], slices: [{ ...streams[0].slices[0], estimate: { records: 9, pages: 1, bytes: 9 } } as never] },
      ]),
    ).toBe(a);
    expect(planHash('c', 3, streams)).not.toBe(a);
    expect(planHash('d', 2, streams)).not.toBe(a);
  });
});
