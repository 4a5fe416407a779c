/**
 * `finalize`: turns the shard outputs of a sharded export into one dataset. It checks that every
 * shard 0..N-1 finished the same plan (its manifest exists, same config and plan hash, every assigned
 * slice committed, every listed file present with its size, or its sha256 with `verify`), removes
 * files no shard lists (leftovers of crashed attempts), then writes `.dqm-export/manifest.json` (with
 * every slice's completeness proof, as the shards recorded them) and `.dqm-export/_SUCCESS`.
 * Anything missing fails with the shard indexes named, and nothing is marked complete.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LoadedPipeline, Stream } from '../config/index.js';
import { ConfigError, InputError } from '../errors.js';
import { removeFile } from '../load/atomic.js';
import type { Logger } from '../log.js';
import type { JournalFile } from './journal.js';
import { migrateLegacyLayout, SHARDS_DIR, streamRoot } from './layout.js';
import { buildManifest, writeManifest, writeSuccessMarker } from './manifest.js';
import { isOwnDataFile, listDatasetFiles, removeEmptyDirs, uncommitDataset } from './output-root.js';
import { readShardManifests, type ShardManifest } from './shard-output.js';

/**
 * What finalize needs of a plan file (the pipeline's `PlanFile` has this shape): its hash, shard count
 * and, per stream, which shard runs each slice.
 */
export interface FinalizePlan {
  planHash: string;
  shards: number | null;
  streams: { name: string; slices: { key: string; shard?: number }[] }[];
}

/** Options of `finalizePipeline`. */
export interface FinalizeOptions {
  /** Directory output paths resolve against. */
  outRoot: string;
  /** The plan the shards ran (its shard count and slice assignment are then checked too). */
  plan?: FinalizePlan;
  /** Shard count when there is no plan file (else taken from the shard manifests). */
  shards?: number;
  /** Recompute every file's sha256 (reads the whole dataset). */
  verify?: boolean;
  logger: Logger;
}

/** What finalize did for one stream. */
export interface FinalizeResult {
  stream: string;
  output: string;
  shards: number;
  files: number;
  rows: number;
  rejects: number;
  /** Files no shard listed, removed. */
  removed: number;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Problems with one shard's manifest; empty when it is complete and consistent. */
function shardProblems(
  m: ShardManifest,
  o: { stream: string; count: number; configHash: string; planHash: string; expectedKeys?: string[] },
): string[] {
  const out: string[] = [];
  if (m.stream !== o.stream) out.push(`is for stream ${m.stream}`);
  if (m.shards !== o.count) out.push(`ran as one of ${m.shards} shards, not ${o.count}`);
  if (m.configHash !== o.configHash) out.push('ran a different pipeline (config hash differs)');
  if (m.planHash !== o.planHash)
    out.push('ran a different plan (plan hash differs: the run list changed between shards?)');
  if (m.slices.length !== m.assigned) out.push(`committed ${m.slices.length} of ${m.assigned} slices`);
  const committed = new Set(m.slices);
  const unproven = Object.keys(m.completeness ?? {}).filter((k) => !committed.has(k));
  if (unproven.length) out.push(`names completeness proofs of slices it did not commit (e.g. ${unproven[0]})`);
  if (o.expectedKeys) {
    const got = new Set(m.slices);
    const missing = o.expectedKeys.filter((k) => !got.has(k));
    if (missing.length || got.size !== o.expectedKeys.length)
      out.push(`slices differ from the plan (${missing.length} missing, e.g. ${missing[0] ?? '-'})`);
  }
  return out;
}

async function fileProblems(root: string, files: JournalFile[], verify: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const path = join(root, f.path);
    try {
      const s = await stat(path);
      if (s.size !== f.bytes) out.push(`${f.path}: ${s.size} bytes, the shard manifest says ${f.bytes}`);
      else if (verify && (await sha256File(path)) !== f.sha256)
        out.push(`${f.path}: sha256 differs from the shard manifest`);
    } catch {
      out.push(`${f.path}: missing`);
    }
  }
  return out;
}

/** Checks and assembles one stream's dataset. */
async function finalizeStream(loaded: LoadedPipeline, stream: Stream, o: FinalizeOptions): Promise<FinalizeResult> {
  const root = streamRoot(stream, o.outRoot);
  await migrateLegacyLayout(root);
  const manifests = await readShardManifests(root);
  const planStream = o.plan?.streams.find((s) => s.name === stream.name);
  if (o.plan && !planStream) throw new ConfigError('E_PLAN_STALE', `the plan file has no stream ${stream.name}`);
  const first = [...manifests.values()][0];
  const count = o.plan?.shards ?? o.shards ?? first?.shards;
  if (count === undefined || count === null || !first) {
    throw new InputError(
      'E_FINALIZE_INCOMPLETE',
      `stream ${stream.name}: no shard has finished in ${root} (no ${SHARDS_DIR}/sNNNN.json); run the shards first (an unsharded run writes its own manifest and needs no finalize)`,
      { file: root },
    );
  }
  const planHash = o.plan?.planHash ?? first.planHash;
  const missing: number[] = [];
  const wrong: string[] = [];
  for (let i = 0; i < count; i++) {
    const m = manifests.get(i);
    if (!m) {
      missing.push(i);
      continue;
    }
    const expectedKeys = planStream?.slices.filter((s) => s.shard === i).map((s) => s.key);
    for (const p of shardProblems(m, {
      stream: stream.name,
      count,
      configHash: loaded.configHash,
      planHash,
      expectedKeys,
    }))
      wrong.push(`shard ${i} ${p}`);
    for (const p of await fileProblems(root, m.files, o.verify ?? false)) wrong.push(`shard ${i}: ${p}`);
  }
  for (const i of manifests.keys()) if (i >= count) wrong.push(`shard ${i} is beyond the shard count ${count}`);
  if (missing.length || wrong.length) {
    const parts = [
      missing.length ? `missing shards: ${missing.join(', ')} (no completed shard manifest)` : '',
      ...wrong,
    ].filter(Boolean);
    throw new InputError(
      'E_FINALIZE_INCOMPLETE',
      `stream ${stream.name} in ${root} is not complete: ${parts.slice(0, 10).join('; ')}${parts.length > 10 ? `; and ${parts.length - 10} more` : ''}`,
      {
        file: root,
      },
    );
  }

  const shardList = [...manifests.values()].filter((m) => m.shard < count);
  const files = shardList.flatMap((m) => m.files);
  const listed = new Set(files.map((f) => f.path));
  // From here the dataset changes: a marker of an earlier finalize must not stand over it.
  await uncommitDataset(root, { keepManifest: false });
  const unlisted = (await listDatasetFiles(root)).filter((rel) => !listed.has(rel));
  // Only dqm-export's own files go; a file someone else put there stays (and is said).
  const stray = unlisted.filter(isOwnDataFile);
  const foreign = unlisted.filter((rel) => !isOwnDataFile(rel));
  for (const rel of stray) await removeFile(join(root, rel));
  if (stray.length)
    o.logger.info({ stream: stream.name, removed: stray.length }, 'finalize: removed files no shard lists');
  if (foreign.length)
    o.logger.warn(
      { stream: stream.name, kept: foreign.length, example: foreign[0] },
      'finalize: left files dqm-export did not write in the dataset',
    );
  await removeEmptyDirs(root, root);

  const startedAt = shardList.map((m) => m.startedAt).sort()[0];
  const finishedAt =
    shardList
      .map((m) => m.finishedAt)
      .sort()
      .at(-1) ?? new Date().toISOString();
  const rejects = shardList.reduce((n, m) => n + m.rejects, 0);
  // Each slice's proof as its shard recorded it: the same map a single run's manifest holds.
  const completeness: Record<string, string> = {};
  for (const m of shardList) Object.assign(completeness, m.completeness ?? {});
  const manifest = buildManifest({
    provenance: {
      sourceUrl: first.source,
      endpoint: first.endpoint,
      filters: stream.filters as Record<string, string>,
      configHash: loaded.configHash,
      startedAt,
    },
    files: files.map((f) => ({ ...f, format: f.format ?? stream.output.format })),
    timings: { seconds: (Date.parse(finishedAt) - Date.parse(startedAt)) / 1000 },
    rejects: rejects ? { count: rejects } : undefined,
    completeness: Object.fromEntries(Object.entries(completeness).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  });
  const withShards = { ...manifest, shards: { count, planHash } };
  await writeManifest(root, withShards);
  await writeSuccessMarker(root);
  return {
    stream: stream.name,
    output: root,
    shards: count,
    files: files.length,
    rows: manifest.rows,
    rejects,
    removed: stray.length,
  };
}

/** Finalizes every stream; throws E_FINALIZE_INCOMPLETE (naming the shards) when one is not complete. */
export async function finalizePipeline(loaded: LoadedPipeline, o: FinalizeOptions): Promise<FinalizeResult[]> {
  const out: FinalizeResult[] = [];
  for (const stream of loaded.pipeline.streams) out.push(await finalizeStream(loaded, stream, o));
  return out;
}
