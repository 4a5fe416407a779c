import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createLogger, silentLogger, type LoggerOptions } from '../src/log.js';
import { clearSecrets, registerSecret } from '../src/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'dqm-log-'));
afterAll(() => {
  clearSecrets();
  rmSync(dir, { recursive: true, force: true });
});

function lines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('createLogger', () => {
  it('sets pino up at the first message of an enabled level, once', () => {
    const written: string[] = [];
    const make = vi.fn((options: LoggerOptions) =>
      pino({ level: options.level }, { write: (l: string) => void written.push(l) }),
    );
    const logger = createLogger({ level: 'warn' }, make);
    logger.debug('not written');
    logger.info({ stream: 's' }, 'not written either');
    expect(make).not.toHaveBeenCalled();
    logger.warn('first');
    logger.error('second');
    expect(make).toHaveBeenCalledTimes(1);
    expect(written.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['first', 'second']);
  });

  it('never sets pino up when silent', () => {
    const make = vi.fn();
    const logger = createLogger({ level: 'silent' }, make);
    logger.error('dropped');
    logger.warn('dropped');
    expect(make).not.toHaveBeenCalled();
    expect(() => silentLogger.error('dropped')).not.toThrow();
  });

  it('creates a log file at once, even when nothing is logged', () => {
    const file = join(dir, 'quiet', 'run.log');
    createLogger({ level: 'warn', file });
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('writes the enabled levels as pino JSON lines, tokens redacted', () => {
    const file = join(dir, 'levels.log');
    const logger = createLogger({ level: 'info', file });
    const token = '0123456789abcdef0123456789abcdef01234567';
    registerSecret(token);
    logger.debug('dropped');
    logger.info({ stream: 'one' }, 'stream started');
    logger.warn({ header: `Authorization: Token ${token}` }, `retrying with ${token}`);
    const got = lines(file);
    expect(got.map((l) => [l.level, l.msg])).toEqual([
      [30, 'stream started'],
      [40, expect.any(String)],
    ]);
    expect(got[0]).toMatchObject({ stream: 'one' });
    expect(JSON.stringify(got)).not.toContain('0123456789abcdef');
  });
});
