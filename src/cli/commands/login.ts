/**
 * `dqm-export login dials [--url URL]`: the DIALS device flow (prints the verification URL, polls as
 * the server asks), then stores the tokens in the login file (0600, under XDG_CONFIG_HOME or
 * ~/.config/dqm-export/), where DIALS pipelines and commands find them and refresh them.
 * `dqm-export logout dials [--url URL]` deletes them.
 */
import type { Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { createDialsClient, dialsBaseUrl } from '../../sources/dials/client.js';
import { deviceLogin } from '../../sources/dials/login.js';
import { deleteTokens, tokenFilePath, writeTokens } from '../../sources/dials/token-store.js';
import { numeric } from '../numbers.js';

interface LoginArgs {
  /** Only `dials` has a login. */
  service: string;
  /** DIALS server root or `prod`. */
  url: string;
  /** Poll interval, seconds, when the server names none. */
  'poll-interval': number;
  /** Allow plain http:// to a non-loopback host. */
  'allow-insecure-http': boolean;
  /** PEM file with extra CA certificates. */
  'ca-file'?: string;
}

function checkService(service: string): void {
  if (service !== 'dials')
    throw new UsageError('E_LOGIN_SERVICE', `login/logout: unknown service ${service}; valid services: dials`, {
      field: 'service',
    });
}

const urlOption = {
  type: 'string',
  default: process.env.DIALS_URL ?? 'prod',
  describe: 'DIALS server root, or prod (https://cmsdials-api.web.cern.ch); env DIALS_URL',
} as const;

/** The `login` command. */
export const loginCommand: CommandModule<object, LoginArgs> = {
  command: 'login <service>',
  describe: 'Log in to DIALS with the device flow and keep the tokens for later exports',
  builder: (y: Argv) =>
    y
      .positional('service', { type: 'string', demandOption: true, describe: 'dials' })
      .option('url', urlOption)
      .option('poll-interval', {
        ...numeric('poll-interval'),
        default: 5,
        describe: 'Seconds between polls when the server names no interval',
        hidden: true,
      })
      .option('allow-insecure-http', {
        type: 'boolean',
        default: false,
        describe: 'Allow plain http:// to a non-loopback host',
      })
      .option('ca-file', { type: 'string', describe: 'PEM file with extra CA certificates' })
      .example([
        ['$0 login dials', 'open the printed URL, approve, and DIALS pipelines need no token'],
      ]) as unknown as Argv<LoginArgs>,
  handler: async (argv) => {
    checkService(argv.service);
    const baseUrl = dialsBaseUrl(argv.url);
    const client = createDialsClient({
      baseUrl,
      credentials: null,
      concurrency: 1,
      allowInsecureHttp: argv['allow-insecure-http'],
      caFile: argv['ca-file'],
    });
    try {
      const tokens = await deviceLogin(client, {
        pollMs: argv['poll-interval'] * 1000,
        onPrompt: (p) =>
          process.stderr.write(
            `To log in to DIALS, open this URL in a browser and approve (valid ${Math.round(p.expiresIn / 60)} min):\n\n  ${p.verificationUrl}\n\nWaiting for approval...\n`,
          ),
      });
      const file = tokenFilePath();
      await writeTokens(file, baseUrl, tokens);
      process.stderr.write(`Logged in to ${baseUrl}; tokens stored in ${file} (readable only by you).\n`);
    } finally {
      await client.close();
    }
  },
};

/** The `logout` command. */
export const logoutCommand: CommandModule<object, Pick<LoginArgs, 'service' | 'url'>> = {
  command: 'logout <service>',
  describe: 'Delete the stored DIALS tokens',
  builder: (y: Argv) =>
    y
      .positional('service', { type: 'string', demandOption: true, describe: 'dials' })
      .option('url', urlOption) as unknown as Argv<Pick<LoginArgs, 'service' | 'url'>>,
  handler: async (argv) => {
    checkService(argv.service);
    const baseUrl = dialsBaseUrl(argv.url);
    const file = tokenFilePath();
    const removed = await deleteTokens(file, baseUrl);
    process.stderr.write(
      removed ? `Logged out of ${baseUrl} (tokens deleted from ${file}).\n` : `No stored login for ${baseUrl}.\n`,
    );
  },
};
