/** `${VAR}` interpolation: syntax, defaults, escapes, typing by the schema, and secrets. */
import { afterEach, describe, expect, it } from 'vitest';
import { interpolateString, parsePipelineText } from '../../src/config/index.js';
import { clearSecrets, redact } from '../../src/secrets.js';

describe('interpolateString', () => {
  const env = { A: 'a', EMPTY: '', N: '16' };

  it.each([
    ['plain text', 'plain text', []],
    ['${A}', 'a', ['A']],
    ['x-${A}-${A}', 'x-a-a', ['A', 'A']],
    ['${MISSING:-fallback}', 'fallback', ['MISSING']],
    ['${EMPTY:-fallback}', 'fallback', ['EMPTY']],
    ['${EMPTY}', '', ['EMPTY']],
    ['${A:-unused}', 'a', ['A']],
    ['${MISSING:-}', '', ['MISSING']],
    ['${MISSING:-http://h:8000/x}', 'http://h:8000/x', ['MISSING']],
    ['$${A}', '${A}', []],
    ['cost: $5 and $$ and $', 'cost: $5 and $$ and $', []],
  ] as const)('%s -> %s', (input, value, used) => {
    const r = interpolateString(input, env);
    expect(r.problems).toEqual([]);
    expect(r.value).toBe(value);
    expect(r.used).toEqual(used);
  });

  it.each([
    ['${MISSING}', 'environment variable MISSING is not set'],
    ['${}', 'invalid variable reference ${}'],
    ['${1A}', 'invalid variable reference ${1A}'],
    ['${A B}', 'invalid variable reference ${A B}'],
    ['${A:default}', 'invalid variable reference ${A:default}'],
    ['x${A', 'unterminated ${'],
  ])('%s is a problem: %s', (input, message) => {
    const r = interpolateString(input, env);
    expect(r.problems.map((p) => p.message).join()).toContain(message);
  });
});

const pipeline = (source: string, streamExtra = '') => `version: 1
name: i
source:
  type: dqm-playground
${source}
streams:
  - name: r
    endpoint: runs
    output: {path: r}${streamExtra}
`;

describe('interpolation in pipeline files', () => {
  afterEach(() => clearSecrets());

  it('interpolated numbers and booleans are typed by the schema', () => {
    const p = parsePipelineText(
      pipeline(
        '  url: ${URL:-http://127.0.0.1:8000}\n  concurrency: ${CONC:-16}\n  retries: "${RETRIES}"\n  allow_insecure_http: ${INSECURE:-false}',
        '\n    max_records: ${MAX}',
      ),
      'i.yaml',
      { env: { RETRIES: '3', MAX: '1000' } },
    );
    expect(p.source).toMatchObject({
      url: 'http://127.0.0.1:8000',
      concurrency: 16,
      retries: 3,
      allow_insecure_http: false,
    });
    expect(p.streams[0].max_records).toBe(1000);
  });

  it('a token made of digits stays text (no YAML re-typing of interpolated values)', () => {
    const p = parsePipelineText(pipeline('  url: prod\n  token: ${T}'), 'i.yaml', { env: { T: '0012345678' } });
    expect(p.source.type === 'dqm-playground' && p.source.token).toBe('0012345678');
  });

  it('an unset token variable leaves the token absent (found at run time), an empty default too', () => {
    for (const token of ['${DQM_PLAYGROUND_TOKEN}', '${DQM_PLAYGROUND_TOKEN:-}']) {
      const p = parsePipelineText(pipeline(`  url: prod\n  token: ${token}`), 'i.yaml', { env: {} });
      expect(p.source.type === 'dqm-playground' && p.source.token).toBeUndefined();
    }
  });

  it('but a token with an unset variable inside other text is an error', () => {
    expect(() => parsePipelineText(pipeline('  url: prod\n  token: tok-${T}'), 'i.yaml', { env: {} })).toThrow(
      'i.yaml:6:14: source.token: environment variable T is not set',
    );
  });

  it('registers the token (and variables named like secrets) for redaction', () => {
    parsePipelineText(
      pipeline('  url: prod\n  token: ${DQM_PLAYGROUND_TOKEN}', '\n    filters: {period: "${MY_SECRET}"}'),
      'i.yaml',
      {
        env: { DQM_PLAYGROUND_TOKEN: 'tok-abcdef-123', MY_SECRET: 'hush-hush-42' },
      },
    );
    expect(redact('Token tok-abcdef-123 and hush-hush-42')).toBe('Token *** and ***');
  });

  it('keys and comments are not interpolated, $${ escapes', () => {
    const p = parsePipelineText(
      pipeline('  url: prod # ${NOT_A_VAR}', '\n    filters: {period: "$${LITERAL}"}'),
      'i.yaml',
      { env: {} },
    );
    expect(p.streams[0].filters).toEqual({ period: '${LITERAL}' });
  });

  it('defaults to process.env', () => {
    process.env.DQM_CONFIG_TEST_CONC = '7';
    try {
      const p = parsePipelineText(pipeline('  url: prod\n  concurrency: ${DQM_CONFIG_TEST_CONC}'), 'i.yaml');
      expect(p.source.type === 'dqm-playground' && p.source.concurrency).toBe(7);
    } finally {
      delete process.env.DQM_CONFIG_TEST_CONC;
    }
  });

  it('works inside block scalars and flow sequences', () => {
    const p = parsePipelineText(
      `version: 1
name: b
description: |
  Exported for \${WHO}.
source: {type: ml4dqm-csv, files: ["\${DIR}/a.csv", "\${DIR}/b.csv"]}
streams:
  - {name: h, endpoint: lumisection_histograms_1d, output: {path: h}}
`,
      'b.yaml',
      { env: { WHO: 'the DQM shifters', DIR: 'csv' } },
    );
    expect(p.description).toBe('Exported for the DQM shifters.\n');
    expect(p.source).toMatchObject({ files: ['csv/a.csv', 'csv/b.csv'] });
  });
});
