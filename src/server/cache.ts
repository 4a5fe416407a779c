/**
 * Django's `cache_page(60)` on the histogram_data_files views: a 200 response is stored per full
 * URL (and Accept header) and served to anyone, token or not, until it expires. That is how the
 * real server behaves (captures 11-14), and why a client polling progress must change the query
 * string (`?_=<timestamp>`).
 */
import type { Reply } from './http.js';

interface Entry {
  reply: Reply;
  expires: number;
}

/** Per-URL cache of 200 replies with `Expires` and `Cache-Control: max-age` headers. */
export class PageCache {
  private readonly entries = new Map<string, Entry>();

  /** `ttlSeconds` 0 disables caching (and the cache headers). */
  constructor(private readonly ttlSeconds: number) {}

  /** Cache key: what Django's key depends on (method class, absolute URL, Vary: Accept). */
  static key(host: string, url: string, accept: string | undefined): string {
    return `${host}\n${url}\n${accept ?? ''}`;
  }

  /** A live cached reply for `key`, if any. */
  get(key: string, now = Date.now()): Reply | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.reply;
  }

  /** Adds the cache headers to a 200 reply and stores it; other statuses pass through untouched. */
  store(key: string, reply: Reply, now = Date.now()): Reply {
    if (this.ttlSeconds <= 0 || reply.status !== 200) return reply;
    const expires = now + this.ttlSeconds * 1000;
    const headers = [...reply.headers];
    // Django puts Expires and Cache-Control after Allow, before the security headers.
    const at = headers.findIndex(([k]) => k === 'Allow') + 1;
    headers.splice(
      at,
      0,
      ['Expires', new Date(expires).toUTCString()],
      ['Cache-Control', `max-age=${this.ttlSeconds}`],
    );
    const cached: Reply = { ...reply, headers };
    if (this.entries.size > 10_000) this.prune(now);
    this.entries.set(key, { reply: cached, expires });
    // The fresh reply carries a `Date` from the same clock reading as `Expires`, so the two differ by
    // exactly the TTL, as on the real server; left to Node, `Date` is read at write time and can fall in
    // the next second. Cache hits get Node's own (current) `Date`, as Django's cached pages do.
    if (headers.some(([k]) => k.toLowerCase() === 'date')) return cached;
    return { ...cached, headers: [['Date', new Date(now).toUTCString()], ...headers] };
  }

  private prune(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expires <= now) this.entries.delete(key);
    if (this.entries.size > 10_000) this.entries.clear();
  }
}
