/**
 * Running the CLI in tests: in-process through `main()` with stdout/stderr captured, or as the
 * built binary in a child process. Both take the environment explicitly, so the token reaches the
 * CLI the way a user's shell would pass it.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { PACKAGE_ROOT } from '../../src/version.js';

/** What a CLI run left behind. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of runCli. */
export interface RunCliOptions {
  /** Variables set for the run (and restored after); undefined values unset a variable. */
  env?: Record<string, string | undefined>;
  /** Pretend stdout is a terminal of this many columns. */
  ttyColumns?: number;
}

type Write = typeof process.stdout.write;

/** Runs `main(args)` in this process, capturing what it writes to stdout and stderr. */
export async function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  const savedEnv: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(options.env ?? {})) {
    savedEnv[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let stdout = '';
  let stderr = '';
  const outWrite = process.stdout.write;
  const errWrite = process.stderr.write;
  const tty = { isTTY: process.stdout.isTTY, columns: process.stdout.columns };
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as Write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as Write;
  if (options.ttyColumns) {
    process.stdout.isTTY = true;
    process.stdout.columns = options.ttyColumns;
  }
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = outWrite;
    process.stderr.write = errWrite;
    process.stdout.isTTY = tty.isTTY;
    process.stdout.columns = tty.columns;
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The built entry point; `npm test` builds before running vitest. */
export const BIN = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'bin.cjs');

/** True when the binary has been built (tests that need it are skipped with a reason otherwise). */
export const binBuilt = existsSync(BIN);

/**
 * Runs `node dist/src/cli/bin.cjs args` with exactly `env` (plus PATH), `input` then end on stdin.
 * With `interruptOn`, sends SIGINT (Ctrl-C) once stderr contains that text. `node`: what node runs
 * before `args` (another entry point, or node options and preloads before bin.cjs).
 */
export function runBin(
  args: string[],
  env: Record<string, string>,
  input?: string,
  interruptOn?: string,
  node: string[] = [BIN],
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...node, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    let interrupted = false;
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (interruptOn && !interrupted && stderr.includes(interruptOn)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** GET `path` from the server with `token`; the parsed JSON body (throws on a non-2xx). */
export async function serverGet<T = unknown>(baseUrl: string, path: string, token: string): Promise<T> {
  const r = await fetch(baseUrl + path, { headers: { Authorization: `Token ${token}`, Accept: 'application/json' } });
  if (!r.ok) throw new Error(`GET ${path}: HTTP ${r.status}`);
  return (await r.json()) as T;
}

/** Every record of a list, page by page (sequential, so an unordered list is read consistently). */
export async function serverList<T>(baseUrl: string, path: string, token: string): Promise<T[]> {
  const out: T[] = [];
  let next: string | null = path;
  while (next) {
    const page: { next: string | null; results: T[] } = await serverGet(baseUrl, next, token);
    out.push(...page.results);
    next = page.next;
  }
  return out;
}

/** Fails the test when any of `secrets` appears in the run's output. */
export function expectNoSecrets(result: CliResult, secrets: readonly string[]): void {
  for (const s of secrets) {
    if (result.stdout.includes(s) || result.stderr.includes(s)) throw new Error(`a token appeared in the CLI output`);
  }
}

/** A URL where nothing listens: a command that sends a request there fails with E_NETWORK. */
export const NOWHERE = 'http://127.0.0.1:9';

/**
 * Writes `dir/one.json`, a pipeline exporting every 1D histogram of the DQM Playground at `url` to
 * `one/` (Parquet, the defaults, mode overwrite); returns its path.
 */
export function writeOneStreamPipeline(dir: string, url: string): string {
  const pipeline = join(dir, 'one.json');
  writeFileSync(
    pipeline,
    JSON.stringify({
      version: 1,
      name: 'one',
      source: { type: 'dqm-playground', url },
      streams: [{ name: 'one', endpoint: 'lumisection_histograms_1d', output: { path: 'one', mode: 'overwrite' } }],
    }),
  );
  return pipeline;
}
