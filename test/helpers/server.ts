/**
 * Test helpers around the local DQM Playground server, for every test file that needs one:
 * in-process (`withServer`, `useServer`) or as the built CLI in a child process (`spawnServeCli`,
 * `runServeCli`), plus `apiRequest` for raw requests with a named user.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { afterAll, beforeAll } from 'vitest';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import { PACKAGE_ROOT } from '../../src/version.js';

/** The built CLI entry point (`npm run build` / `npx tsc -p tsconfig.json` makes it). */
export const DIST_CLI = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'bin.cjs');

/** Starts an in-process server on a free port (port 0 unless `options.port` says otherwise). Close it yourself. */
export function withServer(options: ServerOptions = {}): Promise<RunningServer> {
  return startServer({ port: 0, ...options });
}

/** Starts a server before the file's tests and closes it after; returns a getter. */
export function useServer(options: ServerOptions = {}): () => RunningServer {
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await withServer(options);
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error('useServer: the server is not started yet (call the getter inside a test)');
    return server;
  };
}

/** Who sends a request: a user of `server`, nobody, or a literal Authorization header value. */
export type As = 'admin' | 'user' | 'none' | { header: string };

/** A response read completely. */
export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON (undefined if it is not JSON). */
  json: unknown;
}

/** One request to `server` (`path` starts with `/`). Redirects are not followed. */
export async function apiRequest(
  server: Pick<RunningServer, 'url' | 'adminToken' | 'userToken'>,
  path: string,
  options: { as?: As; method?: string; body?: unknown; contentType?: string } = {},
): Promise<ApiResponse> {
  const as = options.as ?? 'admin';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (as === 'admin') headers.Authorization = `Token ${server.adminToken}`;
  else if (as === 'user') headers.Authorization = `Token ${server.userToken}`;
  else if (as !== 'none') headers.Authorization = as.header;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] = options.contentType ?? 'application/json';
  }
  const res = await request(server.url + path, { method: (options.method ?? 'GET') as 'GET', headers, body });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** A `dqm-export serve` child process and what its first output line said. */
export interface ServedCli {
  url: string;
  port: number;
  adminToken: string;
  userToken: string;
  child: ChildProcess;
  /** stdout lines after the first, and all stderr, so far. */
  output(): { stdout: string[]; stderr: string };
  /** Sends `signal` (default SIGTERM) and resolves to the exit code. */
  close(signal?: NodeJS.Signals): Promise<number | null>;
}

function checkBuilt(): void {
  if (!existsSync(DIST_CLI)) throw new Error(`${DIST_CLI} is missing: build first (npx tsc -p tsconfig.json)`);
}

/**
 * Spawns `node dist/src/cli/bin.cjs serve --port 0 ...args` and resolves once it printed its
 * listening line. Rejects (with its stderr) if it exits first or takes longer than `timeoutMs`.
 */
export function spawnServeCli(
  args: string[] = [],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ServedCli> {
  checkBuilt();
  const child = spawn(process.execPath, [DIST_CLI, 'serve', '--port', '0', ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve did not start within ${options.timeoutMs ?? 30_000} ms: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening: ${stderr.trim()}`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (stdout.length === 0 && line.startsWith('{')) {
        clearTimeout(timer);
        const first = JSON.parse(line) as { url: string; adminToken: string; userToken: string };
        stdout.push(line);
        resolve({
          url: first.url,
          port: Number(new URL(first.url).port),
          adminToken: first.adminToken,
          userToken: first.userToken,
          child,
          output: () => ({ stdout: stdout.slice(1), stderr }),
          close: async (signal = 'SIGTERM') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      } else {
        stdout.push(line);
      }
    });
  });
}

/** Runs `dqm-export serve ...args` expecting it to exit on its own (error paths); kills it after `timeoutMs`. */
export function runServeCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  checkBuilt();
  const child = spawn(process.execPath, [DIST_CLI, 'serve', ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}
