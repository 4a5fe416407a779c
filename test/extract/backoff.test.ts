import { describe, expect, it } from 'vitest';
import { fullJitterDelay, parseRetryAfter, sleep } from '../../src/extract/http/backoff.js';

describe('fullJitterDelay', () => {
  it('draws from [0, min(max, base * 2^n))', () => {
    expect(fullJitterDelay(0, 100, 10_000, () => 0.999)).toBe(99);
    expect(fullJitterDelay(3, 100, 10_000, () => 0.5)).toBe(400);
    expect(fullJitterDelay(10, 100, 10_000, () => 0.999)).toBe(9990);
    expect(fullJitterDelay(5, 100, 10_000, () => 0)).toBe(0);
  });
  it('does not overflow for large retry numbers', () => {
    expect(fullJitterDelay(5000, 100, 1000, () => 0.5)).toBe(500);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-25T20:00:00Z');
  it.each([
    [undefined, null],
    ['3', 3000],
    ['0', 0],
    [' 1.5 ', 1500],
    ['Wed, 25 Nov 2026 20:00:10 GMT', 10_000],
    ['Wed, 25 Nov 2026 19:00:00 GMT', 0],
    ['soon', null],
    [['2', '5'], 2000],
  ])('%j -> %j', (value, expected) => {
    expect(parseRetryAfter(value as string | string[] | undefined, now)).toBe(expected);
  });
});

describe('sleep', () => {
  it('rejects with the abort reason', async () => {
    const c = new AbortController();
    const p = sleep(10_000, c.signal);
    c.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });
  it('rejects at once when already aborted', async () => {
    await expect(sleep(10, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
  });
});
