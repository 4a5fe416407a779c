/**
 * One home for each setting (src/settings.ts): the pipeline schema's defaults and bounds, the HTTP
 * client's defaults and bounds, and the CLI's checks and help text all come from it.
 */
import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { checkSettingFlag } from '../src/cli/connection.js';
import { runOptions } from '../src/cli/commands/run.js';
import { parsePipelineText } from '../src/config/index.js';
import { createClient } from '../src/extract/index.js';
import { SETTINGS } from '../src/settings.js';

const PIPELINE = (source: string) => `version: 1
name: s
source:
  type: dqm-playground
  url: http://127.0.0.1:8000
${source}streams:
  - name: r
    endpoint: runs
    output: {path: r}
`;

describe('settings', () => {
  it('pipeline defaults are the settings defaults', () => {
    const p = parsePipelineText(PIPELINE(''), 's.yaml');
    expect(p.source).toMatchObject({
      concurrency: SETTINGS.concurrency.default,
      retries: SETTINGS.retries.default,
      timeouts: {
        connect_ms: SETTINGS.connectTimeoutMs.default,
        headers_ms: SETTINGS.headersTimeoutMs.default,
        body_ms: SETTINGS.bodyTimeoutMs.default,
      },
    });
  });

  it('pipeline, client and CLI accept the same bounds and refuse one past them', async () => {
    for (const [key, s] of [
      ['concurrency', SETTINGS.concurrency],
      ['retries', SETTINGS.retries],
    ] as const) {
      expect(() => parsePipelineText(PIPELINE(`  ${key}: ${s.max}\n`), 's.yaml')).not.toThrow();
      expect(() => parsePipelineText(PIPELINE(`  ${key}: ${s.max + 1}\n`), 's.yaml')).toThrow(
        new RegExp(`source.${key}: must be an integer from ${s.min} to ${s.max}`),
      );
      expect(() => checkSettingFlag(`--${key}`, s.max, s)).not.toThrow();
      expect(() => checkSettingFlag(`--${key}`, s.max + 1, s)).toThrow(
        `--${key} expects an integer from ${s.min} to ${s.max}, got ${s.max + 1}`,
      );
    }
    const client = (o: object) => createClient({ baseUrl: 'http://127.0.0.1:9', token: 'settings-test-token', ...o });
    const c = client({});
    expect(c.concurrency).toBe(SETTINGS.concurrency.default);
    await c.close();
    expect(() => client({ concurrency: SETTINGS.concurrency.max + 1 })).toThrow(
      /client option concurrency must be an integer from 1 to 64/,
    );
    expect(() => client({ maxRetries: SETTINGS.retries.max + 1 })).toThrow(
      /client option maxRetries must be an integer from 0 to 20/,
    );
  });

  it('run --help states the concurrency range', async () => {
    const help = await runOptions(yargs([]).scriptName('dqm-export')).getHelp();
    expect(help).toContain(`from ${SETTINGS.concurrency.min} to ${SETTINGS.concurrency.max}`);
  });
});
