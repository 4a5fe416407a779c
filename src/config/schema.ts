/**
 * The pipeline file schema (zod 4): `version: 1`, a `name`, a `source`, optional `prepare` steps
 * and `defaults`, and one or more `streams`. Every object is strict. The parsed value has every
 * default applied; the exported types are inferred from the schemas, so they cannot drift.
 */
import { posix } from 'node:path';
import * as z from '../zod.js';
import { ENDPOINTS, isHistogramEndpoint } from '../domain.js';
import { DIALS_ENDPOINTS } from '../dials.js';
import { STREAM_ENDPOINTS } from '../endpoints.js';
import {
  boolField,
  choice,
  describeValue,
  dimensionField,
  expecting,
  intField,
  intFromText,
  lazyField,
  nameField,
  orMissing,
  strictObject,
  text,
  withDefault,
} from './fields.js';
import { sourceSchema } from './schema-source.js';
import { outputDefaultsSchema, streamSchema, transformDefaultsSchema } from './schema-stream.js';
import { didYouMean } from './suggest.js';

/** Pipeline file format versions this build reads. */
export const SUPPORTED_VERSIONS = [1] as const;

const versionSchema = z.preprocess(
  intFromText,
  z.literal(1, {
    error: orMissing(
      (input) => `unsupported version ${describeValue(input)}; supported versions: ${SUPPORTED_VERSIONS.join(', ')}`,
    ),
  }),
);

/** `prepare[].discover`: ask the server to register new data files (admin token needed). */
const discoverStepSchema = () =>
  strictObject({
    /** Wait until the discovered files are listed (discover itself answers 202 at once). */
    wait: withDefault(boolField(), false),
  });

/** `prepare[].start_parsing`: parse matching registered files, optionally waiting for completion. */
const startParsingStepSchema = () =>
  strictObject({
    /** Selects the data files to parse by a substring of their path. */
    filepath__contains: text(),
    /** The real server accepts only lum (run answers 500), kept for forward compatibility. */
    granularity: withDefault(choice(['lum', 'run'], 'granularity values'), 'lum'),
    data_dimensionality: dimensionField(),
    file_format: withDefault(choice(['csv', 'root'], 'file formats'), 'csv'),
    /** Wait until parsing reaches 100 % before the streams run. */
    wait: withDefault(boolField(), true),
    /** Give up waiting after this many seconds. */
    timeout_s: withDefault(intField(1, 86_400), 600),
    /** Give up when progress has not moved for this many seconds (a 1D file parsed as 2D stays at 0 %). */
    stall_s: withDefault(intField(1, 86_400), 120),
  });

const PREPARE_KINDS = ['discover', 'start_parsing'] as const;

/** One prepare step: a mapping with exactly one key, `discover` or `start_parsing`. */
const prepareStepSchema = () =>
  strictObject({
    discover: z.preprocess((v) => (v === null ? {} : v), discoverStepSchema()).optional(),
    start_parsing: startParsingStepSchema().optional(),
  })
    .meta({ minProperties: 1, maxProperties: 1 })
    .superRefine(
      (step, ctx) => {
        const given = PREPARE_KINDS.filter((k) => step[k] !== undefined);
        if (given.length !== 1) {
          const got = given.length ? given.join(' and ') : 'none';
          ctx.addIssue({
            code: 'custom',
            path: [],
            message: `a prepare step has exactly one of ${PREPARE_KINDS.join(', ')}, got ${got}`,
          });
        }
      },
      // Not after an unknown key: `start_parsng:` already has its did-you-mean.
      { when: (payload) => payload.issues.length === 0 },
    )
    .transform((step): PrepareStep =>
      step.discover ? { discover: step.discover } : { start_parsing: step.start_parsing! },
    );

/** A parsed `discover` step. */
export type DiscoverStep = z.output<ReturnType<typeof discoverStepSchema>>;
/** A parsed `start_parsing` step (defaults applied). */
export type StartParsingStep = z.output<ReturnType<typeof startParsingStepSchema>>;
/** A prepare step, run in order before the streams. */
export type PrepareStep = { discover: DiscoverStep } | { start_parsing: StartParsingStep };

/** `defaults`: transform and output fields merged into every stream (a stream's own keys win). */
export const pipelineDefaultsSchema = lazyField(() =>
  strictObject({
    transform: transformDefaultsSchema.optional(),
    output: outputDefaultsSchema.optional(),
  }),
);

/** The whole pipeline file. */
export const pipelineSchema = strictObject({
  /** File format version; only 1 exists. */
  version: versionSchema,
  /** Identifier-like; names the run in manifests. */
  name: nameField('pipeline name'),
  /** Free text for humans. */
  description: z.string({ error: expecting('text') }).optional(),
  /** Where records come from. */
  source: sourceSchema,
  /** Server actions before the streams run (dqm-playground sources only). */
  prepare: lazyField(() => z.array(prepareStepSchema(), { error: expecting('a list of steps') })).optional(),
  /** Shared transform/output settings (merged into each stream before validation). */
  defaults: pipelineDefaultsSchema.optional(),
  /** What to export: at least one stream. */
  streams: z.array(streamSchema, { error: expecting('a list of streams') }).min(1, {
    error: 'expected at least one stream',
  }),
}).superRefine(checkPipeline, { when: () => true });

/**
 * Rules across streams and between source and streams. Runs even when other parts of the file are
 * invalid (so all issues come in one report), hence the defensive reads of possibly-raw values.
 */
function checkPipeline(p: { streams?: unknown; source?: unknown; prepare?: unknown }, ctx: z.RefinementCtx): void {
  const streams: unknown[] = Array.isArray(p.streams) ? p.streams : [];
  const names = new Map<string, number>();
  const paths: { path: string; index: number }[] = [];
  streams.forEach((raw, i) => {
    const s = raw as { name?: unknown; output?: { path?: unknown }; endpoint?: unknown };
    if (typeof s?.name === 'string') {
      const first = names.get(s.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['streams', i, 'name'],
          message: `duplicate stream name ${s.name} (also streams[${first}])`,
        });
      } else names.set(s.name, i);
    }
    const out = typeof s?.output?.path === 'string' ? posix.normalize(s.output.path).replace(/\/+$/, '') : undefined;
    if (out) {
      const clash = paths.find((o) => o.path === out || out.startsWith(o.path + '/') || o.path.startsWith(out + '/'));
      if (clash) {
        ctx.addIssue({
          code: 'custom',
          path: ['streams', i, 'output', 'path'],
          message: `output ${out} overlaps streams[${clash.index}] output ${clash.path}; each stream needs its own directory`,
        });
      }
      paths.push({ path: out, index: i });
    }
  });

  const source = p.source as { type?: unknown; dimensionality?: unknown } | undefined;
  if (source?.type === 'dials' || source?.type === 'dqm-playground' || source?.type === 'ml4dqm-csv') {
    const dials = source.type === 'dials';
    const valid: readonly string[] = dials ? DIALS_ENDPOINTS : ENDPOINTS;
    streams.forEach((raw, i) => {
      const endpoint = (raw as { endpoint?: unknown })?.endpoint;
      if (typeof endpoint === 'string' && STREAM_ENDPOINTS.includes(endpoint as never) && !valid.includes(endpoint)) {
        ctx.addIssue({
          code: 'custom',
          path: ['streams', i, 'endpoint'],
          message: `a ${String(source.type)} source has no endpoint ${endpoint}${didYouMean(endpoint, valid)}; valid endpoints: ${valid.join(', ')}`,
        });
      }
    });
    if (dials && p.prepare !== undefined)
      ctx.addIssue({ code: 'custom', path: ['prepare'], message: 'prepare steps need a dqm-playground source' });
  }
  if (source?.type === 'ml4dqm-csv') {
    if (p.prepare !== undefined)
      ctx.addIssue({ code: 'custom', path: ['prepare'], message: 'prepare steps need a dqm-playground source' });
    streams.forEach((raw, i) => {
      const endpoint = (raw as { endpoint?: unknown })?.endpoint;
      if (endpoint === 'histogram_data_files') {
        ctx.addIssue({
          code: 'custom',
          path: ['streams', i, 'endpoint'],
          message: 'histogram_data_files needs a dqm-playground source (CSV files are not registered data files)',
        });
      }
      const dim = source.dimensionality;
      if (
        typeof endpoint === 'string' &&
        (dim === 1 || dim === 2) &&
        isHistogramEndpoint(endpoint as never) &&
        !endpoint.endsWith(`_${dim}d`)
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['streams', i, 'endpoint'],
          message: `${endpoint} does not match source.dimensionality ${dim}`,
        });
      }
    });
  }
}

/** A pipeline as parsed: defaults applied, filters normalised. */
export type Pipeline = z.output<typeof pipelineSchema>;
/** A pipeline as written (before defaults): what a program may build and pass to pipelineSchema. */
export type PipelineInput = z.input<typeof pipelineSchema>;
/** A parsed `defaults` section (no defaults of its own). */
export type PipelineDefaults = z.output<typeof pipelineDefaultsSchema>;
