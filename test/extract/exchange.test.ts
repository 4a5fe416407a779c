/**
 * The dispatch handler of src/extract/http/exchange.ts on its own, against real node:http servers on
 * port 0: how bodies are collected (announced length, chunked, many small writes), and each fault
 * it must turn into an ExchangeFailure with the right phase (reset, body cut short, timeouts,
 * aborts queued and in flight, a throwing header hook). The retry policy on top is transport.test.ts.
 */
import { getEventListeners } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import {
  announcedLength,
  BodyCollector,
  exchange,
  ExchangeFailure,
  PREALLOCATE_MAX_BYTES,
} from '../../src/extract/http/exchange.js';
import { startTestServer, type Handler, type TestServer } from './http-server.js';

let server: TestServer | undefined;
let pool: Pool | undefined;
afterEach(async () => {
  await pool?.destroy();
  await server?.close();
  pool = server = undefined;
});

async function setup(handler: Handler, options: ConstructorParameters<typeof Pool>[1] = {}): Promise<Pool> {
  server = await startTestServer(handler);
  pool = new Pool(server.url, { connections: 2, ...options });
  return pool;
}

const get = (path = '/x') => ({ method: 'GET' as const, path });

async function failure(p: Promise<unknown>): Promise<ExchangeFailure> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ExchangeFailure);
    return err as ExchangeFailure;
  }
  throw new Error('expected a rejection');
}

function code(err: ExchangeFailure): unknown {
  return (err.cause as { code?: unknown }).code;
}

/** Writes `text` in `pieces` writes, each after the previous one was flushed. */
async function writeInPieces(res: ServerResponse, text: string, pieces: number): Promise<void> {
  const size = Math.ceil(text.length / pieces);
  for (let at = 0; at < text.length; at += size) {
    await new Promise<void>((resolve) => res.write(text.slice(at, at + size), () => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
  }
  res.end();
}

const TEXT = JSON.stringify({ results: Array.from({ length: 500 }, (_, i) => ({ id: i, data: [i, i + 0.5, -i] })) });

describe('BodyCollector', () => {
  it('fills a preallocated buffer from chunks and hands it over without a copy', () => {
    const body = new BodyCollector(6);
    body.push(Buffer.from('abc'));
    body.push(Buffer.from('def'));
    expect(body.bytes().toString()).toBe('abcdef');
    expect(body.bytes().buffer.byteLength).toBeGreaterThanOrEqual(6);
  });

  it('joins chunks when the length is unknown', () => {
    const body = new BodyCollector(-1);
    for (const piece of ['{"a"', ':', '1}']) body.push(Buffer.from(piece));
    expect(body.bytes().toString()).toBe('{"a":1}');
  });

  it('keeps every byte when more arrive than announced', () => {
    const body = new BodyCollector(2);
    body.push(Buffer.from('ab'));
    body.push(Buffer.from('cd'));
    expect(body.bytes().toString()).toBe('abcd');
  });

  it('returns only the bytes received when fewer arrived than announced', () => {
    const body = new BodyCollector(10);
    body.push(Buffer.from('abc'));
    expect(body.bytes().toString()).toBe('abc');
  });

  it('copies each chunk: a chunk reused by its producer does not change the body', () => {
    const body = new BodyCollector(-1);
    const chunk = Buffer.from('xy');
    body.push(chunk);
    chunk.write('zz');
    body.push(chunk);
    expect(body.bytes().toString()).toBe('xyzz');
  });

  it('an empty body is an empty buffer', () => {
    expect(new BodyCollector(0).bytes().length).toBe(0);
    expect(new BodyCollector(-1).bytes().length).toBe(0);
  });
});

describe('announcedLength', () => {
  it.each([
    ['1234', 1234],
    ['0', 0],
    [undefined, -1],
    [['1', '1'], -1],
    ['12a', -1],
    ['-1', -1],
    ['', -1],
    [String(PREALLOCATE_MAX_BYTES + 1), -1],
    ['9999999999999999999', -1],
  ])('%j -> %d', (value, expected) => {
    expect(announcedLength(value as string | string[] | undefined)).toBe(expected);
  });
});

describe('exchange', () => {
  it('returns status, parsed headers and the exact body written in many small pieces', async () => {
    const p = await setup(async (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(TEXT) });
      await writeInPieces(res, TEXT, 40);
    });
    const response = await exchange(p, get());
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body.toString('utf8')).toBe(TEXT);
  });

  it('collects a chunked body (no content-length)', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      return writeInPieces(res, TEXT, 25);
    });
    const response = await exchange(p, get());
    expect(response.headers['transfer-encoding']).toBe('chunked');
    expect(response.body.toString('utf8')).toBe(TEXT);
  });

  it('keeps multi-byte UTF-8 split across chunks intact', async () => {
    const text = JSON.stringify({ title: 'Hauptdetektor µ → ∞ '.repeat(200) });
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-length': Buffer.byteLength(text) });
      const bytes = Buffer.from(text);
      res.write(bytes.subarray(0, 1001)); // ends inside a multi-byte character
      setTimeout(() => res.end(bytes.subarray(1001)), 5);
    });
    expect((await exchange(p, get())).body.toString('utf8')).toBe(text);
  });

  it('sends method, headers and a body', async () => {
    const p = await setup((_q, res) => void res.writeHead(204).end());
    const response = await exchange(p, {
      method: 'POST',
      path: '/api/start/',
      headers: { 'content-type': 'application/json', authorization: 'Token t' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(204);
    expect(response.body.length).toBe(0);
    expect(server!.requests[0]).toMatchObject({ method: 'POST', url: '/api/start/', body: '{"a":1}' });
    expect(server!.requests[0].headers.authorization).toBe('Token t');
  });

  it('a reset before the status line fails in the headers phase', async () => {
    const p = await setup((req) => void req.socket.destroy());
    const err = await failure(exchange(p, get()));
    expect(err.phase).toBe('headers');
  });

  it('a body shorter than its content-length fails in the body phase (mismatch or socket closed)', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"results": [');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    const err = await failure(exchange(p, get()));
    expect(err.phase).toBe('body');
    expect(['UND_ERR_SOCKET', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH']).toContain(code(err));
  });

  it('a chunked body cut short fails in the body phase', async () => {
    const p = await setup((_q, res) => {
      res.writeHead(200, {});
      res.write('{"results": [');
      setTimeout(() => res.socket?.destroy(), 10);
    });
    expect((await failure(exchange(p, get()))).phase).toBe('body');
  });

  it('a headers timeout (the pool option) fails in the headers phase', async () => {
    const p = await setup(() => undefined, { headersTimeout: 100 });
    const err = await failure(exchange(p, get()));
    expect([err.phase, code(err)]).toEqual(['headers', 'UND_ERR_HEADERS_TIMEOUT']);
  });

  it('a body timeout (the pool option) fails in the body phase', async () => {
    const p = await setup(
      (_q, res) => {
        res.writeHead(200, { 'content-length': '100' });
        res.write('{');
      },
      { bodyTimeout: 100 },
    );
    const err = await failure(exchange(p, get()));
    expect([err.phase, code(err)]).toEqual(['body', 'UND_ERR_BODY_TIMEOUT']);
  });

  it('a throwing header hook fails in the body phase with the thrown error, and the pool goes on', async () => {
    const p = await setup((_q, res) => void res.writeHead(200, { 'content-length': '2' }).end('{}'));
    const boom = new Error('boom');
    const err = await failure(
      exchange(p, get(), undefined, () => {
        throw boom;
      }),
    );
    expect([err.phase, err.cause]).toEqual(['body', boom]);
    expect((await exchange(p, get())).body.toString()).toBe('{}');
  });

  it('an already aborted signal rejects with its reason and sends nothing', async () => {
    const p = await setup((_q, res) => void res.end('{}'));
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    const err = await failure(exchange(p, get(), controller.signal));
    expect(err.cause).toBe(reason);
    expect(server!.requests).toHaveLength(0);
  });

  it('an abort mid-body rejects at once with the reason, and the pool serves the next request', async () => {
    let n = 0;
    const p = await setup((_q, res) => {
      if (n++ > 0) return void res.writeHead(200, { 'content-length': '2' }).end('{}');
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"results": [');
    });
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const pending = exchange(p, get(), controller.signal, () => setTimeout(() => controller.abort(reason), 20));
    const err = await failure(pending);
    expect([err.phase, err.cause]).toEqual(['body', reason]);
    expect((await exchange(p, get())).body.toString()).toBe('{}');
  });

  it('an abort while queued behind a busy connection rejects at once; the request is never sent', async () => {
    const held: ServerResponse[] = [];
    const p = await setup(
      (req, res) => {
        if (req.url === '/first') held.push(res);
        else res.writeHead(200, { 'content-length': '2' }).end('{}');
      },
      { connections: 1 },
    );
    const first = exchange(p, get('/first'));
    await expect.poll(() => server!.requests.length).toBe(1);
    const controller = new AbortController();
    const queued = exchange(p, get('/queued'), controller.signal);
    controller.abort(new Error('no longer needed'));
    expect((await failure(queued)).phase).toBe('headers');
    held[0].writeHead(200, { 'content-length': '2' }).end('{}');
    expect((await first).body.toString()).toBe('{}');
    await exchange(p, get('/after'));
    expect(server!.requests.map((r) => r.url)).not.toContain('/queued');
  });

  it('removes its abort listener when done, so one long-lived signal does not collect listeners', async () => {
    const p = await setup((_q, res) => void res.writeHead(200, { 'content-length': '2' }).end('{}'));
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) await exchange(p, get(), controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
