import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_URL, openClient } from '../../src/cli/connection.js';
import { PRESETS } from '../../src/extract/connection.js';
import { type DqmExportError } from '../../src/errors.js';
import type { DqmClient } from '../../src/extract/types.js';

const opened: DqmClient[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});
const open = (...a: Parameters<typeof openClient>): DqmClient => {
  const c = openClient(...a);
  opened.push(c);
  return c;
};
const failure = (f: () => unknown): DqmExportError => {
  try {
    f();
  } catch (e) {
    return e as DqmExportError;
  }
  throw new Error('expected an error');
};

describe('openClient', () => {
  it('defaults to the local server and reads the token from the environment', () => {
    expect(open({}, { DQM_PLAYGROUND_TOKEN: 'tok-1234' }).baseUrl).toBe(DEFAULT_URL);
    expect(open({}, { DQM_PLAYGROUND_URL: 'http://localhost:9/', DQM_PLAYGROUND_TOKEN: 'tok-1234' }).baseUrl).toBe(
      'http://localhost:9',
    );
  });

  it('resolves the presets and lets --url win over the environment', () => {
    const env = { DQM_PLAYGROUND_URL: 'http://localhost:9', DQM_PLAYGROUND_TOKEN: 'tok-1234' };
    expect(open({ url: 'prod' }, env).baseUrl).toBe(PRESETS.prod);
    expect(open({ url: 'develop' }, env).baseUrl).toBe(PRESETS.develop);
  });

  it('reads --token-file, and passes --concurrency to the client', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dqm-cli-'));
    writeFileSync(join(dir, 'token'), 'file-token-5678\n');
    expect(open({ tokenFile: join(dir, 'token'), concurrency: 3 }, {}).concurrency).toBe(3);
  });

  it('refuses a --token flag without echoing its value', () => {
    const e = failure(() => openClient({ token: 'leaky-secret-value' }, { DQM_PLAYGROUND_TOKEN: 'tok-1234' }));
    expect(e.code).toBe('E_USAGE_TOKEN_FLAG');
    expect(e.kind).toBe('usage');
    expect(e.message).toMatch(/shell history.*DQM_PLAYGROUND_TOKEN or use --token-file/);
    expect(e.message).not.toContain('leaky-secret-value');
  });

  it.each([
    [{}, {}, 'E_NO_TOKEN', /set DQM_PLAYGROUND_TOKEN .*or pass --token-file/],
    [
      { url: 'http://example.org' },
      { DQM_PLAYGROUND_TOKEN: 'tok-1234' },
      'E_INSECURE_HTTP',
      /refusing plain http to example.org/,
    ],
    [{ url: 'ftp://x' }, { DQM_PLAYGROUND_TOKEN: 'tok-1234' }, 'E_BAD_URL', /protocol ftp:/],
    [{ tokenFile: '/nonexistent/token' }, {}, 'E_TOKEN_FILE', /cannot read token file \/nonexistent\/token/],
    [
      { concurrency: 0 },
      { DQM_PLAYGROUND_TOKEN: 'tok-1234' },
      'E_USAGE_NUMBER',
      /--concurrency expects an integer from 1 to 64, got 0/,
    ],
    [
      { concurrency: 1000 },
      { DQM_PLAYGROUND_TOKEN: 'tok-1234' },
      'E_USAGE_NUMBER',
      /--concurrency expects an integer from 1 to 64, got 1000/,
    ],
    [
      { retries: -1 },
      { DQM_PLAYGROUND_TOKEN: 'tok-1234' },
      'E_USAGE_NUMBER',
      /--retries expects an integer from 0 to 20/,
    ],
    [
      { retries: 21 },
      { DQM_PLAYGROUND_TOKEN: 'tok-1234' },
      'E_USAGE_NUMBER',
      /--retries expects an integer from 0 to 20, got 21/,
    ],
  ])('%j %j -> %s', (args, env, code, message) => {
    const e = failure(() => openClient(args, env));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  it('allows plain http to a remote host with --allow-insecure-http', () => {
    expect(
      open({ url: 'http://example.org', allowInsecureHttp: true }, { DQM_PLAYGROUND_TOKEN: 'tok-1234' }).baseUrl,
    ).toBe('http://example.org');
  });
});
