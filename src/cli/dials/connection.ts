/**
 * Command-line flags -> a DIALS client, through the same source settings and credential order a
 * pipeline's `source: {type: dials}` has: `--token-file` / `--client-secret-file` (the CLI's
 * `token_file` / `client_secret_file`), then DIALS_TOKEN, DIALS_TOKEN_FILE, DIALS_CLIENT_SECRET, then
 * the tokens `dqm-export login dials` stored (refreshed before they expire). Tokens are never taken
 * from a flag value (shell history, `ps`): `--token` and `--client-secret` exist only to say so.
 * The workspace is checked against the server's list before the first data request.
 */
import type { Argv } from 'yargs';
import { sourceSchema, type DialsSource } from '../../config/index.js';
import { DIALS_PRESETS, KNOWN_WORKSPACES } from '../../dials.js';
import { ConfigError, DqmExportError, UsageError } from '../../errors.js';
import { silentLogger } from '../../log.js';
import { registerSecret } from '../../secrets.js';
import { SETTINGS } from '../../settings.js';
import type { DialsClient } from '../../sources/dials/client.js';
import { dialsClientFor } from '../../sources/dials/source.js';
import { checkSettingFlag, withTransportOptions, type TransportArgs } from '../connection.js';

/** Parsed DIALS connection flags. */
export interface DialsConnectionArgs extends TransportArgs {
  /** `--workspace`: the `Workspace` header. */
  workspace?: string;
  /** `--client-secret-file`: file holding a client secret. */
  clientSecretFile?: string;
  /** `--client-secret`: refused. */
  clientSecret?: unknown;
}

/** Where the commands connect when neither `--url` nor DIALS_URL says otherwise (as pipelines do). */
export const DEFAULT_DIALS_URL = 'prod';
/** The workspace when `--workspace` is not given (as pipelines do). */
export const DEFAULT_WORKSPACE = 'tracker';

/** Adds the DIALS connection flags (grouped under "DIALS connection:" in --help). */
export function withDialsConnectionOptions<T>(y: Argv<T>): Argv<T & DialsConnectionArgs> {
  return withTransportOptions(y, {
    url: `DIALS server root, or ${Object.keys(DIALS_PRESETS).join(', ')} (${DIALS_PRESETS.prod}) (env DIALS_URL; default ${DEFAULT_DIALS_URL})`,
    tokenFile: 'File holding a DIALS access token (else DIALS_TOKEN, DIALS_TOKEN_FILE, DIALS_CLIENT_SECRET, the login)',
    caFile: 'PEM file with a CA to trust in addition',
    retriedAfter: 'a 5xx',
  })
    .option('workspace', {
      type: 'string',
      requiresArg: true,
      describe: `Subsystem workspace (the Workspace header): ${KNOWN_WORKSPACES.join(', ')}, ... (default ${DEFAULT_WORKSPACE})`,
    })
    .option('client-secret-file', {
      type: 'string',
      requiresArg: true,
      describe: 'File holding a DIALS client secret, where the deployment accepts one',
    })
    .option('client-secret', { type: 'string', hidden: true })
    .group(
      ['url', 'workspace', 'token-file', 'client-secret-file', 'ca-file', 'allow-insecure-http', 'retries'],
      'DIALS connection:',
    ) as unknown as Argv<T & DialsConnectionArgs>;
}

/** The flag each source setting comes from, for messages. */
const FLAG_OF: Record<string, string> = {
  url: '--url',
  workspace: '--workspace',
  token_file: '--token-file',
  client_secret_file: '--client-secret-file',
  ca_file: '--ca-file',
  retries: '--retries',
};

/**
 * The flags as a pipeline's DIALS source section, checked by the pipeline schema (URL, plain http to
 * a remote host, workspace spelling), with its defaults (timeouts, retries). Usage errors name the flag.
 */
export function dialsSourceFromArgs(
  args: DialsConnectionArgs,
  env: Record<string, string | undefined> = process.env,
): DialsSource {
  for (const [flag, value, variable] of [
    ['--token', args.token, 'DIALS_TOKEN or --token-file'],
    ['--client-secret', args.clientSecret, 'DIALS_CLIENT_SECRET or --client-secret-file'],
  ] as const) {
    if (value === undefined) continue;
    if (typeof value === 'string' && value) registerSecret(value);
    throw new UsageError(
      'E_USAGE_TOKEN_FLAG',
      `${flag} is not accepted: a secret on the command line lands in shell history and in \`ps\`; use ${variable} (or \`dqm-export login dials\`)`,
    );
  }
  checkSettingFlag('--retries', args.retries, SETTINGS.retries);
  const section = {
    type: 'dials',
    url: args.url ?? (env.DIALS_URL || DEFAULT_DIALS_URL),
    workspace: args.workspace ?? DEFAULT_WORKSPACE,
    token_file: args.tokenFile,
    client_secret_file: args.clientSecretFile,
    ca_file: args.caFile,
    allow_insecure_http: args.allowInsecureHttp ?? false,
    retries: args.retries,
    concurrency: 2,
  };
  const parsed = sourceSchema.safeParse(section);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0] ?? '');
    throw new UsageError('E_USAGE', `${FLAG_OF[key] ?? key}: ${issue.message}`, { field: key });
  }
  return parsed.data as DialsSource;
}

/**
 * Fails with E_DIALS_WORKSPACE, naming the server's workspaces, when `workspace` is not one of them.
 * A server without the `auth/workspaces/` route answers an unknown workspace itself (a 404), later.
 */
export async function checkWorkspace(client: DialsClient, workspace: string): Promise<void> {
  const valid = await client.workspaces();
  if (valid && !valid.includes(workspace))
    throw new ConfigError(
      'E_DIALS_WORKSPACE',
      `unknown DIALS workspace ${workspace} on ${client.baseUrl}; valid workspaces: ${valid.join(', ')} (--workspace)`,
      { field: 'workspace' },
    );
}

/** The server's own "Workspace 'x' not found" (a 404), worded for the command line. */
function workspaceError(err: DqmExportError, workspace: string, client: DialsClient): ConfigError {
  return new ConfigError(
    'E_DIALS_WORKSPACE',
    `unknown DIALS workspace ${workspace} on ${client.baseUrl} (--workspace); the production deployment has: ${KNOWN_WORKSPACES.join(', ')}`,
    err.context,
    { cause: err },
  );
}

/**
 * Opens a DIALS client from the flags, checks the workspace, runs `action`, and closes the client
 * whatever happens. Everything before the first request is a usage or config error (exit 2).
 */
export async function withDialsClient<R>(
  args: DialsConnectionArgs,
  action: (client: DialsClient) => Promise<R>,
  env: Record<string, string | undefined> = process.env,
): Promise<R> {
  const source = dialsSourceFromArgs(args, env);
  const client = dialsClientFor(source, process.cwd(), { logger: silentLogger, env, concurrency: 2 });
  try {
    await checkWorkspace(client, source.workspace);
    return await action(client);
  } catch (err) {
    if (err instanceof DqmExportError && err.code === 'E_DIALS_WORKSPACE' && err.context.field !== 'workspace')
      throw workspaceError(err, source.workspace, client);
    throw err;
  } finally {
    await client.close();
  }
}
