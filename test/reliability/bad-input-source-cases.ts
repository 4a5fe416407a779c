/**
 * The bad-input table of the reliability suite, part 1b: the source, the connection settings, the
 * files and the flags given to `run` (refused up front like part 1, bad-input-cases.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { variant, type BadInputCase } from './bad-input-cases.js';

/** Sources, connections, files and flags refused up front: exit 2, nothing written. */
export const SOURCE_AND_FLAG_CASES: BadInputCase[] = [
  // Source and connection
  {
    name: 'an unset variable',
    pipeline: variant('url: ${DQM_PLAYGROUND_URL}', 'url: ${DQM_NOT_SET_ANYWHERE}'),
    code: 'E_CONFIG_ENV',
    exit: 2,
    mentions: ['DQM_NOT_SET_ANYWHERE'],
  },
  {
    name: 'an ftp URL',
    pipeline: variant('url: ${DQM_PLAYGROUND_URL}', 'url: ftp://127.0.0.1/'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['source.url', 'ftp'],
  },
  {
    name: 'plain http to a remote host',
    pipeline: variant('url: ${DQM_PLAYGROUND_URL}', 'url: http://dqm.example.org'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['dqm.example.org', 'allow_insecure_http'],
  },
  {
    name: 'credentials in the URL',
    pipeline: variant('url: ${DQM_PLAYGROUND_URL}', 'url: http://user:pass@127.0.0.1:1'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['credentials'],
  },
  {
    name: 'both token and token_file',
    pipeline: variant('  retries: 1', '  retries: 1\n  token_file: token.txt'),
    code: 'E_CONFIG_INVALID',
    exit: 2,
    mentions: ['token_file'],
  },
  {
    name: 'no token at all',
    pipeline: variant('token: ${DQM_PLAYGROUND_TOKEN}', 'token: ${DQM_PLAYGROUND_TOKEN:-}'),
    token: null,
    code: 'E_NO_TOKEN',
    exit: 2,
    mentions: ['DQM_PLAYGROUND_TOKEN'],
  },
  {
    name: 'a token file that does not exist',
    pipeline: variant('token: ${DQM_PLAYGROUND_TOKEN}', 'token_file: missing-token.txt'),
    code: 'E_TOKEN_FILE',
    exit: 2,
    mentions: ['missing-token.txt'],
  },
  // Files and flags
  {
    name: 'a pipeline file that does not exist',
    file: '{dir}/nope.yaml',
    code: 'E_CONFIG_FILE',
    exit: 2,
    mentions: ['nope.yaml', 'no such file'],
  },
  { name: 'a directory as the pipeline file', file: '{dir}', code: 'E_CONFIG_FILE', exit: 2, mentions: ['directory'] },
  { name: 'an unknown flag', args: ['--resme'], code: 'E_USAGE', exit: 2, mentions: ['resme'] },
  {
    name: 'a concurrency of 0',
    args: ['--concurrency', '0'],
    code: 'E_USAGE_NUMBER',
    exit: 2,
    mentions: ['concurrency'],
  },
  {
    name: 'a CA file that does not exist',
    args: ['--ca-file', '{dir}/no-ca.pem'],
    code: 'E_CA_FILE',
    exit: 2,
    mentions: ['no-ca.pem'],
  },
  {
    name: 'a CA file that holds no certificate',
    args: ['--ca-file', '{dir}/ca.pem'],
    setup: async ({ dir }) => writeFile(join(dir, 'ca.pem'), 'not a certificate\n'),
    code: 'E_CA_FILE',
    exit: 2,
    mentions: ['ca.pem', 'PEM'],
  },
  {
    name: '--resume after the pipeline changed',
    args: ['--resume'],
    setup: async ({ dir }) => {
      await mkdir(join(dir, 'out', 'h1d', '.dqm-export'), { recursive: true });
      await writeFile(
        join(dir, 'out', 'h1d', '.dqm-export', 'journal.jsonl'),
        '{"type":"start","at":"2026-01-01T00:00:00Z","configHash":"0123456789ab","version":"0.1.0"}\n',
      );
    },
    code: 'E_RESUME_CONFIG_CHANGED',
    exit: 2,
    mentions: ['pipeline changed'],
  },
];
