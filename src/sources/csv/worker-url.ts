/**
 * Where the CSV worker's code is. Built (dist/): the compiled `worker.js` next to this file. From
 * the TypeScript sources (vitest, no build): the worker and the modules it imports (relative
 * imports only, no packages) are transpiled with the `typescript` dev dependency into a temporary
 * directory keyed by a hash of their text, so tests always run the current code and never a stale
 * build.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InternalError } from '../../errors.js';

const require = createRequire(import.meta.url);
let cached: URL | null = null;

const IMPORT = /(from\s+|import\s*\(\s*|import\s+)(['"])(\.{1,2}\/[^'"]+)\2/g;

/** The worker module and everything it imports relatively, transpiled: path (relative to `root`) -> JS. */
function transpileTree(entry: string, root: string): Map<string, string> {
  const ts = require('typescript') as typeof import('typescript');
  const out = new Map<string, string>();
  const visit = (file: string): void => {
    const key = relative(root, file).replace(/\.ts$/, '.js');
    if (out.has(key)) return;
    out.set(key, '');
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    });
    out.set(key, outputText);
    for (const m of outputText.matchAll(IMPORT)) visit(join(dirname(file), m[3].replace(/\.js$/, '.ts')));
  };
  visit(entry);
  return out;
}

/** URL to start the CSV worker from. */
export function csvWorkerUrl(): URL {
  if (cached) return cached;
  const built = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return (cached = built);
  const source = fileURLToPath(new URL('./worker.ts', import.meta.url));
  if (!existsSync(source))
    throw new InternalError('E_WORKER_MISSING', `CSV worker not found next to ${fileURLToPath(import.meta.url)}`);
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const files = transpileTree(source, root);
  const hash = createHash('sha256');
  for (const [k, v] of [...files].sort()) hash.update(k).update('\0').update(v);
  const dir = join(tmpdir(), `dqm-export-csv-worker-${hash.digest('hex').slice(0, 16)}`);
  const entry = join(dir, relative(root, source).replace(/\.ts$/, '.js'));
  if (!existsSync(entry)) {
    // Written under a temporary name and renamed: concurrent test processes may race here.
    const staging = `${dir}.${process.pid}.${Date.now()}`;
    for (const [k, v] of files) {
      mkdirSync(dirname(join(staging, k)), { recursive: true });
      writeFileSync(join(staging, k), v);
    }
    writeFileSync(join(staging, 'package.json'), '{"type":"module"}');
    try {
      renameSync(staging, dir);
    } catch {
      // Another process won the race; its copy is identical.
    }
  }
  return (cached = pathToFileURL(entry));
}
