/**
 * Bad inputs, table-driven (bad-input-cases.ts, bad-input-source-cases.ts,
 * bad-input-server-cases.ts): for each, the exit code,
 * exactly one stderr line `error E_CODE: message` with the expected code and the words that make it
 * actionable (file:line:col, field, URL, path), and no half-written output: untouched for refusals,
 * nothing but the journal for failed runs, a complete dataset for runs that end with rejects (3).
 *
 * The table runs through the CLI's `main()` in this process (the same code path as the binary, which
 * only sets `process.exitCode` from it) to keep 70 cases fast; a few are repeated through the built
 * binary to show the process exit codes match. A full output device is its own test.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startServer, type RunningServer } from '../../src/server/index.js';
import { closeDuckDB } from '../helpers/duckdb.js';
import { BASE, CONFIG_CASES, type BadInputCase } from './bad-input-cases.js';
import { RUN_CASES } from './bad-input-server-cases.js';
import { SOURCE_AND_FLAG_CASES } from './bad-input-source-cases.js';
import {
  completeDatasetViolations,
  datasetViolations,
  errorLine,
  listFiles,
  runCli,
  removeTempDirs,
  tempDir,
  temporaryFiles,
  writePipeline,
} from './helpers.js';
import { startScriptedServer, type ScriptedServer } from './scripted-server.js';

const CASES: BadInputCase[] = [...CONFIG_CASES, ...SOURCE_AND_FLAG_CASES, ...RUN_CASES];
const DEFAULT_TOKEN = 'tok-bad-inputs-0123456789';
/** Nothing listens on port 9 (discard) of the loopback: cases that must not connect use it. */
const NO_SERVER = 'http://127.0.0.1:9';

let sample: RunningServer;
beforeAll(async () => {
  sample = await startServer({ port: 0 });
});
afterAll(async () => {
  await sample?.close();
  closeDuckDB();
  await removeTempDirs();
});

/** path -> sha256 of every file under `dir`. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of await listFiles(dir))
    out[p] = createHash('sha256')
      .update(await readFile(join(dir, p)))
      .digest('hex');
  return out;
}

/** Runs `main(argv)` with `env` applied, capturing what it writes to stdout and stderr. */
async function runMain(
  argv: string[],
  env: Record<string, string | undefined>,
): Promise<{ exit: number; stdout: string; stderr: string }> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  let stdout = '';
  let stderr = '';
  const writes = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => (
    (stdout += chunk.toString()),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (
    (stderr += chunk.toString()),
    true
  )) as typeof process.stderr.write;
  try {
    const exit = await main(argv);
    return { exit, stdout, stderr };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The directory, server and command line of one case. */
async function prepare(c: BadInputCase) {
  const dir = await tempDir('dqm-bad-');
  let scripted: ScriptedServer | undefined;
  let url = NO_SERVER;
  if (c.server === 'sample') url = sample.url;
  else if (c.server) {
    scripted = await startScriptedServer(c.server);
    url = scripted.url;
  }
  await writePipeline(dir, c.pipeline ?? BASE);
  const cleanup = await c.setup?.({ dir, url });
  const token = c.token === null ? undefined : (c.token ?? (c.server === 'sample' ? sample.userToken : DEFAULT_TOKEN));
  const file = (c.file ?? '{dir}/p.yaml').replaceAll('{dir}', dir);
  const argv = ['run', file, '--log-level', 'silent', ...(c.args ?? []).map((a) => a.replaceAll('{dir}', dir))];
  return {
    dir,
    url,
    token,
    argv,
    env: { DQM_PLAYGROUND_URL: url, DQM_PLAYGROUND_TOKEN: token, CI: '1' },
    close: async () => {
      if (cleanup) await cleanup();
      await scripted?.close();
    },
  };
}

/** Checks the error line (or its absence) against the case. */
function checkMessage(c: BadInputCase, stderr: string): void {
  if (c.code === null) {
    expect(stderr).toBe('');
    return;
  }
  const lines = stderr.trimEnd().split('\n');
  expect(stderr.endsWith('\n'), stderr).toBe(true);
  if (c.report) for (const line of lines.slice(1)) expect(line).toMatch(/^\S+:\d+:\d+: /);
  else expect(lines, stderr).toHaveLength(1);
  const error = errorLine(lines[0]);
  expect(error, stderr).not.toBeNull();
  if (typeof c.code === 'string') expect(error!.code, stderr).toBe(c.code);
  else expect(error!.code, stderr).toMatch(c.code);
  const message = [error!.message, ...lines.slice(1)].join('\n');
  for (const m of c.mentions ?? []) {
    if (typeof m === 'string') expect(message, stderr).toContain(m);
    else expect(message, stderr).toMatch(m);
  }
}

/** Checks what the run left in the case directory. */
async function checkOutput(c: BadInputCase, dir: string, before: Record<string, string>): Promise<void> {
  const expected = c.output ?? (c.exit === 2 ? 'untouched' : c.exit === 1 ? 'uncommitted' : 'complete');
  const after = await snapshot(dir);
  if (expected === 'untouched') {
    expect(after).toEqual(before);
  } else if (expected === 'uncommitted') {
    // A failed run may leave its journal (for --resume), and nothing else.
    const added = Object.keys(after).filter((p) => !(p in before));
    expect(added.filter((p) => !p.includes('/.dqm-export/'))).toEqual([]);
  } else {
    expect(await completeDatasetViolations(join(dir, 'out', 'h1d'))).toEqual([]);
  }
}

describe('bad inputs: one line with a code, the right exit code, no half-written output', () => {
  it('has at least 40 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const ctx = await prepare(c);
    try {
      const before = await snapshot(ctx.dir);
      const res = await runMain(ctx.argv, ctx.env);
      checkMessage(c, res.stderr);
      expect(res.exit, res.stderr).toBe(c.exit);
      if (ctx.token) expect(res.stderr + res.stdout).not.toContain(ctx.token);
      await checkOutput(c, ctx.dir, before);
      await c.check?.({ dir: ctx.dir, url: ctx.url }, res);
    } finally {
      await ctx.close();
    }
  });

  it('the binary exits with the same codes as main() (2, 1, 3)', async () => {
    const picks = [
      CONFIG_CASES[0],
      RUN_CASES.find((c) => c.code === 'E_AUTH_UNAUTHORIZED')!,
      RUN_CASES.find((c) => c.exit === 3)!,
    ];
    for (const c of picks) {
      const ctx = await prepare(c);
      try {
        const res = await runCli(ctx.argv, { env: ctx.env });
        expect(res.code, `${c.name}: ${res.stderr}`).toBe(c.exit);
        checkMessage(c, res.stderr);
      } finally {
        await ctx.close();
      }
    }
  });

  it('a full output device: one line naming the file, exit 1, nothing temporary or complete-looking left', async () => {
    const dir = await tempDir('dqm-full-');
    const out = join(dir, 'out');
    await mkdir(out);
    const file = await writePipeline(
      dir,
      BASE.replace('slice: {by: none}', 'slice: {by: run}').replace(
        'mode: error}',
        'mode: error, partition_by: [run]}',
      ),
    );
    const env = { DQM_PLAYGROUND_URL: sample.url, DQM_PLAYGROUND_TOKEN: sample.userToken, CI: '1' };
    const argv = ['run', file, '--log-level', 'silent'];
    const root = process.getuid?.() === 0;
    let res: { exit: number | null; stderr: string };
    // As root, a 48 KiB tmpfs: room for some of the sample's 1D files, not for all (ENOSPC). Without
    // root, a file size limit (RLIMIT_FSIZE, EFBIG) stands in for the full device.
    if (root) execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', out]);
    try {
      if (root) res = await runMain(argv, env);
      else {
        const child = await runCli(argv, { env, shellPrefix: 'ulimit -f 32' });
        res = { exit: child.code, stderr: child.stderr };
      }
      checkMessage(
        {
          name: 'full',
          code: root ? 'E_FS_ENOSPC' : 'E_FS_EFBIG',
          exit: 1,
          mentions: [root ? 'no space left on device' : 'file too large', join(out, 'h1d')],
        },
        res.stderr,
      );
      expect(res.exit).toBe(1);
      expect(await datasetViolations(join(out, 'h1d'))).toEqual([]);
      expect(await temporaryFiles(join(out, 'h1d'))).toEqual([]);
      expect(existsSync(join(out, 'h1d', '.dqm-export', '_SUCCESS'))).toBe(false);
    } finally {
      if (root) execFileSync('umount', [out]);
    }
  });
});
