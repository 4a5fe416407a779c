/**
 * Where the encoder worker's code is. Built (dist/): the compiled `worker.js` next to this file. From
 * the TypeScript sources (vitest, no build): `worker.ts` transpiled on the fly with the `typescript`
 * dev dependency and loaded from a data: URL, so tests always run the current worker code and never
 * depend on a stale build. The worker therefore imports only Node built-ins, and parquet-wasm by the
 * absolute URL passed in `workerData`.
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
  const ts = require('typescript') as typeof import('typescript');
  const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: fileURLToPath(source),
  });
  return (cached = new URL('data:text/javascript;charset=utf-8,' + encodeURIComponent(outputText)));
}

/** Absolute URL of parquet-wasm's Node build, for the worker to import. */
export function parquetWasmUrl(): string {
  return pathToFileURL(require.resolve('parquet-wasm')).href;
}
