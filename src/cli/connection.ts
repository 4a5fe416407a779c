/**
 * Command-line flags -> a client connection. The URL comes from `--url` (a URL or a preset: `prod`,
 * `develop`), else `DQM_PLAYGROUND_URL`, else the local server at http://127.0.0.1:8000. The token
 * comes from `--token-file`, `DQM_PLAYGROUND_TOKEN` or `DQM_PLAYGROUND_TOKEN_FILE`, never from a
 * flag value: `--token` exists only to refuse it with a message saying why.
 */
import type { Argv } from 'yargs';
import { ConfigError, UsageError } from '../errors.js';
import { checkTransportSecurity, PRESETS, resolveConnection } from '../extract/connection.js';
import { createClient } from '../extract/index.js';
import type { DqmClient } from '../extract/types.js';
import { registerSecret } from '../secrets.js';
import { inRange, rangeText, SETTINGS, type IntSetting } from '../settings.js';
import { numeric } from './numbers.js';

/** Where the CLI connects when neither `--url` nor `DQM_PLAYGROUND_URL` says otherwise. */
export const DEFAULT_URL = 'http://127.0.0.1:8000';

/** Parsed connection flags. */
export interface ConnectionArgs {
  /** `--url`: base URL or preset name. */
  url?: string;
  /** `--token-file`: file holding the token. */
  tokenFile?: string;
  /** `--ca-file`: PEM with an extra CA to trust. */
  caFile?: string;
  /** `--allow-insecure-http`: plain http to a remote host. */
  allowInsecureHttp?: boolean;
  /** `--retries`: retries after the first attempt for 429, 5xx and network failures. */
  retries?: number;
  /** `--concurrency`: connections, and pages in flight with `--all`. */
  concurrency?: number;
  /** `--token`: refused (shell history). */
  token?: unknown;
}

/** Throws UsageError E_USAGE_NUMBER when a flag's value is outside the setting's bounds. */
export function checkSettingFlag(flag: string, value: number | undefined, s: IntSetting): void {
  if (value !== undefined && !inRange(s, value)) {
    throw new UsageError('E_USAGE_NUMBER', `${flag} expects an integer ${rangeText(s)}, got ${String(value)}`);
  }
}

/** Adds the connection flags (grouped under "Connection:" in --help). */
export function withConnectionOptions<T>(y: Argv<T>): Argv<T & ConnectionArgs> {
  return (
    y
      .option('url', {
        type: 'string',
        requiresArg: true,
        describe: `Server URL, or a preset: ${Object.keys(PRESETS).join(', ')} (env DQM_PLAYGROUND_URL; default ${DEFAULT_URL})`,
      })
      .option('token-file', {
        type: 'string',
        requiresArg: true,
        describe: 'File holding the API token (else env DQM_PLAYGROUND_TOKEN or DQM_PLAYGROUND_TOKEN_FILE)',
      })
      .option('ca-file', {
        type: 'string',
        requiresArg: true,
        describe: 'PEM file with a CA to trust in addition to the bundled roots',
      })
      .option('allow-insecure-http', {
        type: 'boolean',
        describe: 'Allow plain http to a non-local host (the token travels in clear)',
      })
      .option('retries', {
        ...numeric('retries'),
        requiresArg: true,
        describe: `Retries of a request after 429, 5xx or a network failure (${rangeText(SETTINGS.retries)}; default ${SETTINGS.retries.default})`,
      })
      .option('concurrency', {
        ...numeric('concurrency'),
        requiresArg: true,
        default: SETTINGS.concurrency.default,
        describe: `Requests in flight at once, pages with --all (${rangeText(SETTINGS.concurrency)})`,
      })
      // Accepted only to be refused with a reason; a plain "unknown argument" would not say what to do.
      .option('token', { type: 'string', hidden: true })
      .group(
        ['url', 'token-file', 'ca-file', 'allow-insecure-http', 'retries', 'concurrency'],
        'Connection:',
      ) as unknown as Argv<T & ConnectionArgs>
  );
}

/**
 * Resolves the connection from flags and `env`, checks it, and creates the client. Everything here
 * happens before any request, so a bad flag is a usage or config error (exit 2).
 */
export function openClient(args: ConnectionArgs, env: Record<string, string | undefined> = process.env): DqmClient {
  if (args.token !== undefined) {
    if (typeof args.token === 'string') registerSecret(args.token);
    throw new UsageError(
      'E_USAGE_TOKEN_FLAG',
      '--token is not accepted: a token on the command line lands in shell history and in `ps`; set DQM_PLAYGROUND_TOKEN or use --token-file',
    );
  }
  checkSettingFlag('--concurrency', args.concurrency, SETTINGS.concurrency);
  checkSettingFlag('--retries', args.retries, SETTINGS.retries);
  let connection;
  try {
    connection = resolveConnection({
      url: args.url ?? env.DQM_PLAYGROUND_URL ?? DEFAULT_URL,
      tokenFile: args.tokenFile,
      env,
    });
  } catch (err) {
    if (err instanceof ConfigError && err.code === 'E_NO_TOKEN') {
      throw new ConfigError(
        'E_NO_TOKEN',
        'no DQM Playground API token: set DQM_PLAYGROUND_TOKEN (or DQM_PLAYGROUND_TOKEN_FILE), or pass --token-file',
      );
    }
    throw err;
  }
  checkTransportSecurity(connection.baseUrl, Boolean(args.allowInsecureHttp));
  return createClient({
    baseUrl: connection.baseUrl,
    token: connection.token,
    caFile: args.caFile,
    allowInsecureHttp: args.allowInsecureHttp,
    maxRetries: args.retries,
    concurrency: args.concurrency,
  });
}

/** Opens a client for one command, runs `action`, and closes the client whatever happens. */
export async function withClient<R>(args: ConnectionArgs, action: (client: DqmClient) => Promise<R>): Promise<R> {
  const client = openClient(args);
  try {
    return await action(client);
  } finally {
    await client.close();
  }
}
