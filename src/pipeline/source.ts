/**
 * Opens the record source of a pipeline as a `Source` (src/sources/source.ts): a DQM Playground
 * server over HTTP(S), a DIALS server, or ML4DQM CSV files served in process by the embedded server's
 * own tables and router (so both paths give the same rows). Everything downstream (planning,
 * extraction, the runner) talks to that one interface, so a new source kind is one more branch here.
 */
import { resolve } from 'node:path';
import type { LoadedPipeline, PlaygroundSource } from '../config/index.js';
import { ConfigError } from '../errors.js';
import { createClient, resolveConnection, type DqmClient } from '../extract/index.js';
import type { Logger } from '../log.js';
import { registerSecret } from '../secrets.js';
import { pageNumberSource } from '../sources/playground/source.js';
import type { Source } from '../sources/source.js';

/** What opening a source needs besides the pipeline file. */
export interface SourceOptions {
  logger: Logger;
  env?: Record<string, string | undefined>;
  /** Overrides `source.concurrency`. */
  concurrency?: number;
  /** Overrides `source.allow_insecure_http` when true (`--allow-insecure-http`). */
  allowInsecureHttp?: boolean;
  /** Overrides `source.ca_file` (`--ca-file`, relative to the working directory). */
  caFile?: string;
}

/** Opens the client for a dqm-playground source. */
export function clientFor(source: PlaygroundSource, baseDir: string, options: SourceOptions): DqmClient {
  const env = options.env ?? process.env;
  const conn = resolveConnection({
    url: source.url,
    token: source.token,
    tokenFile: source.token_file ? resolve(baseDir, source.token_file) : undefined,
    env,
  });
  registerSecret(conn.token);
  return createClient({
    baseUrl: conn.baseUrl,
    token: conn.token,
    concurrency: options.concurrency ?? source.concurrency,
    maxRetries: source.retries,
    connectTimeoutMs: source.timeouts.connect_ms,
    headersTimeoutMs: source.timeouts.headers_ms,
    bodyTimeoutMs: source.timeouts.body_ms,
    caFile: options.caFile ? resolve(options.caFile) : source.ca_file ? resolve(baseDir, source.ca_file) : undefined,
    allowInsecureHttp: options.allowInsecureHttp || source.allow_insecure_http,
    logger: options.logger,
  });
}

/** Opens the pipeline's source. */
export async function openSource(loaded: LoadedPipeline, options: SourceOptions): Promise<Source> {
  const source = loaded.pipeline.source;
  if (source.type === 'dqm-playground') return pageNumberSource(clientFor(source, loaded.dir, options));
  if (source.type === 'dials')
    return (await import('../sources/dials/source.js')).openDialsSource(source, loaded.dir, options);
  // On demand: the CSV source brings the embedded server's tables, which HTTP exports never need.
  if (source.type === 'ml4dqm-csv') {
    const { openCsvSource } = await import('../sources/csv/csv-source.js');
    const { csvSessionOf } = await import('../sources/csv/session.js');
    const client = await openCsvSource(source, { file: loaded.file, dir: loaded.dir }, options);
    return { ...pageNumberSource(client, 'ml4dqm-csv'), csv: csvSessionOf(client) };
  }
  // Only reachable when a source type is added to the schema without a branch here.
  throw new ConfigError(
    'E_SOURCE_UNSUPPORTED',
    `${loaded.file}: source.type ${(source as { type: string }).type} is not supported by this version`,
    {
      file: loaded.file,
      field: 'source.type',
    },
  );
}
