/**
 * Bundles the CLI with esbuild (run after `tsc` by `npm run build`):
 * - dist/src/cli/bundle/cli.cjs: src/cli/main.ts and everything it imports, as one CommonJS file,
 *   which dist/src/cli/bin.cjs runs through a V8 code cache (src/cli/code-cache.ts). CommonJS because
 *   Node 20 can cache only a vm.Script's code, not an ES module's; one file because esbuild splits
 *   only ES modules (each command's modules still run only when it runs: esbuild wraps them in lazy
 *   initialisers). Whitespace-minified (no comments: the file is ASCII, read as latin1, a plain copy;
 *   2.7 instead of 4 MB to read and hash), legal comments in cli.cjs.LEGAL.txt.
 * - dist/src/cli/bin.cjs: src/cli/bin.ts (the loader) as CommonJS, what the `dqm-export` command (the
 *   package's `bin`), the tests and the deploy files run, with the bundles' hashes built in as the
 *   caches' keys; and dist/src/cli/bin.js, the same as an ES module, replacing tsc's at that path
 *   (`node dist/src/cli/bin.js` keeps working).
 * - the worker threads' scripts (Parquet encoder, CSV parser) under their own names next to
 *   cli.cjs, as CommonJS (see WORKERS).
 * The rest of dist/src stays tsc's output (imported by the benchmarks; a tsc-only build leaves a
 * working unbundled bin.js). parquet-wasm stays external (the worker imports it, and its .wasm file,
 * from node_modules). Source maps beside every file. docs/decisions.md, "CLI start-up".
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'src', 'cli');
rmSync(join(outdir, 'bundle'), { recursive: true, force: true });
/**
 * Each worker's locator looks for `./worker.js` next to itself: in tsc's output they live in
 * different folders, in the bundle they sit next to cli.cjs. So each worker gets its own name here,
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
            `new URL('./${w.name}.cjs', import.meta.url)`,
          ),
          loader: 'ts',
        };
      });
    }
  },
};

/**
 * undici's index.js loads every part of undici (fetch, WebSocket, caches, mocks: 718 KB in the
 * bundle) where the CLI uses one class, Pool (src/extract/http/transport.ts). In the bundle,
 * `undici` is Pool with the request API undici's index.js gives every dispatcher. Measured in
 * docs/decisions.md ("CLI start-up: a V8 code cache"). The tests run the full package: same class.
 */
const undiciPool = {
  name: 'undici-pool',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) => {
      const text = readFileSync(args.importer, 'utf8');
      const imports = [...text.matchAll(/^import\s+(type\s+)?\{([^}]*)\}\s+from\s+'undici';/gm)];
      const names = imports.filter((m) => !m[1]).flatMap((m) => m[2].split(',').map((n) => n.trim()));
      if (names.some((n) => n !== 'Pool' && !n.startsWith('type ')))
        throw new Error(`${args.importer}: imports ${names.join(', ')} from undici; the bundle provides Pool only`);
      return { path: 'undici', namespace: 'undici-pool' };
    });
    b.onLoad({ filter: /.*/, namespace: 'undici-pool' }, () => ({
      contents: [
        "const Dispatcher = require('undici/lib/dispatcher/dispatcher');",
        "Object.assign(Dispatcher.prototype, require('undici/lib/api'));",
        "exports.Pool = require('undici/lib/dispatcher/pool');",
      ].join('\n'),
      resolveDir: root,
      loader: 'js',
    }));
  },
};

/**
 * undici's HTTP/2 client (lib/dispatcher/client-h2.js) requires node:http2 when it loads, and
 * node:http2 loads node:tls: ~10-15 ms of the main thread before `run`'s first request, for a
 * protocol the CLI never asks for (undici speaks HTTP/2 only with `allowH2`). In the bundle, that
 * require is an object with the constants the module reads when it loads (taken from this Node's
 * node:http2 at build time) and a `connect` that loads node:http2 when called. The build fails if
 * the module's text no longer has that require, or reads node:http2 otherwise. docs/decisions.md,
 * "CLI start-up: no node:http2 or node:tls before run's first request".
 */
const undiciLazyHttp2 = {
  name: 'undici-lazy-http2',
  setup(b) {
    b.onLoad({ filter: /[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const at = "http2 = require('node:http2')";
      if (text.split(at).length !== 2) throw new Error(`${args.path}: expected one ${at}`);
      const uses = new Set([...text.matchAll(/\bhttp2\.(\w+)/g)].map((m) => m[1]));
      if ([...uses].some((name) => name !== 'connect'))
        throw new Error(
          `${args.path}: uses http2.${[...uses].join(', http2.')}; the bundle's stand-in has connect only`,
        );
      const block = /const\s*\{\s*constants:\s*\{([^}]*)\}\s*\}\s*=\s*http2/.exec(text);
      if (!block) throw new Error(`${args.path}: expected const { constants: { ... } } = http2`);
      const { constants } = await import('node:http2');
      const names = block[1]
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      const picked = Object.fromEntries(names.map((n) => [n, constants[n]]));
      if (names.some((n) => picked[n] === undefined))
        throw new Error(`${args.path}: unknown http2 constant in ${names}`);
      const standIn = `http2 = { constants: ${JSON.stringify(picked)}, connect: (...a) => require('node:http2').connect(...a) }`;
      return { contents: text.replace(at, standIn), loader: 'js' };
    });
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  allowOverwrite: true,
  logLevel: 'warning',
  // A package's ES-module build before its CommonJS one where it ships both without an `exports` map
  // (today only flatbuffers, under apache-arrow): a CommonJS module imported from 37 of arrow's
  // modules was wrapped 37 times by esbuild's `__toESM`, every export copied as a getter each time
  // (docs/decisions.md, "CLI start-up: zod imported as a module namespace").
  mainFields: ['module', 'main'],
};

// parquet-wasm: loaded by the worker with its .wasm (and by `inspect`, with import()); typescript:
// dev-only fallback of the worker locators; vega, vega-lite, pngjs: only `inspect --html` loads them,
// with import(), from node_modules as they ship.
const external = ['parquet-wasm', 'typescript', 'vega', 'vega-lite', 'pngjs'];
/**
 * Bundles `entry` as one CommonJS file for the code-cache loader and returns a hash of its text (the
 * cache's build id). A vm.Script's import() needs an experimental Node option: the bundle's import()
 * calls (external packages only) call the loader's instead (src/cli/code-cache.ts), under a name as
 * long as `import`, so the source map's columns still hold. Any other import( text fails the build
 * rather than be rewritten blindly.
 */
async function commonJsBundle(entry, file) {
  await build({
    ...common,
    entryPoints: [entry],
    outfile: file,
    plugins: [workerNames, undiciPool, undiciLazyHttp2],
    format: 'cjs',
    external,
    minifyWhitespace: true,
    minifySyntax: true,
    // Identifiers too: 1.76 -> 1.26 MB for run.cjs, read, copied and hashed at every start-up, and a 4 %
    // smaller code cache (docs/decisions.md, "CLI start-up: the bundles' identifiers minified"). Names
    // that reach users are set explicitly (src/errors.ts); stack traces map back through the source maps.
    minifyIdentifiers: true,
    charset: 'ascii',
    legalComments: 'linked',
    // Modules that locate files next to themselves (workers, package.json) see the bundle's URL.
    define: { 'import.meta.url': '__dqmI_MetaUrl' },
    banner: { js: "var __dqmI_MetaUrl=require('node:url').pathToFileURL(__filename).href;" },
  });
  const dynamic = new RegExp(`\\bimport\\(("(?:${external.join('|')})")\\)`, 'g');
  const text = readFileSync(file, 'latin1').replace(dynamic, '__dqmI_($1)');
  if (/\bimport\(/.test(text)) throw new Error(`${file}: an import() the loader does not handle`);
  if (Buffer.from(text, 'latin1').some((byte) => byte > 0x7f))
    throw new Error(`${file}: not ASCII (the loader reads it as latin1)`);
  // Written as the function expression the loader compiles (src/cli/code-cache.ts, COMMONJS_WRAPPER;
  // a test checks the two match): the loader then compiles the text as read, with no 1.8 MB copy.
  const wrapped = `(function (exports, require, module, __filename, __dirname, __dqmI_) {${text}\n})`;
  writeFileSync(file, wrapped, 'latin1');
  return createHash('sha256').update(wrapped).digest('hex').slice(0, 16);
}

const buildId = await commonJsBundle('src/cli/main.ts', join(outdir, 'bundle', 'cli.cjs'));
// `run FILE [options]` read without yargs (src/cli/run-main.ts): run's module graph alone, which bin.js
// loads instead of cli.cjs for such a command line (docs/decisions.md, "CLI start-up: `run` has a
// bundle of its own"). One of the two runs in a process, never both.
const runBuildId = await commonJsBundle('src/cli/run-main.ts', join(outdir, 'bundle', 'run.cjs'));

/** The loader's build settings, as an ES module (bin.js) or CommonJS (bin.cjs). */
const loader = {
  ...common,
  define: { DQM_EXPORT_BUILD: JSON.stringify(buildId), DQM_EXPORT_RUN_BUILD: JSON.stringify(runBuildId) },
  // The fallback when bundle/cli.cjs is missing: tsc's main.js, not a second copy of the CLI.
  plugins: [
    {
      name: 'main-external',
      setup: (b) => b.onResolve({ filter: /^\.\/main\.js$/ }, (a) => ({ path: a.path, external: true })),
    },
  ],
};
await build({ ...loader, entryPoints: { bin: 'src/cli/bin.ts' }, outdir, format: 'esm' });
// What the `dqm-export` command runs: Node starts a CommonJS entry without its ES-module loader,
// ~7 ms sooner (docs/decisions.md, "CLI start-up: the entry point is CommonJS").
await build({
  ...loader,
  entryPoints: { bin: 'src/cli/bin.ts' },
  outdir,
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  define: { ...loader.define, 'import.meta.url': '__dqmI_MetaUrl' },
  banner: { js: "var __dqmI_MetaUrl=require('node:url').pathToFileURL(__filename).href;" },
});

// CommonJS: a worker thread starts its script without Node's ES-module loader, ~5 ms sooner
// (docs/decisions.md, "CLI start-up: the entry point is CommonJS").
await build({
  ...common,
  entryPoints: Object.fromEntries(WORKERS.map((w) => [w.name, w.source])),
  outdir: join(outdir, 'bundle'),
  outExtension: { '.js': '.cjs' },
  format: 'cjs',
  external,
  define: { 'import.meta.url': '__dqmI_MetaUrl' },
  banner: { js: "var __dqmI_MetaUrl=require('node:url').pathToFileURL(__filename).href;" },
});
