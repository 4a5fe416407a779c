/**
 * Where the encoder worker's code is. Built (dist/): the compiled `worker.js` next to this file. From
 * the TypeScript sources (vitest, no build): `worker.ts` transpiled on the fly with the `typescript`
 * dev dependency and loaded from a data: URL, so tests always run the current worker code and never
 * depend on a stale build. The worker therefore imports only Node built-ins, parquet-wasm by the
 * absolute URL passed in `workerData`, and sibling modules (`./name.js`) that follow the same rule:
 * each is transpiled too, and the import rewritten to its data: URL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InternalError } from '../../errors.js';

const require = createRequire(import.meta.url);
let cached: URL | null = null;

/** URL to start the worker from. */
export function workerScriptUrl(): URL {
  if (cached) return cached;
  const built = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return (cached = built);
  const source = new URL('./worker.ts', import.meta.url);
  if (!existsSync(fileURLToPath(source)))
    throw new InternalError(
      'E_WORKER_MISSING',
      `parquet encoder worker not found next to ${fileURLToPath(import.meta.url)}`,
    );
  return (cached = transpiled(source, new Map()));
}

/** A data: URL of the module at `source` (TypeScript) and, recursively, of its sibling imports. */
function transpiled(source: URL, done: Map<string, URL>): URL {
  const known = done.get(source.href);
  if (known) return known;
  const ts = require('typescript') as typeof import('typescript');
  const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: fileURLToPath(source),
  });
  // A data: URL module cannot resolve relative specifiers: point each at its sibling's data: URL.
  const linked = outputText.replace(
    /(\b(?:from|import)\s*)(['"])\.\/([\w.-]+)\.js\2/g,
    (_, keyword: string, quote: string, name: string) =>
      `${keyword}${quote}${transpiled(new URL(`./${name}.ts`, source), done).href}${quote}`,
  );
  // base64: a percent-encoded URL keeps quotes, which would end the string it is pasted into.
  const url = new URL('data:text/javascript;base64,' + Buffer.from(linked).toString('base64'));
  done.set(source.href, url);
  return url;
}

/** Absolute URL of parquet-wasm's Node build, for the worker to import. */
export function parquetWasmUrl(): string {
  return pathToFileURL(require.resolve('parquet-wasm')).href;
}
