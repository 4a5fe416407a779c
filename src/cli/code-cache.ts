/**
 * Loads the CLI's CommonJS bundle (dist/src/cli/bundle/cli.cjs) through a V8 code cache kept on
 * disk, so a start-up deserialises the functions it ran last time instead of parsing and compiling
 * 2.7 MB of JavaScript again. Node 20 has no compile cache of its own (Node >= 22.1 does, for files
 * its loaders read, not for vm.Script): this is what the v8-compile-cache package does for require(),
 * with two changes that matter here: the cache is made at exit (it then holds every function the
 * command compiled, not only the eager ones), and there is one cache per command (a `--help` does
 * not deserialise what `run` compiled). docs/decisions.md, "CLI start-up: a V8 code cache".
 *
 * The cache is an optimisation only: any failure to read, use or write it falls back to compiling
 * the bundle, with no message. A cache V8 rejects (other Node, other V8 flags) is rewritten.
 *
 * V8 flags: V8 rejects any code cache made under other flags than the running ones, Node's own too
 * (the one built into the node binary for its internal modules, made under V8's defaults). So no
 * flag is set before the bundle and the command's modules are compiled (`setCommandV8Flags`, called
 * once the command is loaded), and the defaults are put back before the cache is made at exit.
 * docs/decisions.md, "CLI start-up: V8 flags set once the command is loaded".
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { LOADING_V8_FLAGS } from './loading-heap.js';

/**
 * V8 flags the Parquet encoder worker sets when it needs them (src/load/parquet/wasm-loader.ts,
 * worker-output.ts). A flag set in any thread changes them for the process; the CLI sets the same ones
 * for every command once it is loaded (`setCommandV8Flags`; test/cli/code-cache.test.ts checks the
 * lists match), before the command's own, so the process runs under one set of flags from then on
 * (until a worker loads parquet-wasm: it switches wasm tiering back on, which a Liftoff-only command
 * had switched off, so that parquet-wasm's functions get TurboFan). In the main thread, the tiering
 * budget also applies to undici's llhttp (wasm); `--expose_gc` only adds `gc` to contexts created
 * later, and lazy validation only applies to wasm.
 */
export const WORKER_V8_FLAGS = [
  '--wasm-tiering-budget=180000000',
  '--wasm-lazy-validation',
  '--wasm-lazy-compilation',
  '--wasm-tier-up',
  '--wasm-dynamic-tiering',
  '--expose_gc',
] as const;

/**
 * V8 flags of one command's process, set once the command is loaded (`setCommandV8Flags`). `run` and
 * `demo`: the main thread's old generation may grow by 50 % over what survived the last full
 * collection instead of V8's up-to-4x: parsed pages live a few hundred ms, but long enough to be
 * promoted, and V8 let ~70 MB of them pile up as garbage between full collections; the default 2D
 * `run` peaked at 397-407 MB with and 291-300 MB without that pile (10k records, load 13-16;
 * docs/decisions.md, "Memory: run's heap grows by 50 %"). All five: wasm in Liftoff only
 * (`LIFTOFF_ONLY`) for undici's HTTP parser, whose TurboFan recompile was ~0.25 s of a helper thread's
 * CPU per `histograms list --all` or `run` of 20,000 records competing for the 2 cores, for no
 * main-thread gain (docs/decisions.md, "Listings: undici's HTTP parser stays in Liftoff", "`run`:
 * undici's HTTP parser stays in Liftoff"); the encoder worker switches tiering back on before it
 * compiles parquet-wasm (src/load/parquet/wasm-loader.ts, setWasmFlags).
 */
/**
 * Wasm in Liftoff only, as `--liftoff-only` does, with two flags that imply no others: V8 applies a
 * flag's implications when it is set and never undoes them, so the defaults put back before the code
 * cache is made would leave `--liftoff-only`'s (`--no-wasm-tier-up`, `--no-wasm-dynamic-tiering`)
 * set, and V8 would reject that cache at every later start.
 */
const LIFTOFF_ONLY = ['--no-wasm-tier-up', '--no-wasm-dynamic-tiering'] as const;

/**
 * `run` (of an HTTP source) compiles undici's HTTP parser on V8's threads while its pipeline loads
 * (src/extract/http/parser-precompile.ts). V8 compiles a wasm function lazily, at its first call,
 * unless told otherwise: the parser's first response then compiled its main function on the main
 * thread, ~5 ms of the first request's 14. Compiled eagerly in the background, that request took
 * 9 ms (standalone, 4 runs each). The encoder worker switches lazy compilation back on before it
 * compiles parquet-wasm's 5 MB (src/load/parquet/wasm-loader.ts). docs/decisions.md, "CLI start-up:
 * undici's HTTP parser compiled in the background".
 */
const EAGER_WASM = ['--no-wasm-lazy-compilation'] as const;

/**
 * Every command: V8 drops the bytecode of a function that has not run for a few full collections
 * (bytecode flushing), and the code cache is made at exit from the functions that still have
 * bytecode. A long command (a `run` or `histograms list --all` of thousands of pages, `serve`) had
 * flushed its start-up functions by then: a `run` of 20,000 records left a cache of 0.81 MB where a
 * one-record `run` leaves 1.41 MB, and every later start-up compiled the rest lazily, ~90 ms of a
 * one-record `run` (a cache is accepted as it is, never topped up). docs/decisions.md, "CLI start-up:
 * the code cache keeps what a long command ran first".
 */
export const KEEP_BYTECODE = ['--no-flush-bytecode'] as const;

export const COMMAND_V8_FLAGS: Readonly<Record<string, readonly string[]>> = {
  run: ['--heap-growing-percent=50', ...LIFTOFF_ONLY, ...EAGER_WASM],
  demo: ['--heap-growing-percent=50', ...LIFTOFF_ONLY],
  histograms: LIFTOFF_ONLY,
  runs: LIFTOFF_ONLY,
  lumisections: LIFTOFF_ONLY,
};

/**
 * Every flag `setCommandV8Flags` may set, and the one the loading hold sets (loading-heap.ts), by
 * name (`wasm-tiering-budget`, `expose-gc`, ...).
 */
function commandFlagNames(): string[] {
  const all = [...WORKER_V8_FLAGS, ...KEEP_BYTECODE, ...Object.values(COMMAND_V8_FLAGS).flat(), ...LOADING_V8_FLAGS];
  return [
    ...new Set(
      all.map((flag) =>
        flag
          .replace(/^--(no-)?/, '')
          .split('=')[0]!
          .replace(/_/g, '-'),
      ),
    ),
  ];
}

/**
 * V8's defaults of the flags `setCommandV8Flags` sets, as flags (`--wasm-tiering-budget=1800000`,
 * `--no-expose-gc`), read from `node --v8-options` of this Node (they differ between versions:
 * Node 20's tiering budget is 1800000, Node 22's 13000000); undefined if any is not found. Run only
 * when a cache is written (once per build and command), since it starts a Node process.
 */
export function v8FlagDefaults(
  listing: () => string = () =>
    // node:child_process is loaded here, not at the top: only a start-up that writes a cache needs it,
    // and it is 37 internal modules (~2-3 ms) every other start-up would pay.
    process.getBuiltinModule('node:child_process').execFileSync(process.execPath, ['--v8-options'], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
    }),
): string[] | undefined {
  let text: string;
  try {
    text = listing();
  } catch {
    return undefined;
  }
  const defaults = new Map<string, string>();
  for (const m of text.matchAll(/default: (--(?:no-)?([\w-]+)(?:=\S*)?)/g))
    defaults.set(m[2]!.replace(/_/g, '-'), m[1]!);
  const picked = commandFlagNames().map((name) => defaults.get(name));
  return picked.every((flag) => flag !== undefined) ? (picked as string[]) : undefined;
}

/**
 * The flags `setCommandV8Flags` sets for `key`'s command and code cache variant, in order: the
 * worker's, KEEP_BYTECODE, then the command's. A CSV run (variant `csv`) fetches nothing, so there is no HTTP parser
 * to keep in Liftoff or to compile eagerly: its flags stay as measured for issue #15 (0.5 GB file, 3 alternated pairs at
 * load ~2: wall 3.44-3.79 s with Liftoff's flags, 3.39-3.64 s without).
 */
export function commandV8Flags(key: string, variant?: string): string[] {
  const command = (COMMAND_V8_FLAGS[key] ?? []).filter(
    (flag) => variant !== 'csv' || !([...LIFTOFF_ONLY, ...EAGER_WASM] as readonly string[]).includes(flag),
  );
  return [...WORKER_V8_FLAGS, ...KEEP_BYTECODE, ...command];
}

/** The flags `setCommandV8Flags` set so far in this process, in order. */
const flagsInForce: string[] = [];

/**
 * Sets the V8 flags of `key`'s command (WORKER_V8_FLAGS, KEEP_BYTECODE and COMMAND_V8_FLAGS; for the `csv` code
 * cache variant, a CSV run, without LIFTOFF_ONLY) for the whole process.
 * bin.ts calls it once the command's modules are loaded, not before: V8 checks the flags when it uses
 * a code cache, so Node's internal modules compiled after this compile from source (it rejects the
 * cache built into the node binary), in this thread and in worker threads starting up meanwhile.
 * Setting them before the bundle loaded made a one-record `run`'s encoder worker compile ~120
 * internal modules from source (docs/decisions.md, "CLI start-up: V8 flags set once the command is
 * loaded").
 */
export function setCommandV8Flags(key: string, variant?: string): void {
  for (const flag of commandV8Flags(key, variant)) {
    setFlagsFromString(flag);
    if (!flagsInForce.includes(flag)) flagsInForce.push(flag);
  }
}

/** Commands with a cache of their own (test/cli/code-cache.test.ts checks this against the registry). */
export const CACHED_COMMANDS: readonly string[] = [
  'runs',
  'lumisections',
  'histograms',
  'dials',
  'files',
  'validate',
  'schema',
  'serve',
  'plan',
  'run',
  'convert',
  'finalize',
  'demo',
  'inspect',
  'login',
  'logout',
];

/** The cache key of a command line: its command when it has its own cache, else `other` (help, typos). */
export function cacheKey(argv: readonly string[]): string {
  const command = argv.find((a) => !a.startsWith('-'));
  return command !== undefined && CACHED_COMMANDS.includes(command) ? command : 'other';
}

/** What `loadCommonJs` needs to know. */
export interface CodeCacheOptions {
  /**
   * The CommonJS file to run (its text must be ASCII: read as latin1, a plain copy), wrapped in
   * COMMONJS_WRAPPER already (the bundles) or not.
   */
  file: string;
  /** Identifies the file's content (a hash made at build time): part of the cache's name. */
  buildId: string;
  /** Which cache to use, e.g. the command name; one cache file each. */
  key: string;
  /**
   * A code path of the command with a cache of its own, e.g. `csv` for a `run` of CSV files. A
   * cache holds the functions its first run compiled, and V8 accepts it later without adding any:
   * a `run` cache made by a CSV export left a DQM Playground `run` compiling its own path lazily on
   * every start, ~80 ms slower than with a cache of its own (docs/decisions.md). The command's V8
   * flags still follow `key`.
   */
  variant?: string;
  /** Directory for the cache files; undefined: no cache (compile every time). */
  cacheDir: string | undefined;
  /**
   * What the bundle's `import()` calls run (scripts/bundle.mjs renames them `__dqmI_`): the
   * caller's own `import()`. A vm.Script's `import()` needs `importModuleDynamically`, which Node 20
   * marks experimental with a warning on stderr.
   */
  importModule: (specifier: string) => Promise<unknown>;
}

/** A loaded bundle: its exports, and `save()` to call once the command finished. */
export interface LoadedBundle {
  /** `module.exports` of the file. */
  exports: Record<string, unknown>;
  /** Writes the code cache when there was none or V8 rejected it; never throws. */
  save: () => void;
}

/**
 * Where the code caches go: `$XDG_CACHE_HOME/dqm-export/code-cache`, else
 * `~/.cache/dqm-export/code-cache`; `DQM_EXPORT_CODE_CACHE=0` turns the cache off, any other value
 * is the directory to use.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.DQM_EXPORT_CODE_CACHE;
  if (setting === '0' || setting === 'off') return undefined;
  if (setting) return setting;
  try {
    const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
    return join(base, 'dqm-export', 'code-cache');
  } catch {
    return undefined;
  }
}

/**
 * The cache file's name: the command key and everything a cache depends on besides V8 flags, which
 * V8 checks itself (Node and V8 versions, architecture, the bundle's build, Node's options), and
 * the bundle's path: on Node 20 (V8 11.3) a function restored from a code cache keeps the file name
 * it was compiled under, so two installs of one build sharing a cache would print each other's
 * paths in stack traces (test/cli/code-cache.test.ts).
 */
export function cacheFileName(
  buildId: string,
  key: string,
  file: string,
  execArgv: readonly string[] = process.execArgv,
): string {
  const runtime = [
    file,
    process.version,
    process.versions.v8,
    process.arch,
    ...execArgv,
    process.env.NODE_OPTIONS ?? '',
  ];
  return `${key.replace(/[^a-z0-9-]/gi, '_')}-${buildId}-${fnv1a(runtime.join('\0'))}.v8cache`;
}

/** 32-bit FNV-1a of `text`, in hex: a name, not a check (node:crypto would cost a start-up ms). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

async function readCache(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

/** Cache files kept in the directory: every command of two or three builds (two installs in use). */
export const MAX_CACHE_FILES = 48;

/** Writes `data` to `path` atomically (a reader sees the old file or the new one). */
function writeCache(dir: string, path: string, data: Buffer): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const staging = `${path}.${process.pid}.tmp`;
  writeFileSync(staging, data, { mode: 0o600 });
  renameSync(staging, path);
  // Caches of past builds are dead weight: past MAX_CACHE_FILES, the least recently written go.
  // Not every other build's: two installs used in turn would then rewrite their caches each run.
  const files = readdirSync(dir).filter((name) => name.endsWith('.v8cache'));
  if (files.length <= MAX_CACHE_FILES) return;
  const byAge = files
    .map((name) => ({ name, mtime: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime);
  for (const { name } of byAge.slice(0, files.length - MAX_CACHE_FILES)) rmSync(join(dir, name), { force: true });
}

/**
 * Runs `options.file` as a CommonJS module through the code cache and resolves to its exports. The
 * caller runs the command, then calls `save()`.
 */
export async function loadCommonJs(options: CodeCacheOptions): Promise<LoadedBundle> {
  // The flags the bundle is compiled under (none in the CLI): the cache is made under them too.
  const flagsAtLoad = [...flagsInForce];
  const { file, cacheDir } = options;
  const name = options.variant ? `${options.key}-${options.variant}` : options.key;
  const cachePath = cacheDir ? join(cacheDir, cacheFileName(options.buildId, name, options.file)) : undefined;
  // Both files read at once, by libuv's thread pool: page faults and copies make reading slow on a
  // virtual machine, and the two reads overlap (2.4 + 1.9 MB, bare process at load ~11, 15 alternated
  // runs: median 101 ms one after the other, 56 ms together). The bundle's text is ASCII: latin1 is a copy.
  const [cachedData, bytes] = await Promise.all([cachePath ? readCache(cachePath) : undefined, readFile(file)]);
  performance.mark('dqm-export:code cache read');
  const text = bytes.toString('latin1');
  performance.mark('dqm-export:bundle read');
  const { head, tail } = COMMONJS_WRAPPER;
  const source = text.startsWith(head) && text.endsWith(tail) ? text : head + text + tail;
  const script = new Script(source, { filename: file, cachedData });
  performance.mark('dqm-export:bundle compiled');
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file), options.importModule);
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  return {
    exports: module.exports,
    save: () => {
      if (!cachePath || !cacheDir || !stale) return;
      try {
        // Made now, the cache holds every function this command compiled, not only the eager ones;
        // under the flags the bundle was compiled with, as the next start-up will (else V8 rejects it).
        const defaults = v8FlagDefaults();
        if (!defaults) return;
        for (const flag of [...defaults, ...flagsAtLoad]) setFlagsFromString(flag);
        writeCache(cacheDir, cachePath, script.createCachedData());
      } catch {
        // Read-only or full cache directory: the next start-up compiles, as without a cache.
      }
    },
  };
}

/**
 * How the loader runs a CommonJS file: as this function expression, called with the module's
 * variables and the loader's `import()` (`__dqmI_`). scripts/bundle.mjs writes the bundles already
 * wrapped, so the text read from disk is compiled as it is: wrapping it here made V8 copy the whole
 * 1.8 MB into one flat string (a concatenation) at every start-up.
 */
export const COMMONJS_WRAPPER = {
  head: '(function (exports, require, module, __filename, __dirname, __dqmI_) {',
  tail: '\n})',
} as const;

/** Whether `file` exists (the bundle is missing in a tsc-only build). */
export function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
