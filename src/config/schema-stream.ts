/**
 * `streams[]`: one endpoint exported to one dataset. A discriminated union on `endpoint`, so each
 * endpoint gets its own strict filter names; the rules that tie fields together (a tensor layout
 * needs histograms, partition columns must exist, incremental needs a run) run per stream.
 */
import * as z from '../zod.js';
import { type DIALS_ENDPOINTS, ORDER_FIELDS, isDialsEndpoint } from '../dials.js';
import { STREAM_ENDPOINTS as ENDPOINTS, type StreamEndpoint as Endpoint } from '../endpoints.js';
import { isHistogramStream as isHistogramEndpoint } from '../transform/columns.js';
import { ENDPOINT_COLUMNS, hasRun, partitionColumns, sliceKinds } from './columns.js';
import {
  MISSING,
  boolField,
  choice,
  choiceMessage,
  columnField,
  describeValue,
  expecting,
  intField,
  lazyField,
  lazyOption,
  nameField,
  strictObject,
  withDefault,
} from './fields.js';
import { filtersSchema } from './schema-filters.js';
import { outputConfigSchema, type OutputConfig } from './schema-output.js';
import { didYouMean } from './suggest.js';

/** Values of `transform.layout`: histogram bins as nested lists, one flat list, a fixed-shape tensor, or nested fixed-size arrays. */
export const LAYOUTS = ['nested', 'flat', 'tensor', 'array'] as const;
/** Values of `slice.by`. */
export const SLICE_KINDS = ['none', 'run', 'run-range', 'title', 'dataset', 'me'] as const;

const runList = lazyField(() =>
  z.array(intField(1), { error: expecting('a list of run numbers') }).min(1, {
    error: 'expected at least one run',
  }),
);

/** `slice`: how a stream is cut into independently fetched, retried and resumed pieces. */
export const sliceSpecSchema = z.discriminatedUnion(
  'by',
  [
    /** One slice: the whole filtered list. */
    lazyOption('by', 'none', () => strictObject({ by: z.literal('none') })),
    /** One slice per run (runs listed by `runs`, else discovered from the filters). */
    lazyOption('by', 'run', () => strictObject({ by: z.literal('run'), runs: runList.optional() })),
    /** One slice per `size` consecutive runs. */
    lazyOption('by', 'run-range', () =>
      strictObject({
        by: z.literal('run-range'),
        size: withDefault(intField(1, 1_000_000), 10),
        runs: runList.optional(),
      }),
    ),
    /** One slice per histogram title. */
    lazyOption('by', 'title', () => strictObject({ by: z.literal('title') })),
    /** DIALS: one slice per dataset (dataset ids from the run list). */
    lazyOption('by', 'dataset', () => strictObject({ by: z.literal('dataset') })),
    /** DIALS: one slice per monitoring element (from `mes/`, narrowed by the me/me__regex filters). */
    lazyOption('by', 'me', () => strictObject({ by: z.literal('me') })),
  ],
  {
    error: (iss) => {
      const input = iss.input as { by?: unknown } | undefined;
      if (input === undefined) return MISSING;
      if (typeof input !== 'object' || input === null)
        return `expected a mapping like {by: run}, got ${describeValue(input)}`;
      if (input.by === undefined) return `missing by; valid slice kinds: ${SLICE_KINDS.join(', ')}`;
      return choiceMessage(input.by, SLICE_KINDS, 'slice kinds');
    },
  },
);

/** Transform fields without defaults: shared by `streams[].transform` and `defaults.transform`. */
const transformFields = {
  /** How histogram bins are laid out (only `nested` for endpoints without bins). */
  layout: choice(LAYOUTS, 'layouts'),
  /** Float width of bin values. */
  dtype: choice(['float64', 'float32'], 'dtypes'),
  /** Endpoint columns to keep, in this order (constants are always added after them). */
  select: lazyField(() => z.array(columnField()).min(1, { error: 'expected at least one column' })),
  /** Column renames, `{from: to}`. */
  rename: lazyField(() => z.record(z.string(), columnField())),
  /** Extra columns with one value each (e.g. a training label). */
  constants: lazyField(() =>
    z.record(
      z.string(),
      z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' }),
    ),
  ),
  /** When a histogram's bin count changes mid-stream: fail, or start a new file. */
  on_shape_change: choice(['error', 'new-file'], 'on_shape_change values'),
  /** Treat a record that breaks the shape rules as an error instead of a reject. */
  strict: boolField(),
};

/** `streams[].transform` with its defaults. */
export const transformConfigSchema = strictObject({
  ...transformFields,
  layout: withDefault(transformFields.layout, 'nested'),
  dtype: withDefault(transformFields.dtype, 'float64'),
  select: transformFields.select.optional(),
  rename: transformFields.rename.optional(),
  constants: transformFields.constants.optional(),
  on_shape_change: withDefault(transformFields.on_shape_change, 'error'),
  strict: withDefault(transformFields.strict, false),
});

/** `defaults.transform`: any transform field, no defaults of its own (the stream's apply after merging). */
export const transformDefaultsSchema = lazyField(() =>
  strictObject({
    layout: transformFields.layout.optional(),
    dtype: transformFields.dtype.optional(),
    select: transformFields.select.optional(),
    rename: transformFields.rename.optional(),
    constants: transformFields.constants.optional(),
    on_shape_change: transformFields.on_shape_change.optional(),
    strict: transformFields.strict.optional(),
  }),
);

/** `streams[].incremental`: later runs export only runs above the last one exported. */
export const incrementalConfigSchema = lazyField(() =>
  strictObject({
    /** The only cursor: the run number. */
    cursor: choice(['run'], 'cursors'),
  }),
);

/**
 * The fields every endpoint's stream schema has in common, built once and shared by the twelve
 * variants (zod schemas are immutable: a shared one parses the same way in each). Built per variant
 * they were ~100 more zod instances to construct, and keep alive, at every start-up of `run`
 * (docs/decisions.md, "CLI start-up: the pipeline schema builds only the source type and endpoints
 * a pipeline uses").
 */
const streamCommon = {
  name: nameField('stream name'),
  histogramSlice: sliceSpecSchema.prefault({ by: 'run' }),
  recordSlice: sliceSpecSchema.prefault({ by: 'none' }),
  transform: transformConfigSchema.prefault({}),
  incremental: incrementalConfigSchema.optional(),
  max_records: intField(1).optional(),
};

/** The stream variant of one endpoint. */
function streamVariant<E extends Endpoint>(endpoint: E) {
  const histogram = isHistogramEndpoint(endpoint);
  return strictObject({
    /** Identifier-like, unique within the pipeline; names the stream in logs, journals and manifests. */
    name: streamCommon.name,
    /** The list endpoint read (`/api/<endpoint>/`); selects this variant. */
    endpoint: z.literal(endpoint),
    /**
     * Server-side filters: the endpoint's real filter names. Built on first use: a pipeline uses one or
     * two of the twelve endpoints, and building every endpoint's filter fields was ~1/3 of building
     * the pipeline schema, on every `run`'s start-up (docs/decisions.md, "CLI start-up: the encoder
     * worker warms up, and starts before the bundle loads").
     */
    filters: withDefault(
      lazyField(() => filtersSchema(endpoint)),
      {},
    ),
    /** Default: by run for histogram endpoints (parallel, resumable), none otherwise (small lists). */
    slice: histogram ? streamCommon.histogramSlice : streamCommon.recordSlice,
    /** Records -> columns. */
    transform: streamCommon.transform,
    /** Where and how the dataset is written. */
    output: outputConfigSchema,
    /** Export only runs newer than the last successful run. */
    incremental: streamCommon.incremental,
    /** Stop after this many records (ad-hoc dumps and smoke tests). */
    max_records: streamCommon.max_records,
  }).superRefine((stream, ctx) => checkStream(endpoint, stream, ctx));
}

/**
 * DIALS `order_by`: known fields only, one per value (a comma list or an unknown field is a 500).
 * `add` receives the path under the stream and the message (the CLI's `--filter` uses it too).
 */
export function checkOrderBy(
  endpoint: (typeof DIALS_ENDPOINTS)[number],
  filters: Record<string, unknown> | undefined,
  add: (path: (string | number)[], message: string) => void,
): void {
  const values = filters?.order_by;
  if (!Array.isArray(values)) return;
  const valid = ORDER_FIELDS[endpoint];
  values.forEach((v: unknown, i) => {
    const field = String(v).replace(/^-/, '');
    if (String(v).includes(','))
      add(
        ['filters', 'order_by', i],
        `give one field per order_by entry (a list), not ${JSON.stringify(v)}: the server answers a comma list with 500`,
      );
    else if (!valid.includes(field))
      add(
        ['filters', 'order_by', i],
        `cannot order ${endpoint} by ${field}${didYouMean(field, valid)}; valid fields: ${valid.join(', ')} (prefix - for descending)`,
      );
  });
}

/** The fields checkStream reads, already parsed. */
interface CheckedStream {
  filters?: Record<string, unknown>;
  slice: SliceSpec;
  transform: TransformConfig;
  output: OutputConfig;
  incremental?: IncrementalConfig;
}

/** Cross-field rules of one stream; each issue points at the field that has to change. */
function checkStream(endpoint: Endpoint, s: CheckedStream, ctx: z.RefinementCtx): void {
  const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const t = s.transform;
  if (t.layout !== 'nested' && !isHistogramEndpoint(endpoint)) {
    add(
      ['transform', 'layout'],
      `layout ${t.layout} needs a histogram endpoint (lumisection_histograms_1d or _2d, th1 or th2); ${endpoint} records have no bins, use nested`,
    );
  }
  if (isDialsEndpoint(endpoint)) checkOrderBy(endpoint, s.filters, add);
  if (!sliceKinds(endpoint).includes(s.slice.by)) {
    add(
      ['slice', 'by'],
      `slice by ${s.slice.by} is not possible for ${endpoint}; valid slice kinds: ${sliceKinds(endpoint).join(', ')}`,
    );
  }
  if (s.incremental && !hasRun(endpoint))
    add(['incremental'], `incremental needs records with a run; ${endpoint} records have none`);
  if (s.incremental && hasRun(endpoint) && s.slice.by !== 'run' && s.slice.by !== 'run-range') {
    add(
      ['slice'],
      `incremental streams export whole runs: slice by run${sliceKinds(endpoint).includes('run-range') ? ' or run-range' : ''} (got ${s.slice.by})`,
    );
  }
  if (s.incremental && s.output.mode !== 'append') {
    add(['incremental'], `incremental streams add to their dataset: set output.mode: append (got ${s.output.mode})`);
  }

  const columns = ENDPOINT_COLUMNS[endpoint];
  const constants = Object.keys(t.constants ?? {});
  for (const [from] of Object.entries(t.rename ?? {})) {
    if (!columns.includes(from))
      add(
        ['transform', 'rename', from],
        `${from} is not a column of ${endpoint}${didYouMean(from, columns)}; columns: ${columns.join(', ')}`,
      );
  }
  const selected = new Set<string>();
  (t.select ?? []).forEach((c, i) => {
    if (!columns.includes(c))
      add(
        ['transform', 'select', i],
        `${c} is not a column of ${endpoint}${didYouMean(c, columns)}; columns: ${columns.join(', ')}`,
      );
    else if (selected.has(c)) add(['transform', 'select', i], `column ${c} selected twice`);
    selected.add(c);
  });
  const kept = t.select ? t.select.filter((c) => columns.includes(c)) : [...columns];
  const renamed = kept.map((c) => t.rename?.[c] ?? c);
  const seen = new Set<string>();
  for (const c of [...renamed, ...constants]) {
    if (seen.has(c)) add(['transform'], `two output columns would be named ${c} (check rename and constants)`);
    seen.add(c);
  }
  for (const c of constants) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(c))
      add(
        ['transform', 'constants', c],
        `constant column names use only letters, digits and _, got ${JSON.stringify(c)}`,
      );
  }

  const scalar = new Set(partitionColumns(endpoint));
  const partitionable = [...kept.filter((c) => scalar.has(c)).map((c) => t.rename?.[c] ?? c), ...constants];
  s.output.partition_by.forEach((c, i) => {
    if (!partitionable.includes(c)) {
      add(
        ['output', 'partition_by', i],
        `cannot partition by ${c}${didYouMean(c, partitionable)}; valid partition columns: ${partitionable.join(', ')}`,
      );
    }
  });
}

/** `streams[]`: discriminated on `endpoint`. */
export const streamSchema = z.discriminatedUnion(
  'endpoint',
  [
    lazyOption('endpoint', 'runs', () => streamVariant('runs')),
    lazyOption('endpoint', 'lumisections', () => streamVariant('lumisections')),
    lazyOption('endpoint', 'lumisection_histograms_1d', () => streamVariant('lumisection_histograms_1d')),
    lazyOption('endpoint', 'lumisection_histograms_2d', () => streamVariant('lumisection_histograms_2d')),
    lazyOption('endpoint', 'histogram_data_files', () => streamVariant('histogram_data_files')),
    lazyOption('endpoint', 'th1', () => streamVariant('th1')),
    lazyOption('endpoint', 'th2', () => streamVariant('th2')),
    lazyOption('endpoint', 'run', () => streamVariant('run')),
    lazyOption('endpoint', 'lumisection', () => streamVariant('lumisection')),
    lazyOption('endpoint', 'mes', () => streamVariant('mes')),
    lazyOption('endpoint', 'file-index', () => streamVariant('file-index')),
    lazyOption('endpoint', 'dataset-index', () => streamVariant('dataset-index')),
  ],
  {
    error: (iss) => {
      const input = iss.input as { endpoint?: unknown } | undefined;
      if (input === undefined) return MISSING;
      if (typeof input !== 'object' || input === null)
        return `expected a mapping with name, endpoint and output, got ${describeValue(input)}`;
      if (input.endpoint === undefined) return `missing endpoint; valid endpoints: ${ENDPOINTS.join(', ')}`;
      return choiceMessage(input.endpoint, ENDPOINTS, 'endpoints');
    },
  },
);

/** A parsed stream (defaults applied, filters normalised); narrow on `endpoint`. */
export type Stream = z.output<typeof streamSchema>;
/** How a stream is sliced; narrow on `by`. */
export type SliceSpec = z.output<typeof sliceSpecSchema>;
/** A stream's transform settings, defaults applied. */
export type TransformConfig = z.output<typeof transformConfigSchema>;
/** A stream's incremental settings. */
export type IncrementalConfig = z.output<typeof incrementalConfigSchema>;
/** A value of `transform.layout`. */
export type Layout = (typeof LAYOUTS)[number];

export {
  COMPRESSIONS,
  OUTPUT_FORMATS,
  OUTPUT_MODES,
  outputDefaultsSchema,
  type Compression,
  type OutputConfig,
  type OutputFormat,
  type OutputMode,
} from './schema-output.js';
