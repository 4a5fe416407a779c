/**
 * The config hash: sha256 over the parts of a parsed pipeline that decide what data is exported.
 * `--resume` refuses to continue a dataset whose hash changed, and manifests record it. So it
 * covers sources, prepare steps and streams with every default applied (writing a default out
 * explicitly changes nothing), and leaves out credentials and transport tuning (token, token_file,
 * concurrency, retries, timeouts, ca_file, allow_insecure_http): a rotated token, or a lower
 * concurrency after a 429 storm, must not block a resume. `description` and `defaults` are left
 * out too (the streams carry the merged defaults).
 */
import { createHash } from 'node:crypto';
import { InternalError } from '../errors.js';
import type { Pipeline } from './schema.js';

/** Source fields that do not change what is exported. */
const TRANSPORT_FIELDS = [
  'token',
  'token_file',
  'concurrency',
  'retries',
  'timeouts',
  'ca_file',
  'allow_insecure_http',
];

/** JSON with object keys sorted at every level and undefined values dropped. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What the hash covers: the pipeline without secrets, transport tuning, description and defaults. */
export function hashedConfig(pipeline: Pipeline): Record<string, unknown> {
  const source: Record<string, unknown> = { ...pipeline.source };
  for (const field of TRANSPORT_FIELDS) delete source[field];
  return {
    version: pipeline.version,
    name: pipeline.name,
    source,
    prepare: pipeline.prepare ?? [],
    streams: pipeline.streams,
  };
}

/** Hex sha256 of the canonical JSON of hashedConfig(pipeline). */
export function configHash(pipeline: Pipeline): string {
  return createHash('sha256')
    .update(canonicalJson(hashedConfig(pipeline)))
    .digest('hex');
}

/**
 * Hash of what one stream's dataset depends on: the source (without transport fields) and that
 * stream. Each stream has its own output root and journal, so a per-dataset check (adding a stream
 * to the pipeline does not invalidate the others) can use this instead of configHash.
 */
export function streamConfigHash(pipeline: Pipeline, streamName: string): string {
  const { version, source } = hashedConfig(pipeline);
  const stream = pipeline.streams.find((s) => s.name === streamName);
  if (!stream) throw new InternalError('E_INTERNAL', `pipeline ${pipeline.name} has no stream ${streamName}`);
  return createHash('sha256').update(canonicalJson({ version, source, stream })).digest('hex');
}
