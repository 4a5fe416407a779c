/**
 * Server gone: nothing listening (connection refused), a host that does not resolve, a server that
 * accepts and never answers, one that stalls mid-body, and one that dies in the middle of an export.
 * Each run must end on its own within its timeouts and retries (the harness kills a hung child and
 * fails the test), exit non-zero with one `error E_CODE: ...` line naming the URL and the cause, and
 * leave the journal as the committed slices left it, so that `--resume` against the server back on
 * the same address finishes the dataset exactly as a clean run would.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { request } from 'undici';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startServer } from '../../src/server/index.js';
import { closeDuckDB } from '../helpers/duckdb.js';
import {
  HISTOGRAM_STREAMS,
  completeDatasetViolations,
  datasetChecksums,
  datasetViolations,
  errorLine,
  listFiles,
  pipelineYaml,
  runCli,
  runInProcess,
  temporaryFiles,
  removeTempDirs,
  tempDir,
  writeCsvData,
  writePipeline,
} from './helpers.js';
import { startScriptedServer } from './scripted-server.js';

/** A run that cannot finish must give up well within this (timeouts and retries are small here). */
const HANG_BOUND_MS = 45_000;
// A test makes up to three runs, each bounded above; the default 60 s was hit under load (Node 22 run
// at load 25), never an assertion.
vi.setConfig({ testTimeout: 4 * HANG_BOUND_MS });
const QUICK_SOURCE = { retries: 2, timeouts: '{connect_ms: 1000, headers_ms: 500, body_ms: 500}' };

afterAll(async () => {
  closeDuckDB();
  await removeTempDirs();
});

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs the pipeline against `url` and checks the common contract of a failed run. */
async function failedRun(url: string, token = 'tok-server-gone-0123456789') {
  const dir = await tempDir();
  const pipeline = await writePipeline(dir, pipelineYaml(HISTOGRAM_STREAMS, { ...QUICK_SOURCE, url }));
  const res = await runCli(['run', pipeline, '--log-level', 'silent'], {
    env: { DQM_PLAYGROUND_TOKEN: token },
    timeoutMs: HANG_BOUND_MS,
  });
  expect(res.hung, 'the run did not end on its own').toBe(false);
  expect(res.code).not.toBe(0);
  expect(res.signal).toBeNull();
  const lines = res.stderr.trim().split('\n');
  expect(lines, res.stderr).toHaveLength(1);
  const error = errorLine(res.stderr);
  expect(error, res.stderr).not.toBeNull();
  expect(res.stderr).not.toContain(token);
  for (const name of ['h1d', 'h2d']) {
    expect(existsSync(join(dir, name, '.dqm-export', '_SUCCESS'))).toBe(false);
    expect(await temporaryFiles(join(dir, name))).toEqual([]);
  }
  return { ...res, error: error!, dir };
}

/**
 * An HTTP front for `upstream` that dies (stops listening, drops every connection) at the first
 * request for which `dead()` is true, as a server that goes away does; `port` is then free again.
 */
async function startDyingFront(
  upstream: string,
  dead: () => boolean,
): Promise<{ url: string; port: number; died: () => boolean; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let died = false;
  const server = createHttpServer((req, res) => {
    if (died || dead()) {
      died = true;
      server.close();
      for (const s of sockets) s.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = { ...req.headers };
      delete headers.host;
      delete headers.connection;
      request(upstream + req.url, {
        method: req.method as 'GET',
        headers,
        body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
      })
        .then(async (up) => {
          const body = Buffer.from(await up.body.arrayBuffer());
          const out = Object.fromEntries(
            Object.entries(up.headers).filter(([k]) => !['connection', 'keep-alive', 'transfer-encoding'].includes(k)),
          );
          res.writeHead(up.statusCode, out).end(body);
        })
        .catch(() => res.destroy());
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    died: () => died,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        if (!server.listening) resolve();
        else server.close(() => resolve());
      }),
  };
}

describe('server gone', () => {
  it('connection refused: retried, then E_NETWORK naming the address, exit 1', async () => {
    const port = await freePort();
    const r = await failedRun(`http://127.0.0.1:${port}`);
    expect(r.code).toBe(1);
    expect(r.error.code).toBe('E_NETWORK');
    expect(r.error.message).toContain(`127.0.0.1:${port}`);
    expect(r.error.message).toContain('ECONNREFUSED');
    expect(r.error.message).toMatch(/after 3 attempts/);
  });

  it('DNS failure: the host is named, no endless retrying', async () => {
    const r = await failedRun('https://dqm-export-reliability.invalid');
    // NXDOMAIN is final (E_HOST_NOT_FOUND, a config problem: exit 2); a resolver that cannot be
    // reached (EAI_AGAIN, no network) is retried like a reset, then E_NETWORK (exit 1).
    expect(['E_HOST_NOT_FOUND', 'E_NETWORK']).toContain(r.error.code);
    expect(r.code).toBe(r.error.code === 'E_HOST_NOT_FOUND' ? 2 : 1);
    expect(r.error.message).toContain('dqm-export-reliability.invalid');
  });

  it('a server that accepts and never answers: headers timeout, retried, E_TIMEOUT, exit 1', async () => {
    const hanging = await startScriptedServer(() => 'hang');
    try {
      const r = await failedRun(hanging.url);
      expect(r.code).toBe(1);
      expect(r.error.code).toBe('E_TIMEOUT');
      expect(r.error.message).toContain('headers timeout');
      expect(r.error.message).toContain(hanging.url);
      expect(hanging.requests.length).toBe(3); // the first attempt and 2 retries
    } finally {
      await hanging.close();
    }
  });

  it('a server that stalls in the middle of a body: body timeout, E_TIMEOUT, exit 1', async () => {
    const stalling = await startScriptedServer(() => ({ stallAfter: '{"next": null, "total": 3, "results": [' }));
    try {
      const r = await failedRun(stalling.url);
      expect(r.code).toBe(1);
      expect(r.error.code).toBe('E_TIMEOUT');
      expect(r.error.message).toContain('body timeout');
    } finally {
      await stalling.close();
    }
  });

  it('a server that dies mid-export: exit 1, journal intact; back on the same address, --resume finishes it', async () => {
    const data = await tempDir();
    await writeCsvData(data, { runs: 4, ls: 10, titles: 2, x1: 20, x2: 10, y2: 8 });
    const options = { dataDirs: [data], pageSize: 5, latencyMs: 20, userToken: 'tok-comes-back-0123456789' };
    const clean = await startServer({ port: 0, ...options });
    const reference: Record<string, Awaited<ReturnType<typeof datasetChecksums>>> = {};
    try {
      const dir = await tempDir();
      const pipeline = await writePipeline(dir, pipelineYaml(HISTOGRAM_STREAMS, { ...QUICK_SOURCE, concurrency: 2 }));
      await runInProcess(pipeline, { url: clean.url, token: clean.userToken, outDir: dir });
      for (const name of ['h1d', 'h2d']) reference[name] = await datasetChecksums(join(dir, name));
    } finally {
      await clean.close();
    }

    const upstream = await startServer({ port: 0, ...options });
    const dir = await tempDir();
    const pipeline = await writePipeline(dir, pipelineYaml(HISTOGRAM_STREAMS, { ...QUICK_SOURCE, concurrency: 2 }));
    const journalPath = join(dir, 'h1d', '.dqm-export', 'journal.jsonl');
    const committedLines = (): string[] =>
      existsSync(journalPath)
        ? readFileSync(journalPath, 'utf8')
            .split('\n')
            .filter((l) => l.includes('"type":"slice"'))
        : [];
    // The server goes away at the first request after the first slice of h1d is committed: the
    // front checks the journal on every request, so no timing decides whether the run outruns it.
    const front = await startDyingFront(upstream.url, () => committedLines().length > 0);
    const port = front.port;
    const env = { DQM_PLAYGROUND_URL: front.url, DQM_PLAYGROUND_TOKEN: options.userToken };
    let res;
    try {
      res = await runCli(['run', pipeline, '--log-level', 'silent'], { env, timeoutMs: HANG_BOUND_MS });
    } finally {
      await front.close();
      await upstream.close();
    }
    expect(
      front.died(),
      'the server was never stopped: the run finished without a request after its first commit',
    ).toBe(true);
    expect(res.hung).toBe(false);
    expect(res.code, res.stderr).toBe(1);
    expect(['E_NETWORK', 'E_TRUNCATED']).toContain(errorLine(res.stderr)?.code);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    // The journal is whole: every line parses, the committed slices are there, nothing says done.
    const journal = (await readFile(journalPath, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string });
    expect(journal[0].type).toBe('start');
    expect(journal.some((e) => e.type === 'done')).toBe(false);
    const committed = journal.filter((e) => e.type === 'slice').length;
    expect(committed).toBeGreaterThan(0);
    expect(await datasetViolations(join(dir, 'h1d'))).toEqual([]);
    expect(await temporaryFiles(join(dir, 'h1d'))).toEqual([]);
    expect(existsSync(join(dir, 'h1d', '.dqm-export', '_SUCCESS'))).toBe(false);
    expect(existsSync(join(dir, 'h2d'))).toBe(false);

    const server = await startServer({ ...options, port });
    try {
      const resumed = await runCli(['run', pipeline, '--resume', '--log-level', 'silent'], {
        env,
        timeoutMs: HANG_BOUND_MS,
      });
      expect(resumed.code, resumed.stderr).toBe(0);
      const summary = JSON.parse(resumed.stdout.trim().split('\n').pop()!) as { streams: { slicesSkipped: number }[] };
      expect(summary.streams[0].slicesSkipped).toBe(committed);
      for (const name of ['h1d', 'h2d']) {
        expect(await completeDatasetViolations(join(dir, name))).toEqual([]);
        expect(await datasetChecksums(join(dir, name))).toEqual(reference[name]);
      }
      expect((await listFiles(join(dir, 'h1d'))).filter((p) => p.startsWith('.dqm-export/')).sort()).toContain(
        '.dqm-export/journal.jsonl',
      );
    } finally {
      await server.close();
    }
  });

  it('overwrite deletes the previous dataset when the run starts: a run that then fails leaves nothing complete', async () => {
    const data = await tempDir();
    await writeCsvData(data, { runs: 2, ls: 4, titles: 2, x1: 10, x2: 4, y2: 3 });
    const server = await startServer({ port: 0, dataDirs: [data] });
    const dir = await tempDir();
    const pipeline = await writePipeline(dir, pipelineYaml(HISTOGRAM_STREAMS, QUICK_SOURCE));
    try {
      await runInProcess(pipeline, { url: server.url, token: server.userToken, outDir: dir });
      expect(await completeDatasetViolations(join(dir, 'h1d'))).toEqual([]);
    } finally {
      await server.close();
    }
    const gone = `http://127.0.0.1:${await freePort()}`;
    await expect(
      runInProcess(pipeline, { url: gone, token: 'tok-overwrite-0123456789', outDir: dir }),
    ).rejects.toMatchObject({ code: 'E_NETWORK' });
    expect((await listFiles(join(dir, 'h1d'))).filter((p) => !p.startsWith('.dqm-export/'))).toEqual([]);
  });
});
