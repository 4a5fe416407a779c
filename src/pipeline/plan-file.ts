/**
 * The plan file (`plan --write-plan plan.json`): every stream's slices with their filters, page-1
 * estimates and shard assignment, plus the pipeline's config hash. It is the only coordination
 * between shards: each shard runs the slices the file gives it, and `finalize` checks that every
 * shard finished the same plan (by `planHash`).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as z from '../zod.js';
import { canonicalJson } from '../config/hash.js';
import type { Filters } from '../domain.js';
import { ConfigError, InputError } from '../errors.js';
import type { PartitionValues } from '../extract/index.js';
import type { SourceSlice } from '../sources/source.js';
import { writeFileAtomic } from '../load/atomic.js';
import { VERSION } from '../version.js';
import type { SliceEstimate } from '../sources/playground/stream-plan.js';
import type { CommittedFileReport } from '../sources/csv/file-scans.js';

/** One slice in a plan file. */
export interface PlanSlice {
  key: string;
  filters: Filters;
  partition: PartitionValues;
  /** From the page-1 probe; absent with `--no-probe`. */
  estimate?: SliceEstimate;
  /** Shard that runs the slice; absent in an unsharded plan. */
  shard?: number;
  /**
   * A sharded CSV stream's unit is a file (key `file=<path>`): what its scan found, so a shard plans
   * and numbers ids without reading the files of other shards (src/pipeline/csv-shards.ts).
   */
  csv?: CommittedFileReport;
}

/** One stream in a plan file. */
export interface PlanStream {
  name: string;
  endpoint: string;
  /** Output path as configured (relative to --out or the pipeline file's directory). */
  output: string;
  slices: PlanSlice[];
}

/** A plan file. */
export interface PlanFile {
  planVersion: 1;
  tool: { name: 'dqm-export'; version: string };
  pipeline: string;
  configHash: string;
  /** Hash of what the shards must agree on: config hash, slice keys, filters and shards. */
  planHash: string;
  createdAt: string;
  /** Token-free base URL the plan was probed against. */
  source: string;
  /** Shard count, or null for an unsharded plan. */
  shards: number | null;
  streams: PlanStream[];
}

/**
 * Hash of a plan's substance: config hash, shard count, and per stream the slice keys, filters and
 * shard (not the estimates or times), so two shards that planned the same work agree on it. A CSV
 * file unit's scan facts count too (they number the ids), only where present, so plans of other
 * sources hash as before.
 */
export function planHash(
  configHash: string,
  shards: number | null,
  streams: ReadonlyArray<{
    name: string;
    slices: ReadonlyArray<{ key: string; filters: Filters; shard?: number; csv?: CommittedFileReport }>;
  }>,
): string {
  const body = {
    configHash,
    shards,
    streams: streams.map((s) => ({
      name: s.name,
      slices: s.slices.map((x) => ({
        key: x.key,
        filters: x.filters,
        shard: x.shard ?? null,
        ...(x.csv ? { csv: x.csv } : {}),
      })),
    })),
  };
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** Assembles a plan file (computing its hash). */
export function buildPlanFile(input: {
  pipeline: string;
  configHash: string;
  source: string;
  shards: number | null;
  streams: PlanStream[];
  createdAt?: string;
}): PlanFile {
  return {
    planVersion: 1,
    tool: { name: 'dqm-export', version: VERSION },
    pipeline: input.pipeline,
    configHash: input.configHash,
    planHash: planHash(input.configHash, input.shards, input.streams),
    createdAt: input.createdAt ?? new Date().toISOString(),
    source: input.source,
    shards: input.shards,
    streams: input.streams,
  };
}

/** Writes a plan file atomically. */
export async function writePlanFile(path: string, plan: PlanFile): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(plan, null, 2) + '\n');
}

/**
 * The plan file's schema, built on first use: only `run --plan` and `finalize` read a plan, and
 * building it with every `run` cost a few ms of its start-up (zod builds each object schema
 * eagerly; docs/decisions.md, "CLI start-up: V8 flags set once the command is loaded").
 */
let planSchemaMemo: ReturnType<typeof buildPlanSchema> | undefined;
function planSchema(): ReturnType<typeof buildPlanSchema> {
  planSchemaMemo ??= buildPlanSchema();
  return planSchemaMemo;
}

function buildPlanSchema() {
  const filterValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]);
  return z.object({
    planVersion: z.literal(1),
    pipeline: z.string(),
    configHash: z.string(),
    planHash: z.string(),
    createdAt: z.string(),
    source: z.string(),
    shards: z.number().int().min(1).nullable(),
    streams: z.array(
      z.object({
        name: z.string(),
        endpoint: z.string(),
        output: z.string(),
        slices: z.array(
          z.object({
            key: z.string(),
            filters: z.record(z.string(), filterValue),
            partition: z.record(z.string(), z.union([z.string(), z.number()])),
            estimate: z.object({ records: z.number(), pages: z.number(), bytes: z.number() }).optional(),
            shard: z.number().int().min(0).optional(),
            csv: z
              .object({
                size: z.number().int().min(0),
                mtimeMs: z.number(),
                dim: z.union([z.literal(1), z.literal(2), z.null()]),
                rows: z.number().int().min(0),
                runs: z.array(z.number().int()),
                titles: z.array(z.string()),
              })
              .optional(),
          }),
        ),
      }),
    ),
  });
}

/**
 * Reads and checks a plan file: its shape, its hash (a hand-edited plan is refused), and that it was
 * made from this pipeline (same config hash).
 */
export async function readPlanFile(
  path: string,
  expect: { configHash: string; pipelineFile: string },
): Promise<PlanFile> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new InputError('E_PLAN_FILE', `cannot read plan file ${path}: ${why}`, { file: path });
  }
  const parsed = planSchema().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(
      'E_PLAN_FILE',
      `plan file ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}; write it with dqm-export plan --write-plan`,
      { file: path },
    );
  }
  const plan = { ...parsed.data, tool: (raw as PlanFile).tool } as PlanFile;
  if (planHash(plan.configHash, plan.shards, plan.streams) !== plan.planHash) {
    throw new InputError(
      'E_PLAN_FILE',
      `plan file ${path} was modified after it was written (planHash does not match its content); write it again with dqm-export plan --write-plan`,
      { file: path },
    );
  }
  if (plan.configHash !== expect.configHash) {
    throw new ConfigError(
      'E_PLAN_STALE',
      `plan file ${path} was made from a different pipeline (config hash ${plan.configHash.slice(0, 12)}, ${expect.pipelineFile} has ${expect.configHash.slice(0, 12)}); write the plan again`,
      { file: path },
    );
  }
  for (const s of plan.streams) {
    for (const slice of s.slices) {
      if (plan.shards !== null && (slice.shard === undefined || slice.shard >= plan.shards)) {
        throw new InputError(
          'E_PLAN_FILE',
          `plan file ${path}: slice ${slice.key} of stream ${s.name} has no valid shard (plan has ${plan.shards} shards)`,
          { file: path },
        );
      }
    }
  }
  return plan;
}

/** The slices of a plan stream as the extractor takes them. */
export function slicesOf(stream: PlanStream): SourceSlice[] {
  return stream.slices.map((s) => ({
    key: s.key,
    endpoint: stream.endpoint,
    filters: s.filters,
    partition: s.partition,
  }));
}
