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

/** The flags every remote source's commands take (DQM Playground and DIALS), parsed. */
export interface TransportArgs {
  /** `--url`: base URL or preset name. */
  url?: string;
  /** `--token-file`: file holding the token. */
  tokenFile?: string;
  /** `--ca-file`: PEM with an extra CA to trust. */
  caFile?: string;
  /** `--allow-insecure-http`: plain http to a remote host. */
  allowInsecureHttp?: boolean;
  /** `--retries`: retries of a transient failure per request. */
  retries?: number;
  /** `--token`: refused (shell history). */
  token?: unknown;
}

/** The help texts of the transport flags that differ between the sources. */
export interface TransportHelp {
  /** `--url`: what the URL names, its presets, variable and default. */
  url: string;
  /** `--token-file`: where else the token comes from. */
  tokenFile: string;
  /** `--ca-file`. */
  caFile: string;
  /** What a request is retried after, e.g. `429, 5xx` (range and default are added). */
  retriedAfter: string;
}

/** Names of the transport flags, in the order `--help` lists them. */
export const TRANSPORT_FLAGS = ['url', 'token-file', 'ca-file', 'allow-insecure-http', 'retries'] as const;

/**
 * Declares the transport flags once for every source's commands: `--url`, `--token-file`,
 * `--ca-file`, `--allow-insecure-http`, `--retries`, and the hidden `--token` (accepted only to be
 * refused with a reason; a plain "unknown argument" would not say what to do). The caller groups
 * them with its own flags, so each source keeps its own help heading and order.
 */
export function withTransportOptions<T>(y: Argv<T>, help: TransportHelp): Argv<T & TransportArgs> {
  return y
    .option('url', { type: 'string', requiresArg: true, describe: help.url })
    .option('token-file', { type: 'string', requiresArg: true, describe: help.tokenFile })
    .option('ca-file', { type: 'string', requiresArg: true, describe: help.caFile })
    .option('allow-insecure-http', {
      type: 'boolean',
      describe: 'Allow plain http to a non-local host (the token travels in clear)',
    })
    .option('retries', {
      ...numeric('retries'),
      requiresArg: true,
      describe: `Retries of a request after ${help.retriedAfter} or a network failure (${rangeText(SETTINGS.retries)}; default ${SETTINGS.retries.default})`,
    })
    .option('token', { type: 'string', hidden: true }) as unknown as Argv<T & TransportArgs>;
}

/** Parsed connection flags. */
export interface ConnectionArgs extends TransportArgs {
  /** `--concurrency`: connections, and pages in flight with `--all`. */
  concurrency?: number;
}

/** Throws UsageError E_USAGE_NUMBER when a flag's value is outside the setting's bounds. */
export function checkSettingFlag(flag: string, value: number | undefined, s: IntSetting): void {
  if (value !== undefined && !inRange(s, value)) {
    throw new UsageError('E_USAGE_NUMBER', `${flag} expects an integer ${rangeText(s)}, got ${String(value)}`);
  }
}

/** Adds the connection flags (grouped under "Connection:" in --help). */
export function withConnectionOptions<T>(y: Argv<T>): Argv<T & ConnectionArgs> {
  return withTransportOptions(y, {
    url: `Server URL, or a preset: ${Object.keys(PRESETS).join(', ')} (env DQM_PLAYGROUND_URL; default ${DEFAULT_URL})`,
    tokenFile: 'File holding the API token (else env DQM_PLAYGROUND_TOKEN or DQM_PLAYGROUND_TOKEN_FILE)',
    caFile: 'PEM file with a CA to trust in addition to the bundled roots',
    retriedAfter: '429, 5xx',
  })
    .option('concurrency', {
      ...numeric('concurrency'),
      requiresArg: true,
      default: SETTINGS.concurrency.default,
      describe: `Requests in flight at once, pages with --all (${rangeText(SETTINGS.concurrency)})`,
    })
    .group([...TRANSPORT_FLAGS, 'concurrency'], 'Connection:') as unknown as Argv<T & ConnectionArgs>;
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
