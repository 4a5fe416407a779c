/**
 * Where a pipeline reads from: `source.type` selects a DQM Playground server (`dqm-playground`) or
 * ML4DQM CSV files read locally (`ml4dqm-csv`). A discriminated union, so each type has its own
 * strict set of keys and TypeScript narrows on `type`.
 */
import * as z from '../zod.js';
import { isLoopbackHost, PRESETS, type PresetName } from '../extract/connection.js';
import { SETTINGS, type IntSetting } from '../settings.js';
import { DIALS_PRESETS, KNOWN_WORKSPACES } from '../dials.js';
import { didYouMean } from './suggest.js';
import {
  MISSING,
  boolField,
  choice,
  choiceMessage,
  describeValue,
  dimensionField,
  expecting,
  intField,
  lazyOption,
  strictObject,
  text,
  withDefault,
} from './fields.js';

/** Named servers a `url` may be given as (the client's presets, mapped to base URLs there). */
export const URL_PRESETS = Object.keys(PRESETS) as PresetName[];

/** Values of `source.type`. */
export const SOURCE_TYPES = ['dqm-playground', 'dials', 'ml4dqm-csv'] as const;

/** Defaults of `source.timeouts`, in milliseconds. */
export const DEFAULT_TIMEOUTS = {
  connect_ms: SETTINGS.connectTimeoutMs.default,
  headers_ms: SETTINGS.headersTimeoutMs.default,
  body_ms: SETTINGS.bodyTimeoutMs.default,
} as const;

/** A pipeline field for an integer setting: its bounds and default from src/settings.ts. */
function setting(s: IntSetting) {
  return withDefault(intField(s.min, s.max), s.default);
}

const timeoutsSchema = strictObject({
  /** TCP + TLS connect. */
  connect_ms: setting(SETTINGS.connectTimeoutMs),
  /** From request sent to response headers (a 50-histogram 2D page can take a while server-side). */
  headers_ms: setting(SETTINGS.headersTimeoutMs),
  /** Idle time between body chunks. */
  body_ms: setting(SETTINGS.bodyTimeoutMs),
});

/** An empty token (e.g. `${DQM_PLAYGROUND_TOKEN:-}`) means "no token here": the runner looks elsewhere. */
function emptyToUndefined(value: unknown): unknown {
  return value === '' ? undefined : value;
}

/** Never echoes the value: a token in an error message would end up in CI logs. */
const tokenSchema = z.preprocess(
  emptyToUndefined,
  z
    .string({
      error: (iss) =>
        `expected a string (the token itself is never shown), got ${iss.input === undefined ? 'nothing' : typeof iss.input}`,
    })
    .optional(),
);

/** The connection fields both HTTP sources share, after their own `concurrency` and `retries`. */
const connectionFields = {
  /** Per-request timeouts. */
  timeouts: timeoutsSchema.prefault({}),
  /** PEM file with extra CA certificates (relative to the pipeline file's directory). */
  ca_file: text('a file path').optional(),
  /** Allows plain `http://` to a host other than localhost (the token would travel unencrypted). */
  allow_insecure_http: withDefault(boolField(), false),
};

/**
 * The checks both HTTP sources share: a usable `url` (one of `presets`, or an http(s) URL that is safe
 * for a token) and not both `token` and `token_file`. Runs even when another source field is invalid,
 * so it reads the fields defensively.
 */
function checkConnection(
  source: { url?: unknown; token?: unknown; token_file?: unknown; allow_insecure_http?: unknown },
  ctx: z.RefinementCtx,
  presets: readonly string[],
): void {
  const allowInsecure = source.allow_insecure_http === true;
  const urlIssue = typeof source.url === 'string' ? checkUrl(source.url, allowInsecure, presets) : null;
  if (urlIssue) ctx.addIssue({ code: 'custom', path: ['url'], message: urlIssue });
  if (typeof source.token === 'string' && typeof source.token_file === 'string') {
    ctx.addIssue({ code: 'custom', path: ['token_file'], message: 'give either token or token_file, not both' });
  }
}

/** `source` with `type: dqm-playground`: a DQM Playground server over HTTP(S). */
function playgroundSourceSchema() {
  return strictObject({
    /** Selects this source kind. */
    type: z.literal('dqm-playground'),
    /** Base URL of the server (`http://127.0.0.1:8000`), or a preset name (`prod`, `develop`). */
    url: text(`a URL or a preset (${URL_PRESETS.join(', ')})`),
    /** API token, normally `${DQM_PLAYGROUND_TOKEN}`. Optional: the runner can take it from the environment or token_file. */
    token: tokenSchema,
    /** File holding the token (relative to the pipeline file's directory); an alternative to `token`. */
    token_file: z.preprocess(emptyToUndefined, text('a file path').optional()),
    /** Parallel requests (pages of one slice and slices together). */
    concurrency: setting(SETTINGS.concurrency),
    /** Retries of a transient failure (429, 5xx, reset, timeout) per request. */
    retries: setting(SETTINGS.retries),
    ...connectionFields,
  }).superRefine(
    (source, ctx) => {
      checkConnection(source, ctx, URL_PRESETS);
    },
    { when: () => true },
  );
}

/** Null when `url` is usable, else what is wrong with it (never echoing credentials). */
function checkUrl(url: string, allowInsecure: boolean, presets: readonly string[]): string | null {
  if (presets.includes(url)) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    if (/^[a-z]+$/i.test(url))
      return `unknown preset ${describeValue(url)}${didYouMean(url, presets)}; valid presets: ${presets.join(', ')} (or an http(s) URL)`;
    return `expected an http(s) URL or a preset (${presets.join(', ')}), got ${describeValue(url)}`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `expected an http:// or https:// URL, got scheme ${parsed.protocol.replace(/:$/, '')}`;
  }
  if (parsed.username || parsed.password) return 'the URL must not contain credentials; use token or token_file';
  if (parsed.search || parsed.hash)
    return 'the URL must not have a query or fragment (give the server root, e.g. https://host)';
  if (parsed.protocol === 'http:' && !allowInsecure && !isLoopbackHost(parsed.hostname)) {
    return `plain http:// to ${parsed.hostname} would send the token unencrypted; use https://, or set allow_insecure_http: true`;
  }
  return null;
}

/** Named DIALS servers. */
export const DIALS_URL_PRESETS = Object.keys(DIALS_PRESETS);

/** `source` with `type: dials`: a DIALS API server (cursor pages, ordered lists, Bearer tokens). */
function dialsSourceSchema() {
  return strictObject({
    /** Selects this source kind. */
    type: z.literal('dials'),
    /** Server root (`https://cmsdials-api.web.cern.ch`; `/api/v1/` is appended), or the preset `prod`. */
    url: withDefault(text(`a URL or a preset (${DIALS_URL_PRESETS.join(', ')})`), 'prod'),
    /** Access token (sent as `Authorization: Bearer`), normally `${DIALS_TOKEN}`. Absent: token_file, DIALS_TOKEN, then the login file. */
    token: tokenSchema,
    /** File holding the access token (relative to the pipeline file's directory); an alternative to `token`. */
    token_file: z.preprocess(emptyToUndefined, text('a file path').optional()),
    /** Client secret (sent as `X-CLIENT-SECRET`, where a deployment accepts it), normally `${DIALS_CLIENT_SECRET}`. */
    client_secret: tokenSchema,
    /** File holding the client secret (relative to the pipeline file's directory). */
    client_secret_file: z.preprocess(emptyToUndefined, text('a file path').optional()),
    /** `Workspace` header: the subsystem database (`tracker`, `csc`, `ecal`, ...); checked against the server's list. */
    workspace: withDefault(
      z.string({ error: expecting('a workspace name') }).regex(/^[a-z][a-z0-9_]*$/, {
        error: `expected a lower-case workspace name such as ${KNOWN_WORKSPACES.join(', ')}`,
      }),
      'tracker',
    ),
    /** Records per page (the server clamps to 500). Default: 500, th2 100 (a 72 x 56 page of 500 is 5.8 MB). */
    page_size: intField(1, 500).optional(),
    /** Slices fetched side by side (one cursor walk each). */
    concurrency: setting(SETTINGS.concurrency),
    /** Retries of a transient failure (5xx, reset, timeout) per request. */
    retries: setting(SETTINGS.retries),
    ...connectionFields,
  }).superRefine(
    (source, ctx) => {
      checkConnection(source, ctx, DIALS_URL_PRESETS);
      if (typeof source.client_secret === 'string' && typeof source.client_secret_file === 'string') {
        ctx.addIssue({
          code: 'custom',
          path: ['client_secret_file'],
          message: 'give either client_secret or client_secret_file, not both',
        });
      }
    },
    { when: () => true },
  );
}

/** Paths or globs of ML4DQM CSV files: one string or a list. */
function filesSchema() {
  return z
    .union(
      [text('a path or glob'), z.array(text('a path or glob')).min(1, { error: 'expected at least one path or glob' })],
      {
        error: expecting('a path or glob, or a list of them'),
      },
    )
    .transform((files) => (typeof files === 'string' ? [files] : files));
}

/** `source` with `type: ml4dqm-csv`: ML4DQM CSV files read locally, no server. */
function csvSourceSchema() {
  return strictObject({
    /** Selects this source kind. */
    type: z.literal('ml4dqm-csv'),
    /** Paths or globs, relative to the pipeline file's directory; always a list after parsing. */
    files: filesSchema(),
    /** 1 or 2; when absent, each row's `metype` decides. */
    dimensionality: dimensionField().optional(),
    /** What a bad row does: `fail` the run (default, naming file:line) or `reject` it to the rejects file. */
    bad_rows: withDefault(choice(['fail', 'reject'] as const, 'bad_rows values'), 'fail'),
  });
}

/** `source`: discriminated on `type`. */
export const sourceSchema = z.discriminatedUnion(
  'type',
  [
    lazyOption('type', 'dqm-playground', playgroundSourceSchema),
    lazyOption('type', 'dials', dialsSourceSchema),
    lazyOption('type', 'ml4dqm-csv', csvSourceSchema),
  ],
  {
    error: (iss) => {
      const input = iss.input as { type?: unknown } | undefined;
      if (input === undefined) return MISSING;
      if (iss.code !== 'invalid_union' || typeof input !== 'object' || input === null)
        return `expected a mapping with a type, got ${describeValue(input)}`;
      if (input.type === undefined) return `missing type; valid types: ${SOURCE_TYPES.join(', ')}`;
      return choiceMessage(input.type, SOURCE_TYPES, 'source types');
    },
  },
);

/** A parsed dqm-playground source (defaults applied; `token` absent when not given). */
export type PlaygroundSource = z.output<ReturnType<typeof playgroundSourceSchema>>;
/** A parsed dials source (defaults applied). */
export type DialsSource = z.output<ReturnType<typeof dialsSourceSchema>>;
/** A parsed ml4dqm-csv source (`files` always a list). */
export type CsvSource = z.output<ReturnType<typeof csvSourceSchema>>;
/** A parsed source; narrow on `type`. */
export type Source = z.output<typeof sourceSchema>;
/** Per-request timeouts in milliseconds. */
export type SourceTimeouts = z.output<typeof timeoutsSchema>;
