/**
 * The Python side of the interop test: which interpreter (DQM_EXPORT_PYTHON, else the venv that
 * scripts/python-readers-venv.sh makes), whether it has the readers, an environment that keeps
 * Hugging Face `datasets` off the network, and the README's code blocks to run verbatim.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/version.js';

/** A Python that has every reader, or why there is none. */
export type PythonProbe =
  { ok: true; python: string; torch: boolean; versions: Record<string, string> } | { ok: false; reason: string };

/** What a finished process said. */
export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` to completion (killed after `timeoutMs`), collecting its output. */
export function runProcess(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + String(err) });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The environment Python runs in: `datasets` offline with its cache in `hfHome` (a temporary
 * directory), no progress bars (they go to stderr, which the snippet test requires to be empty).
 */
export function pythonEnv(hfHome: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HF_DATASETS_OFFLINE: '1',
    HF_HUB_OFFLINE: '1',
    HF_HOME: hfHome,
    HF_DATASETS_DISABLE_PROGRESS_BARS: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
}

const PROBE = `
import json, importlib.util
import pyarrow, pandas, polars, duckdb, numpy, datasets
print(json.dumps({"versions": {m.__name__: m.__version__ for m in (pyarrow, pandas, polars, duckdb, numpy, datasets)},
                  "torch": importlib.util.find_spec("torch") is not None}))
`;

/** Finds the interpreter and checks it imports every reader. */
export async function probePython(env: NodeJS.ProcessEnv): Promise<PythonProbe> {
  const given = process.env.DQM_EXPORT_PYTHON;
  const python = given || join(PACKAGE_ROOT, '.venv-interop', 'bin', 'python');
  if (!given && !existsSync(python)) {
    return {
      ok: false,
      reason: 'no .venv-interop/ (make it with scripts/python-readers-venv.sh) and DQM_EXPORT_PYTHON is not set',
    };
  }
  const r = await runProcess(python, ['-c', PROBE], { env, timeoutMs: 120_000 });
  if (r.code !== 0) {
    const last = r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`;
    return { ok: false, reason: `${python} cannot import the readers (${last})` };
  }
  const probe = JSON.parse(r.stdout.trim().split('\n').pop()!) as { versions: Record<string, string>; torch: boolean };
  return { ok: true, python, ...probe };
}

/** One fenced code block of the README. */
export interface Snippet {
  /** `python` or `sql`. */
  lang: string;
  /** 1-based line of the opening fence in README.md. */
  line: number;
  code: string;
}

/** The ```python and ```sql blocks of the README section headed `heading`, verbatim. */
export function readmeSnippets(readme: string, heading: string): Snippet[] {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`README.md has no "${heading}" section`);
  const snippets: Snippet[] = [];
  for (let i = start + 1; i < lines.length && !/^## /.test(lines[i]!); i++) {
    const open = /^```(\w+)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j] !== '```'; j++) body.push(lines[j]!);
    if (open[1] === 'python' || open[1] === 'sql')
      snippets.push({ lang: open[1], line: i + 1, code: body.join('\n') + '\n' });
    i = j;
  }
  return snippets;
}
