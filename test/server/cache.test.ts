import { describe, expect, it } from 'vitest';
import { PageCache } from '../../src/server/cache.js';
import type { Reply } from '../../src/server/http.js';

const reply = (): Reply => ({
  status: 200,
  headers: [
    ['Content-Type', 'application/json'],
    ['Allow', 'GET, HEAD, OPTIONS'],
  ],
  body: Buffer.from('{}'),
});

const header = (r: Reply, name: string): string | undefined => r.headers.find(([k]) => k === name)?.[1];

describe('PageCache', () => {
  it('gives the fresh reply a Date from the same clock reading as Expires, whatever the millisecond', () => {
    const cache = new PageCache(60);
    // 999 ms past a second: a Date read later by Node would fall in the next second.
    for (const now of [Date.UTC(2026, 10, 25, 20, 27, 14, 0), Date.UTC(2026, 10, 25, 20, 27, 14, 999)]) {
      const fresh = cache.store(`k${now}`, reply(), now);
      const date = Date.parse(header(fresh, 'Date')!);
      const expires = Date.parse(header(fresh, 'Expires')!);
      expect(expires - date).toBe(60_000);
      expect(header(fresh, 'Cache-Control')).toBe('max-age=60');
    }
  });

  it('serves the stored reply without a Date (the transport adds the current one) until it expires', () => {
    const cache = new PageCache(60);
    const now = Date.UTC(2026, 0, 1);
    cache.store('k', reply(), now);
    const hit = cache.get('k', now + 59_999);
    expect(hit).toBeDefined();
    expect(header(hit!, 'Date')).toBeUndefined();
    expect(header(hit!, 'Expires')).toBe(new Date(now + 60_000).toUTCString());
    expect(cache.get('k', now + 60_000)).toBeUndefined();
  });

  it('passes other statuses and a zero TTL through untouched', () => {
    const notFound: Reply = { ...reply(), status: 404 };
    expect(new PageCache(60).store('k', notFound)).toBe(notFound);
    const ok = reply();
    expect(new PageCache(0).store('k', ok)).toBe(ok);
  });
});
