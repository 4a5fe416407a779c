import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import {
  checkTransportSecurity,
  isLoopbackHost,
  normalizeBaseUrl,
  PRESETS,
  resolveConnection,
} from '../../src/extract/connection.js';
import { clearSecrets, redact } from '../../src/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'dqm-conn-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, '  file-token-1234\n');
const emptyFile = join(dir, 'empty');
writeFileSync(emptyFile, '\n');

afterEach(() => clearSecrets());

describe('resolveConnection', () => {
  it.each([
    ['preset prod', { url: 'prod', token: 'tok-aaaa', env: {} }, PRESETS.prod, 'preset', 'option'],
    [
      'preset develop from env',
      { env: { DQM_PLAYGROUND_URL: 'develop', DQM_PLAYGROUND_TOKEN: 'env-tok-1' } },
      PRESETS.develop,
      'preset',
      'env',
    ],
    [
      'option beats env',
      {
        url: 'https://a.example/',
        env: { DQM_PLAYGROUND_URL: 'https://b.example', DQM_PLAYGROUND_TOKEN: 'env-tok-1' },
      },
      'https://a.example',
      'option',
      'env',
    ],
    [
      'token file beats env',
      { url: 'https://a.example', tokenFile, env: { DQM_PLAYGROUND_TOKEN: 'env-tok-1' } },
      'https://a.example',
      'option',
      'file',
    ],
    [
      'env token file',
      { url: 'https://a.example', env: { DQM_PLAYGROUND_TOKEN_FILE: tokenFile } },
      'https://a.example',
      'option',
      'env-file',
    ],
    [
      'trailing /api/ stripped',
      { url: 'https://a.example/prefix/api/', token: 'tok-aaaa', env: {} },
      'https://a.example/prefix',
      'option',
      'option',
    ],
  ])('%s', (_name, input, baseUrl, urlSource, tokenSource) => {
    const c = resolveConnection(input);
    expect(c).toMatchObject({ baseUrl, urlSource, tokenSource });
  });

  it('reads and trims the token file, and registers it as a secret', () => {
    const c = resolveConnection({ url: 'prod', tokenFile, env: {} });
    expect(c.token).toBe('file-token-1234');
    expect(redact('Token file-token-1234 here')).not.toContain('file-token-1234');
  });

  it('registers an environment token as a secret', () => {
    resolveConnection({ url: 'prod', env: { DQM_PLAYGROUND_TOKEN: 'secret-from-env' } });
    expect(redact('x secret-from-env y')).toBe('x *** y');
  });

  it.each([
    ['no url', { env: { DQM_PLAYGROUND_TOKEN: 't-123' } }, 'E_NO_URL', /DQM_PLAYGROUND_URL.*prod, develop/],
    ['no token', { url: 'prod', env: {} }, 'E_NO_TOKEN', /DQM_PLAYGROUND_TOKEN/],
    ['bad url', { url: 'not a url', token: 't-123', env: {} }, 'E_BAD_URL', /prod, develop/],
    ['ftp', { url: 'ftp://h', token: 't-123', env: {} }, 'E_BAD_URL', /protocol ftp:/],
    ['credentials in url', { url: 'https://u:p@h', token: 't-123', env: {} }, 'E_BAD_URL', /credentials/],
    ['query in url', { url: 'https://h/?token=x', token: 't-123', env: {} }, 'E_BAD_URL', /query/],
    [
      'missing token file',
      { url: 'prod', tokenFile: join(dir, 'nope'), env: {} },
      'E_TOKEN_FILE',
      /cannot read token file/,
    ],
    ['empty token file', { url: 'prod', tokenFile: emptyFile, env: {} }, 'E_TOKEN_FILE', /got nothing/],
  ])('%s -> ConfigError', (_name, input, code, message) => {
    let caught: unknown;
    try {
      resolveConnection(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).code).toBe(code);
    expect((caught as ConfigError).message).toMatch(message);
  });
});

describe('transport security', () => {
  it.each([
    ['localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['[::1]', true],
    ['::1', true],
    ['a.localhost', true],
    ['10.0.0.1', false],
    ['example.org', false],
    ['localhost.example.org', false],
  ])('isLoopbackHost(%s) = %s', (host, expected) => {
    expect(isLoopbackHost(host)).toBe(expected);
  });

  it('refuses http to a remote host unless allowed', () => {
    expect(() => checkTransportSecurity('http://example.org', false)).toThrow(/refusing plain http to example.org/);
    expect(() => checkTransportSecurity('http://example.org', true)).not.toThrow();
    expect(() => checkTransportSecurity('http://127.0.0.1:8000', false)).not.toThrow();
    expect(() => checkTransportSecurity('https://example.org', false)).not.toThrow();
  });

  it('normalises base URLs', () => {
    expect(normalizeBaseUrl('https://h.example/')).toBe('https://h.example');
    expect(normalizeBaseUrl('https://h.example/api')).toBe('https://h.example');
    expect(normalizeBaseUrl('http://127.0.0.1:8000/x/y/')).toBe('http://127.0.0.1:8000/x/y');
  });
});
