/**
 * `dqm-export serve`: a local DQM Playground-compatible server for development, tests and demos.
 *
 * Start-up output (stdout), for humans and test harnesses alike: the FIRST line is one JSON object
 * `{"event":"listening","url":"http://127.0.0.1:8000","adminToken":"...","userToken":"..."}`; the
 * lines after it are a human summary. This is the one place dqm-export prints tokens, on purpose:
 * they are this server's own, random per start unless given. Runs until SIGINT or SIGTERM.
 * With `--api dials` the line is `{"event":"listening","api":"dials","url":...,"token":...,"clientSecret":...}`.
 */
import type { Argv, CommandModule } from 'yargs';
import { createLogger } from '../../log.js';
import type { RunningServer, ServerOptions } from '../../server/index.js';
import { numeric } from '../numbers.js';

/** Flags that set the server option of the same name, as they are (yargs gives each a default). */
const SAME_NAMED = [
  'host',
  'port',
  'manual',
  'latencyMs',
  'jitterMs',
  'failRate',
  'resetRate',
  'truncateRate',
  'shuffle',
  'pageSize',
  'seed',
  'parseDelayMs',
  'deviceAutoApprove',
  'gatewayTimeoutBytes',
] as const;

/** The same-named flags' values, as server options. */
function sameNamed(argv: ServeArgs): Pick<ServerOptions, (typeof SAME_NAMED)[number]> {
  return Object.fromEntries(SAME_NAMED.map((name) => [name, argv[name]])) as Pick<
    ServerOptions,
    (typeof SAME_NAMED)[number]
  >;
}

interface ServeArgs extends Pick<Required<ServerOptions>, (typeof SAME_NAMED)[number]> {
  data?: string[];
  adminToken?: string;
  userToken?: string;
  envelope: string;
  synthetic?: string;
  api: string;
  dialsToken?: string;
  clientSecret?: string;
  tokenTtl: number;
  refreshTtl: number;
  rejectExpired: boolean;
  dialsMap?: string;
  verbose?: boolean;
  exitCode?: number;
}

const DIALS = [
  'dials-token',
  'client-secret',
  'token-ttl',
  'refresh-ttl',
  'reject-expired',
  'device-auto-approve',
  'gateway-timeout-bytes',
  'dials-map',
];

const FAULTS = [
  'latency-ms',
  'jitter-ms',
  'fail-rate',
  'reset-rate',
  'truncate-rate',
  'shuffle',
  'envelope',
  'page-size',
  'seed',
];

function builder(y: Argv): Argv<ServeArgs> {
  return y
    .option('api', {
      type: 'string',
      choices: ['dqm-playground', 'dials'],
      default: 'dqm-playground',
      describe: 'API to serve: DQM Playground (/api/) or DIALS (/api/v1/)',
    })
    .option('dials-token', {
      type: 'string',
      requiresArg: true,
      describe: 'DIALS: Bearer token accepted without expiry (env DQM_SERVE_DIALS_TOKEN; default: random)',
    })
    .option('client-secret', {
      type: 'string',
      requiresArg: true,
      describe: 'DIALS: accepted X-CLIENT-SECRET (env DQM_SERVE_CLIENT_SECRET; default: random)',
    })
    .option('token-ttl', {
      ...numeric('token-ttl'),
      default: 1200,
      requiresArg: true,
      describe: 'DIALS: lifetime of device-flow access tokens, seconds',
    })
    .option('refresh-ttl', {
      ...numeric('refresh-ttl'),
      default: 36000,
      requiresArg: true,
      describe: 'DIALS: lifetime of refresh tokens, seconds',
    })
    .option('reject-expired', {
      type: 'boolean',
      default: false,
      describe: 'DIALS: 403 for an expired access token (the real server accepts it)',
    })
    .option('device-auto-approve', {
      ...numeric('device-auto-approve'),
      default: 0,
      requiresArg: true,
      describe: 'DIALS: approve a device code after N polls (0: only by visiting its verification URL)',
    })
    .option('gateway-timeout-bytes', {
      ...numeric('gateway-timeout-bytes'),
      default: 0,
      requiresArg: true,
      describe: 'DIALS: answer 504, then 502, in turn (gateway failures) for data responses over N bytes (0: off)',
    })
    .option('dials-map', {
      type: 'string',
      requiresArg: true,
      describe: 'DIALS: JSON map of CSV files to datasets/files and titles to MEs (default: derived)',
    })
    .option('data', {
      type: 'string',
      array: true,
      requiresArg: true,
      describe: 'Directory of ML4DQM CSV files, searched recursively (repeatable; default: the bundled sample data)',
    })
    .option('host', { type: 'string', default: '127.0.0.1', requiresArg: true, describe: 'Interface to listen on' })
    .option('port', {
      ...numeric('port'),
      default: 8000,
      requiresArg: true,
      describe: 'Port (0 = any free port; the URL line says which)',
    })
    .option('admin-token', {
      type: 'string',
      requiresArg: true,
      describe: 'Admin token (env DQM_SERVE_ADMIN_TOKEN; default: random)',
    })
    .option('user-token', {
      type: 'string',
      requiresArg: true,
      describe: 'Non-admin token (env DQM_SERVE_USER_TOKEN; default: random)',
    })
    .option('manual', {
      type: 'boolean',
      default: false,
      describe: 'Register the files at 0 % without parsing them: exercise discover and start_parsing',
    })
    .option('parse-delay-ms', {
      ...numeric('parse-delay-ms'),
      default: 0,
      requiresArg: true,
      describe: 'Pause after each parsed row, to watch parsing progress',
    })
    .option('synthetic', {
      type: 'string',
      requiresArg: true,
      describe: 'Serve generated histograms instead: runs=R,ls=L,titles=T,dim=1|2,x=X,y=Y[,run0=N]',
    })
    .option('latency-ms', {
      ...numeric('latency-ms'),
      default: 0,
      requiresArg: true,
      describe: 'Delay of each list/detail response',
    })
    .option('jitter-ms', {
      ...numeric('jitter-ms'),
      default: 0,
      requiresArg: true,
      describe: 'Random extra delay, up to this',
    })
    .option('fail-rate', {
      ...numeric('fail-rate'),
      default: 0,
      requiresArg: true,
      describe: 'Probability of a 500, 502, 503 or 429 (Retry-After 0 or 1)',
    })
    .option('reset-rate', {
      ...numeric('reset-rate'),
      default: 0,
      requiresArg: true,
      describe: 'Probability of a connection reset after part of the body',
    })
    .option('truncate-rate', {
      ...numeric('truncate-rate'),
      default: 0,
      requiresArg: true,
      describe: 'Probability of a truncated body (early close, or short Content-Length)',
    })
    .option('shuffle', {
      type: 'boolean',
      default: false,
      describe: 'A new random order of histogram lists on every request',
    })
    .option('envelope', {
      type: 'string',
      default: 'total',
      requiresArg: true,
      describe: 'Page envelope: "total" (the real server\'s) or "count" (stock DRF)',
    })
    .option('page-size', { ...numeric('page-size'), default: 50, requiresArg: true, describe: 'Records per page' })
    .option('seed', {
      ...numeric('seed'),
      default: 1,
      requiresArg: true,
      describe: 'Seed of the fault and shuffle PRNG (same seed, same faults)',
    })
    .group(FAULTS, 'Faults (on GET of lists and details) and API variants:')
    .group(DIALS, 'DIALS API (--api dials; --shuffle, --envelope, --page-size do not apply):')
    .example([
      ['$0 serve', 'the sample data on http://127.0.0.1:8000, parsed'],
      ['$0 serve --port 0 --data ./csv --manual', 'any free port; parse through the API'],
      ['$0 serve --fail-rate 0.1 --shuffle --seed 7', 'an unreliable server, reproducibly'],
      ['$0 serve --synthetic runs=100,ls=1000,titles=2,dim=2', '200 000 2D histograms, generated on the fly'],
      [
        '$0 serve --api dials --port 0 --device-auto-approve 2',
        'DIALS /api/v1/ over the sample data; login needs no browser',
      ],
    ])
    .epilogue(
      'Output: the first stdout line is JSON {"event":"listening","url":...,"adminToken":...,"userToken":...}; ' +
        'the rest is for humans. Send requests with "Authorization: Token <token>". Stop with Ctrl+C. ' +
        'With --api dials: {"event":"listening","api":"dials","url":...,"token":...,"clientSecret":...}; send "Authorization: Bearer <token>" ' +
        '(or "X-CLIENT-SECRET: <secret>"); device flow: GET /api/v1/auth/new-device/, approve by visiting verification_uri_complete.',
    ) as unknown as Argv<ServeArgs>;
}

async function summary(server: RunningServer): Promise<string[]> {
  try {
    // A cache-busting query, so the startup summary never leaves a stale cached page behind.
    const res = await fetch(`${server.url}/api/histogram_data_files/?_=serve-startup`, {
      headers: { Authorization: `Token ${server.adminToken}` },
    });
    const body = (await res.json()) as {
      results: Array<{
        id: number;
        filepath: string;
        entries_processed: number;
        entries_total: number;
        percentage_processed: number;
      }>;
    };
    return body.results.map(
      (f) =>
        `  file ${f.id}: ${f.filepath} (${f.entries_processed}/${f.entries_total} rows, ${f.percentage_processed} %)`,
    );
  } catch {
    return [];
  }
}

function dialsStartup(server: RunningServer, synthetic: string | undefined): string[] {
  const first = {
    event: 'listening',
    api: 'dials',
    url: server.url,
    token: server.dialsToken,
    clientSecret: server.clientSecret,
  };
  return [
    JSON.stringify(first),
    `DIALS API at ${server.url}/api/v1/${synthetic ? ` (synthetic: ${synthetic})` : ''}`,
    `  token:         ${server.dialsToken}`,
    `  client secret: ${server.clientSecret}`,
    `  try: curl -H "Authorization: Bearer ${server.dialsToken}" ${server.url}/api/v1/th1/`,
    'Press Ctrl+C to stop.',
  ];
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(signal);
    };
    const onInt = (): void => stop('SIGINT');
    const onTerm = (): void => stop('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

/** The `serve` command module. */
export const serveCommand: CommandModule<object, ServeArgs> = {
  command: 'serve',
  describe: 'Run a local DQM Playground-compatible server (sample data, faults, synthetic data)',
  builder,
  handler: async (argv) => {
    const options: ServerOptions = {
      ...sameNamed(argv),
      dataDirs: argv.data,
      adminToken: argv.adminToken ?? process.env.DQM_SERVE_ADMIN_TOKEN,
      userToken: argv.userToken ?? process.env.DQM_SERVE_USER_TOKEN,
      envelope: argv.envelope as ServerOptions['envelope'],
      synthetic: argv.synthetic,
      api: argv.api as ServerOptions['api'],
      dialsToken: argv.dialsToken ?? process.env.DQM_SERVE_DIALS_TOKEN,
      clientSecret: argv.clientSecret ?? process.env.DQM_SERVE_CLIENT_SECRET,
      tokenTtlSeconds: argv.tokenTtl,
      refreshTtlSeconds: argv.refreshTtl,
      rejectExpiredTokens: argv.rejectExpired,
      dialsMap: argv.dialsMap,
      logger: createLogger({ level: argv.verbose ? 'debug' : 'warn' }),
    };
    // Loaded on demand: every other command (and each of the many `run` processes) skips the server's modules.
    const { startServer } = await import('../../server/index.js');
    const server = await startServer(options);
    if (server.api === 'dials') {
      process.stdout.write(dialsStartup(server, argv.synthetic).join('\n') + '\n');
      const signal = await untilSignal();
      await server.close();
      process.stderr.write(`dqm-export serve: stopped (${signal})\n`);
      argv.exitCode = 0;
      return;
    }
    const first = { event: 'listening', url: server.url, adminToken: server.adminToken, userToken: server.userToken };
    const lines = [
      JSON.stringify(first),
      `DQM Playground API at ${server.url}/api/${argv.synthetic ? ` (synthetic: ${argv.synthetic})` : ''}`,
      `  admin token: ${server.adminToken}`,
      `  user token:  ${server.userToken}`,
      ...(await summary(server)),
      `  try: curl -H "Authorization: Token ${server.adminToken}" ${server.url}/api/runs/`,
      'Press Ctrl+C to stop.',
    ];
    process.stdout.write(lines.join('\n') + '\n');
    const signal = await untilSignal();
    await server.close();
    process.stderr.write(`dqm-export serve: stopped (${signal})\n`);
    argv.exitCode = 0;
  },
};
