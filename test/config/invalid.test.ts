/**
 * Bad pipeline files, table-driven: each row is the file text and fragments the error message must
 * contain (position `t.yaml:line:col`, field path, what was expected, did-you-mean).
 */
import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { fileAndSourceCases } from './invalid-cases-source.js';
import { streamCases } from './invalid-cases-streams.js';
import { type Case, HEAD, RUNS } from './invalid-fixtures.js';

const cases: Case[] = [...fileAndSourceCases, ...streamCases];

function errorOf(c: Case): ConfigError {
  try {
    parsePipelineText(c.text, 't.yaml', { env: c.env ?? {} });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`expected ${c.name} to be rejected`);
}

describe('invalid pipeline files', () => {
  it('has a table of at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const err = errorOf(c);
    expect(err.code).toBe(c.code ?? 'E_CONFIG_INVALID');
    expect(err.kind).toBe('config');
    for (const fragment of c.has) expect(err.message).toContain(fragment);
    for (const fragment of c.hasNot ?? []) expect(err.message).not.toContain(fragment);
    // Every line names the file and a position (a multi-issue message has a header line first).
    const lines = err.message.split('\n');
    for (const line of lines.length > 1 ? lines.slice(1) : lines) expect(line).toMatch(/^t\.yaml:\d+:\d+: /);
    expect(err.context.file).toBe('t.yaml');
    expect(err.context.line).toBeGreaterThan(0);
  });
});

describe('error reporting', () => {
  it('collects every issue of a file, sorted by position, one per line', () => {
    const text = `version: 3
name: t
source:
  type: dqm-playground
  url: http://127.0.0.1:8000
  concurency: 4
streams:
  - name: h
    endpoint: lumisection_histograms_2d
    transform: {layout: tensr}
    output: {path: h, format: parket}
`;
    const err = errorOf({ name: 'many', text, has: [] });
    expect(err.message.split('\n')).toEqual([
      't.yaml: invalid pipeline (4 errors):',
      't.yaml:1:10: version: unsupported version 3; supported versions: 1',
      't.yaml:6:3: source.concurency: unknown key "concurency" (did you mean "concurrency"?); valid keys: type, url, token, token_file, concurrency, retries, timeouts, ca_file, allow_insecure_http',
      't.yaml:10:25: streams[0].transform.layout: got "tensr" (did you mean "tensor"?); valid layouts: nested, flat, tensor, array',
      't.yaml:11:31: streams[0].output.format: got "parket" (did you mean "parquet"?); valid formats: parquet, arrow, arrows',
    ]);
    expect(err.context).toMatchObject({ file: 't.yaml', line: 1, column: 10, field: 'version' });
    expect((err.context.issues as unknown[]).length).toBe(4);
  });

  it('lists every missing variable at once', () => {
    const text = HEAD.replace('http://127.0.0.1:8000', '${A}').replace('name: t', 'name: ${B}') + RUNS;
    const err = errorOf({ name: 'env', text, has: [] });
    expect(err.code).toBe('E_CONFIG_ENV');
    expect(err.message).toContain('t.yaml:2:7: name: environment variable B is not set');
    expect(err.message).toContain('t.yaml:5:8: source.url: environment variable A is not set');
  });

  it('never prints the token, even when it came from the environment', () => {
    const text =
      HEAD.replace('  url:', '  token: ${DQM_PLAYGROUND_TOKEN}\n  url:').replace(
        'http://127.0.0.1:8000',
        'http://remote.example.org',
      ) + RUNS;
    const err = errorOf({
      name: 'secret',
      text,
      env: { DQM_PLAYGROUND_TOKEN: 'tok-SECRET-4711' },
      has: ['source.url: plain http://'],
    });
    expect(err.message).not.toContain('tok-SECRET-4711');
    expect(JSON.stringify(err.context)).not.toContain('tok-SECRET-4711');
  });
});
