/**
 * Loading a pipeline file: read, parse YAML/JSON with positions, interpolate `${VAR}`, merge
 * `defaults` into the streams, register the token as a secret, validate with the zod schema, and
 * report every problem at once as `file:line:col: field: message`.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { registerSecret } from '../secrets.js';
import { mergeStreamDefaults, originOf, type Origins } from './defaults.js';
import { joinLines, locate, parseSourceDocument } from './document.js';
import { configHash } from './hash.js';
import { interpolateDocument, type Env } from './interpolate.js';
import { configErrorMap, fieldPath, flattenIssues, formatIssue, toConfigIssues, type ConfigIssue } from './issues.js';
import { pipelineDefaultsSchema, pipelineSchema, type Pipeline } from './schema.js';

/** Options of loadPipeline / parsePipelineText. */
export interface LoadOptions {
  /** Variables for `${VAR}` interpolation; default process.env. Explicit so tests need no global state. */
  env?: Env;
  /**
   * `--allow-insecure-http` on the command line: acts as `source.allow_insecure_http: true`, so a
   * plain-http URL to a non-loopback host validates. Not part of the config hash (transport only).
   */
  allowInsecureHttp?: boolean;
}

/** A validated pipeline and where it came from. */
export interface LoadedPipeline {
  /** Every default applied, values normalised. */
  pipeline: Pipeline;
  /** Absolute path of the pipeline file. */
  file: string;
  /** Its directory: relative `files`, `token_file`, `ca_file` (and output paths without --out) resolve here. */
  dir: string;
  /** sha256 of the data-relevant config without secrets (see hash.ts); for resume and provenance. */
  configHash: string;
}

/** Variables whose values are secrets wherever they are used, not only in `token`. */
const SECRET_VARIABLE = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i;

/**
 * Reads and validates a pipeline file. Throws ConfigError: E_CONFIG_FILE (unreadable),
 * E_CONFIG_YAML (syntax, duplicate keys), E_CONFIG_ENV (missing variable), E_CONFIG_INVALID
 * (schema); the last three list every problem, one `file:line:col: field: message` per line.
 */
export async function loadPipeline(file: string, options: LoadOptions = {}): Promise<LoadedPipeline> {
  const absolute = resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (err as Error).message;
    throw new ConfigError('E_CONFIG_FILE', `cannot read pipeline file ${file}: ${why}`, { file }, { cause: err });
  }
  const pipeline = parsePipelineText(text, file, options);
  return { pipeline, file: absolute, dir: dirname(absolute), configHash: configHash(pipeline) };
}

/** Validates pipeline text; `fileName` is used in messages only. Throws like loadPipeline. */
export function parsePipelineText(text: string, fileName: string, options: LoadOptions = {}): Pipeline {
  const src = parseSourceDocument(text, fileName);
  if (src.doc.contents === null) {
    throw new ConfigError(
      'E_CONFIG_INVALID',
      `${fileName}:1:1: the file is empty; expected a mapping with version, name, source and streams`,
      {
        file: fileName,
        line: 1,
        column: 1,
      },
    );
  }
  const used = interpolateDocument(src, options.env ?? process.env);
  const raw: unknown = src.doc.toJS({ maxAliasCount: 1000 });
  registerSecrets(raw, used);

  // Merge defaults only when they are valid themselves; otherwise each bad default would be
  // reported once more for every stream.
  const defaults = (raw as { defaults?: unknown } | null)?.defaults;
  const mergeable = defaults !== undefined && pipelineDefaultsSchema.safeParse(defaults).success;
  const { data, origins } = mergeable ? mergeStreamDefaults(raw) : { data: raw, origins: new Map() as Origins };

  if (options.allowInsecureHttp) allowInsecure(data);
  const result = pipelineSchema.safeParse(data, { error: configErrorMap });
  if (result.success) return result.data;
  const issues = toConfigIssues(fileName, flattenIssues(result.error.issues), (path, key) => {
    const origin = originOf(origins, path);
    const note = origin === path ? undefined : `value from ${fieldPath(origin)}`;
    return { ...locate(src, origin, { key }), note };
  });
  throw invalid(fileName, issues);
}

/** Sets `source.allow_insecure_http` on a dqm-playground source of the raw document, in place. */
function allowInsecure(data: unknown): void {
  const source = (data as { source?: unknown } | null)?.source;
  if (source && typeof source === 'object' && (source as { type?: unknown }).type === 'dqm-playground') {
    (source as Record<string, unknown>).allow_insecure_http = true;
  }
}

/** The token, and any variable named like a secret, must never reach a message or a file. */
function registerSecrets(raw: unknown, used: Map<string, string>): void {
  const token = (raw as { source?: { token?: unknown } } | null)?.source?.token;
  if (typeof token === 'string') registerSecret(token);
  for (const [name, value] of used) if (SECRET_VARIABLE.test(name)) registerSecret(value);
}

/** One ConfigError for all issues; the first one's position goes into the context. */
function invalid(fileName: string, issues: ConfigIssue[]): ConfigError {
  const first = issues[0];
  return new ConfigError('E_CONFIG_INVALID', joinLines(`${fileName}: invalid pipeline`, issues.map(formatIssue)), {
    file: fileName,
    line: first?.line,
    column: first?.column,
    field: first?.field,
    issues,
  });
}
