/**
 * One client pass, run as its own (cold) Node process by bench/cli-concurrency.ts: every page of the
 * 1D list fetched with 16 connections and parsed, twice in a row, with the CPU of each round split
 * into the main thread and the other threads (V8's compiler and GC helpers: undici's llhttp wasm
 * is compiled by TurboFan there once it is hot). The first round is what a CLI process pays, cold
 * code included; the second, the same work once V8 has optimised it.
 *
 * Modes: `transport` is src/extract/http/transport.ts (undici's dispatch API with our handler,
 * JSON.parse as the client does); `request` is undici's `pool.request` + `body.arrayBuffer()` +
 * JSON.parse, what the transport did before (the baseline of the same run).
 *
 * Usage: `node dist/bench/client-pass.js <transport|request> <url> <token> <pages>`; prints one JSON
 * line (ClientPassResult).
 */
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { createTransport } from '../src/extract/http/transport.js';
import { threadCpuSeconds } from './thread-cpu.js';

const CONNECTIONS = 16;

/** CPU of one round, seconds. */
export interface RoundCpu {
  /** The main thread (from /proc; the whole process where /proc is missing). */
  main: number;
  /** Every other thread (0 where /proc is missing). */
  helpers: number;
}

/** What the child prints. */
export interface ClientPassResult {
  mode: 'transport' | 'request';
  records: number;
  bytes: number;
  /** First round (cold) and second round (warm). */
  rounds: [RoundCpu, RoundCpu];
}

/** CPU seconds of the main thread and of all other threads of this process. */
function threadCpu(): RoundCpu {
  const threads = threadCpuSeconds();
  if (!threads) {
    const u = process.cpuUsage();
    return { main: (u.user + u.system) / 1e6, helpers: 0 };
  }
  let main = 0;
  let helpers = 0;
  for (const [tid, seconds] of threads) {
    if (tid === String(process.pid)) main += seconds;
    else helpers += seconds;
  }
  return { main, helpers };
}

type Fetch = (path: string) => Promise<{ records: number; bytes: number }>;

function viaTransport(url: string, token: string): { fetch: Fetch; close: () => Promise<void> } {
  const transport = createTransport({
    origin: url,
    token,
    connections: CONNECTIONS,
    maxRetries: 0,
    retryBaseMs: 100,
    retryMaxMs: 1000,
    retryAfterMaxMs: 1000,
    connectTimeoutMs: 30_000,
    headersTimeoutMs: 60_000,
    bodyTimeoutMs: 60_000,
    userAgent: 'dqm-export-bench',
  });
  const signal = new AbortController().signal;
  return {
    fetch: async (path) => {
      const r = await transport.send({ method: 'GET', path, signal });
      return { records: (r.json as { results: unknown[] }).results.length, bytes: r.bytes };
    },
    close: () => transport.close(),
  };
}

function viaRequest(url: string, token: string): { fetch: Fetch; close: () => Promise<void> } {
  const pool = new Pool(url, { connections: CONNECTIONS });
  const headers = { accept: 'application/json', authorization: `Token ${token}`, 'user-agent': 'dqm-export-bench' };
  const signal = new AbortController().signal;
  return {
    fetch: async (path) => {
      const res = await pool.request({ method: 'GET', path, headers, signal });
      const buffer = Buffer.from(await res.body.arrayBuffer());
      if (res.statusCode !== 200) throw new Error(`bench: ${path} -> HTTP ${res.statusCode}`);
      const json = JSON.parse(buffer.toString('utf8')) as { results: unknown[] };
      return { records: json.results.length, bytes: buffer.length };
    },
    close: () => pool.close(),
  };
}

/** Fetches pages 1..pages with CONNECTIONS at a time; returns records, bytes and the round's CPU. */
async function round(fetch: Fetch, pages: number): Promise<{ records: number; bytes: number; cpu: RoundCpu }> {
  const before = threadCpu();
  let next = 0;
  let records = 0;
  let bytes = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < pages) {
        const r = await fetch(`/api/lumisection_histograms_1d/?page=${++next}`);
        records += r.records;
        bytes += r.bytes;
      }
    }),
  );
  const after = threadCpu();
  return { records, bytes, cpu: { main: after.main - before.main, helpers: after.helpers - before.helpers } };
}

/** Runs both rounds in this process and prints the JSON line. */
export async function runClientPass(mode: ClientPassResult['mode'], url: string, token: string, pages: number) {
  const client = mode === 'transport' ? viaTransport(url, token) : viaRequest(url, token);
  try {
    const cold = await round(client.fetch, pages);
    const warm = await round(client.fetch, pages);
    const result: ClientPassResult = {
      mode,
      records: cold.records,
      bytes: cold.bytes,
      rounds: [cold.cpu, warm.cpu],
    };
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await client.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [mode, url, token, pages] = process.argv.slice(2);
  if ((mode !== 'transport' && mode !== 'request') || !url || !token || !(Number(pages) > 0))
    throw new Error('usage: client-pass.js <transport|request> <url> <token> <pages>');
  await runClientPass(mode, url, token, Number(pages));
}
