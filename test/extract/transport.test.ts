/**
 * Retry, timeout and error-on-status behaviour against real node:http servers on port 0, one fault
 * at a time, exactly as the wire produces it.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, ServerError, TransientError } from '../../src/errors.js';
import { createClient } from '../../src/extract/client.js';
import type { ClientOptions, DqmClient } from '../../src/extract/types.js';
import { VERSION } from '../../src/version.js';
import { sendJson, startTestServer, type Handler, type TestServer } from './http-server.js';

const TOKEN = 'tok-4f9a0c2b7e';
const RUNS_PAGE = {
  next: null,
  previous: null,
  total: 1,
  per_page: 50,
  total_pages: 0.0,
  results: [{ run_number: 315705, date: 'd' }],
};

let server: TestServer | undefined;
let client: DqmClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = server = undefined;
});

async function setup(
  handler: Handler,
  options: Partial<ClientOptions> = {},
): Promise<{ server: TestServer; client: DqmClient }> {
  server = await startTestServer(handler);
  client = createClient({
    baseUrl: server.url,
    token: TOKEN,
    concurrency: 2,
    maxRetries: 4,
    retryBaseMs: 1,
    retryMaxMs: 5,
    ...options,
  });
  return { server, client };
}

/** Fails the first `n` requests with `fault`, then answers the runs page. */
function failing(n: number, fault: Handler): Handler {
  return (req, res, body, i) => (i < n ? fault(req, res, body, i) : sendJson(res, 200, RUNS_PAGE));
}

function captureLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

async function caught(p: Promise<unknown>): Promise<Error & { code?: string; context?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('request headers', () => {
  it('sends the token, a versioned User-Agent and Accept: application/json', async () => {
    const { server, client } = await setup((_q, res) => sendJson(res, 200, RUNS_PAGE));
    await client.listPage('runs', {}, 1);
    const h = server.requests[0].headers;
    expect(h.authorization).toBe(`Token ${TOKEN}`);
    expect(h['user-agent']).toContain(`dqm-export/${VERSION}`);
    expect(h.accept).toBe('application/json');
  });

  it('reuses keep-alive connections', async () => {
    const { server, client } = await setup((_q, res) => sendJson(res, 200, RUNS_PAGE), { concurrency: 1 });
    const ports = new Set<number>();
    server.server.on('request', (req) => ports.add(req.socket.remotePort!));
    for (let i = 0; i < 5; i++) await client.listPage('runs', {}, 1);
    expect(ports.size).toBe(1);
  });
});

describe('retries', () => {
  it.each([
    [
      '429',
      'status-429',
      (_q: unknown, res: import('node:http').ServerResponse) => sendJson(res, 429, { detail: 'slow down' }),
    ],
    [
      '503',
      'status-5xx',
      (_q: unknown, res: import('node:http').ServerResponse) => sendJson(res, 503, { detail: 'busy' }),
    ],
    ['reset before headers', 'reset', (req: import('node:http').IncomingMessage) => req.socket.destroy()],
    [
      'truncated body (Content-Length not reached)',
      'truncated',
      (_q: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"next": null, "results": [');
        setTimeout(() => res.socket?.destroy(), 10);
      },
    ],
    [
      'unparsable body with a consistent length',
      'bad-body',
      (_q: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '12' });
        res.end('{"next": nul');
      },
    ],
    [
      'empty 200 body on a list',
      'bad-body',
      (_q: unknown, res: import('node:http').ServerResponse) =>
        void res.writeHead(200, { 'content-length': '0' }).end(),
    ],
    [
      'chunked body cut short',
      'truncated',
      (_q: unknown, res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"next": null, "results": [');
        setTimeout(() => res.socket?.destroy(), 10);
      },
    ],
  ])('retries %s, counted as %s', async (_name, reason, fault) => {
    const { client } = await setup(failing(2, fault as Handler));
    const page = await client.listPage('runs', {}, 1);
    expect(page.records).toEqual(RUNS_PAGE.results);
    expect(page.retries).toBe(2);
    expect(client.stats.retries[reason as keyof typeof client.stats.retries]).toBe(2);
    expect(client.stats).toMatchObject({ requests: 1, attempts: 3, failures: 0 });
  });

  it('retries a headers timeout', async () => {
    // The first request is never answered, so only the timeout can end it, however loaded the machine.
    const { client } = await setup(
      failing(1, () => undefined),
      { headersTimeoutMs: 100 },
    );
    await client.listPage('runs', {}, 1);
    expect(client.stats.retries.timeout).toBe(1);
  });

  it('retries a body timeout', async () => {
    const { client } = await setup(
      failing(1, (_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{');
      }),
      { bodyTimeoutMs: 100 },
    );
    await client.listPage('runs', {}, 1);
    expect(client.stats.retries.timeout).toBe(1);
  });

  it('honours Retry-After over the (tiny) backoff', async () => {
    const { logger, lines } = captureLogger();
    const { client } = await setup(
      failing(1, (_q, res) => sendJson(res, 429, { detail: 'x' }, { 'retry-after': '1' })),
      { logger },
    );
    await client.listPage('runs', {}, 1);
    const retry = lines.find((l) => l.msg === 'retrying request');
    expect(retry).toMatchObject({ reason: 'status-429', delayMs: 1000 });
  });

  it('fails at once when Retry-After exceeds the allowed wait', async () => {
    const { client, server } = await setup(
      (_q, res) => sendJson(res, 429, { detail: 'x' }, { 'retry-after': '3600' }),
      { retryAfterMaxMs: 1000 },
    );
    const err = await caught(client.listPage('runs', {}, 1));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.message).toMatch(/retry after 3600 s, more than the 1 s allowed/);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up after maxRetries with the last error, the URL and the attempt count', async () => {
    const html =
      '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n';
    const { client, server } = await setup((_q, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end(html);
    });
    const err = await caught(
      client.listPage('lumisection_histograms_1d', { lumisection__run__run_number__in: '315488,abc' }, 1),
    );
    expect(err).toBeInstanceOf(ServerError);
    expect(err.code).toBe('E_HTTP_500');
    expect(err.message).toContain('HTML page "Server Error (500)"');
    expect(err.message).toContain(
      `${server.url}/api/lumisection_histograms_1d/?lumisection__run__run_number__in=315488%2Cabc`,
    );
    expect(err.message).toContain('after 5 attempts');
    expect(err.message).not.toContain('<body>');
    expect(server.requests).toHaveLength(5);
    expect(client.stats).toMatchObject({ failures: 1, attempts: 5 });
    expect(client.stats.retries['status-5xx']).toBe(4);
  });

  it('fails after retries on a refused connection', async () => {
    const s = await startTestServer(() => undefined);
    const url = s.url;
    await s.close();
    client = createClient({ baseUrl: url, token: TOKEN, maxRetries: 2, retryBaseMs: 1, retryMaxMs: 2 });
    const err = await caught(client.listPage('runs', {}, 1));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.code).toBe('E_NETWORK');
    expect(err.message).toMatch(/ECONNREFUSED.*after 3 attempts/);
  });
});

describe('errors on status', () => {
  it('fails a 400 at once with the server message, URL and code', async () => {
    const { client, server } = await setup((_q, res) =>
      sendJson(res, 400, { lumisection__run__run_number__gte: ['Enter a number.'] }),
    );
    const err = await caught(
      client.listPage('lumisection_histograms_1d', { lumisection__run__run_number__gte: 'notanumber' }, 1),
    );
    expect(err).toBeInstanceOf(ServerError);
    expect(err.code).toBe('E_HTTP_400');
    expect(err.message).toContain('lumisection__run__run_number__gte: Enter a number.');
    expect(err.message).toContain('/api/lumisection_histograms_1d/?lumisection__run__run_number__gte=notanumber');
    expect(server.requests).toHaveLength(1);
  });

  it('401 -> AuthError naming DQM_PLAYGROUND_TOKEN, token never in the message', async () => {
    const { client } = await setup((_q, res) =>
      sendJson(res, 401, { detail: 'Invalid token.' }, { 'www-authenticate': 'Token' }),
    );
    const err = await caught(client.getRun(315705));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.code).toBe('E_AUTH_UNAUTHORIZED');
    expect(err.message).toMatch(/Invalid token\..*DQM_PLAYGROUND_TOKEN/);
    expect(JSON.stringify({ m: err.message, c: err.context })).not.toContain(TOKEN);
  });

  it('403 -> AuthError with the server detail', async () => {
    const { client } = await setup((_q, res) =>
      sendJson(res, 403, { detail: 'You do not have permission to perform this action.' }),
    );
    const err = await caught(client.discover());
    expect(err).toBeInstanceOf(AuthError);
    expect(err.code).toBe('E_AUTH_FORBIDDEN');
    expect(err.message).toContain('You do not have permission to perform this action.');
    expect(err.message).toContain('/api/histogram_data_files/discover/');
  });

  it('404 Invalid page. is recognisable', async () => {
    const { client } = await setup((_q, res) => sendJson(res, 404, { detail: 'Invalid page.' }));
    const err = await caught(client.listPage('runs', {}, 999));
    expect(err.code).toBe('E_INVALID_PAGE');
    expect(err.message).toContain('page=999');
  });

  it('a token that leaks into a server message is redacted', async () => {
    const { client } = await setup((_q, res) => sendJson(res, 400, { detail: `bad token ${TOKEN}` }));
    const err = await caught(client.getRun(1));
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).toContain('bad token ***');
  });
});

describe('non-idempotent requests', () => {
  it('does not resend start_parsing after a 500', async () => {
    const { client, server } = await setup((_q, res) =>
      sendJson(res, 500, "Something possibly missing from HISTOGRAM_DIMENSIONS_CHOICES ('run')"),
    );
    const err = await caught(client.startParsing(1, { granularity: 'run', dataDimensionality: 1, fileFormat: 'csv' }));
    expect(err.code).toBe('E_HTTP_500');
    expect(err.message).toContain('HISTOGRAM_DIMENSIONS_CHOICES');
    expect(server.requests).toHaveLength(1);
  });
  it('does resend start_parsing after a 429 (not processed)', async () => {
    const { client, server } = await setup((_q, res, _b, n) =>
      n === 0 ? sendJson(res, 429, { detail: 'x' }) : void res.writeHead(202).end(),
    );
    await client.startParsing(1, { granularity: 'lum', dataDimensionality: 1, fileFormat: 'csv' });
    expect(server.requests).toHaveLength(2);
  });
});

describe('cancellation', () => {
  it('an AbortSignal cancels an in-flight request', async () => {
    // Aborted once the server holds the request (never answered): the abort is what ends it.
    const c = new AbortController();
    const { client } = await setup(() => c.abort(new Error('user abort')));
    const p = client.listPage('runs', {}, 1, { signal: c.signal });
    await expect(p).rejects.toThrow('user abort');
  });
  it('an AbortSignal cancels a backoff wait', async () => {
    // Aborted once the 503 with its 30 s Retry-After is on the wire: the client is then waiting.
    const c = new AbortController();
    const { client, server } = await setup((_q, res) => {
      sendJson(res, 503, {}, { 'retry-after': '30' });
      res.once('finish', () => setImmediate(() => c.abort(new Error('stop waiting'))));
    });
    const p = client.listPage('runs', {}, 1, { signal: c.signal });
    await expect(p).rejects.toThrow('stop waiting');
    expect(server.requests).toHaveLength(1);
  });
});

describe('configuration', () => {
  it('refuses plain http to a remote host', () => {
    expect(() => createClient({ baseUrl: 'http://example.org', token: TOKEN })).toThrow(ConfigError);
    expect(() => createClient({ baseUrl: 'http://example.org', token: TOKEN })).toThrow(/allowInsecureHttp/);
  });
  it.each([
    [{ concurrency: 0 }, /client option concurrency must be an integer from 1 to 64, got 0/],
    [{ maxRetries: -1 }, /maxRetries/],
    [{ token: '' }, /DQM_PLAYGROUND_TOKEN/],
    [{ caFile: '/nonexistent/ca.pem' }, /cannot read CA file \/nonexistent\/ca.pem/],
  ])('rejects %j', (bad, message) => {
    expect(() => createClient({ baseUrl: 'https://example.org', token: TOKEN, ...bad })).toThrow(message);
  });
});
