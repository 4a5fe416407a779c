/**
 * Bundles the CLI with esbuild (run after `tsc` by `npm run build`): replaces tsc's
 * dist/src/cli/bin.js with a bundled entry of the same path (what `bin`, the tests and the deploy
 * files run), its code-split chunks under dist/src/cli/bundle/ (each command's modules still load
 * only when it runs), and the worker threads' scripts (Parquet encoder, CSV parser) beside them under
 * their own names (see WORKERS). The rest of dist/src stays tsc's output
 * (imported by the benchmarks). parquet-wasm stays external: the worker imports it, and its .wasm
 * file, from node_modules. Source maps beside every file. docs/decisions.md, "CLI start-up".
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'src', 'cli');
rmSync(join(outdir, 'bundle'), { recursive: true, force: true });
/**
 * Each worker's locator looks for `./worker.js` next to itself: in tsc's output they live in
 * different folders, in the bundle every chunk shares one. So each worker gets its own name here,
 * and its locator is pointed at it (the build fails if the locator no longer has that text).
 */
const WORKERS = [
  { locator: 'src/load/parquet/worker-script.ts', source: 'src/load/parquet/worker.ts', name: 'parquet-worker' },
  { locator: 'src/sources/csv/worker-url.ts', source: 'src/sources/csv/worker.ts', name: 'csv-worker' },
];
const workerNames = {
  name: 'worker-names',
  setup(b) {
    for (const w of WORKERS) {
      const file = join(root, w.locator);
      b.onLoad({ filter: new RegExp(`${w.locator.replace(/[/.]/g, (c) => `\\${c}`)}$`) }, async () => {
        const text = await readFile(file, 'utf8');
        if (!text.includes("new URL('./worker.js', import.meta.url)"))
          throw new Error(`${w.locator}: expected new URL('./worker.js', import.meta.url)`);
        return {
          contents: text.replace(
            "new URL('./worker.js', import.meta.url)",
            `new URL('./${w.name}.js', import.meta.url)`,
          ),
          loader: 'ts',
        };
      });
    }
  },
};

await build({
  absWorkingDir: root,
  entryPoints: { bin: 'src/cli/bin.ts', ...Object.fromEntries(WORKERS.map((w) => [`bundle/${w.name}`, w.source])) },
  plugins: [workerNames],
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
  banner: {
    js: "import { createRequire as __dqmCreateRequire } from 'node:module'; const require = __dqmCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
