/**
 * Bundles the CLI with esbuild (run after `tsc` by `npm run build`): replaces tsc's
 * dist/src/cli/bin.js with a bundled entry of the same path (what `bin`, the tests and the deploy
 * files run), its code-split chunks under dist/src/cli/bundle/ (each command's modules still load
 * only when it runs), and the Parquet encoder worker as dist/src/cli/bundle/worker.js, next to the
 * chunk of worker-script.ts that looks for `./worker.js`. The rest of dist/src stays tsc's output
 * (imported by the benchmarks). parquet-wasm stays external: the worker imports it, and its .wasm
 * file, from node_modules. Source maps beside every file. docs/decisions.md, "CLI start-up".
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'src', 'cli');
rmSync(join(outdir, 'bundle'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { bin: 'src/cli/bin.ts', 'bundle/worker': 'src/load/parquet/worker.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  // parquet-wasm: loaded by the worker with its .wasm; typescript: dev-only fallback of worker-script.ts;
  // vega, vega-lite, pngjs: only `inspect` loads them, from node_modules as they ship.
  external: ['parquet-wasm', 'typescript', 'vega', 'vega-lite', 'pngjs'],
  chunkNames: 'bundle/chunk-[hash]',
  allowOverwrite: true,
  // CommonJS dependencies (pino, undici...) call require() for Node built-ins.
  banner: { js: "import { createRequire as __dqmCreateRequire } from 'node:module'; const require = __dqmCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
