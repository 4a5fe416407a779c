/**
 * parquet-wasm in the encoder worker (worker.ts): checked once the worker is idle, loaded on first use
 * with the V8 flags it is compiled under. A sibling of worker.ts: imports nothing but Node built-ins
 * (src/load/parquet/worker-script.ts loads it from a data: URL when run from the sources).
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';
import type * as ParquetWasm from 'parquet-wasm';

/**
 * V8 flags, set for the whole process when parquet-wasm loads, not when this worker starts: V8 rejects
 * a code cache made under other flags, Node's own for its internal modules included, so a flag set
 * while this worker or the main thread were still starting made each compile its internal modules
 * from source (docs/decisions.md, "CLI start-up: V8 flags set once the command is loaded"). The CLI
 * sets the same ones once its command is loaded (src/cli/code-cache.ts, WORKER_V8_FLAGS).
 */
function setWasmFlags(): void {
  // node:v8 loaded here, when parquet-wasm is, not at the worker's start (a worker whose files all
  // go through the own writer never needs it).
  const { setFlagsFromString } = process.getBuiltinModule('node:v8');
  /**
   * V8 compiles wasm functions with its baseline compiler first and recompiles a function with the
   * optimising compiler once it has used up a budget of work. With the default budget a few hundred
   * lukewarm parquet-wasm functions are recompiled too, ~0.8 s of CPU on V8's helper threads per
   * process (on 2 cores, taken from the export). 100x the budget still optimises the encoding loops
   * within the first batches and halves that CPU (docs/decisions.md). Set before the module loads.
   */
  setFlagsFromString('--wasm-tiering-budget=180000000');
  /**
   * V8 already compiles wasm functions lazily, on first call, but validates all 5 MB of parquet-wasm
   * when the module is compiled: with lazy validation a function is validated when it is compiled,
   * and most are never called. Compiling the module: 53-56 -> 38-42 ms of CPU (3 runs each, load ~6),
   * on the encoder worker's start-up path (docs/decisions.md, "CLI start-up: the encoder worker warms
   * up, and starts before the bundle loads"). parquet-wasm is our own dependency, not untrusted input.
   */
  setFlagsFromString('--wasm-lazy-validation');
  /**
   * `run` compiles undici's HTTP parser eagerly (src/cli/code-cache.ts, COMMAND_V8_FLAGS): lazily
   * again here, where most of parquet-wasm's functions are never called.
   */
  setFlagsFromString('--wasm-lazy-compilation');
  /**
   * `run` and the listings keep undici's HTTP parser (wasm) in Liftoff, V8's baseline compiler
   * (src/cli/code-cache.ts, COMMAND_V8_FLAGS): its TurboFan recompile cost ~0.2 s of a helper thread's
   * CPU per 20,000-record export for no gain. V8 picks a wasm function's tiers when it first compiles
   * it, so tiering switched back on here, before parquet-wasm's functions compile, gives the encoding
   * loops TurboFan (CPU of a snappy encode 7.2-7.7 s with the flags never set, 10.2-11.9 s in Liftoff,
   * 7.5-8.8 s with them put back first) while the parser's functions, compiled at the run's first
   * response, stay in Liftoff (docs/decisions.md, "`run`: undici's HTTP parser stays in Liftoff").
   */
  setFlagsFromString('--wasm-tier-up');
  setFlagsFromString('--wasm-dynamic-tiering');
}

const data = workerData as { parquetWasmUrl?: string; packagesFrom?: string };
let resolvedUrl: string | undefined;
/**
 * parquet-wasm's Node build: as given in `workerData`, else resolved here from `packagesFrom`, on
 * first use. The CLI passes the latter: resolving parquet-wasm (its `exports` map) cost the main
 * thread 3.5-6 ms of cold code at every `run`'s start-up, twice (docs/decisions.md, "CLI start-up:
 * parquet-wasm found by the encoder worker"), and it costs the worker 3.5-9 ms, which a one-record
 * `run` waited for when its worker was late: `checkParquetWasm` does it once the worker is idle.
 */
export function parquetWasmUrl(): string {
  resolvedUrl ??= data.parquetWasmUrl ?? pathToFileURL(createRequire(data.packagesFrom!).resolve('parquet-wasm')).href;
  return resolvedUrl;
}

/**
 * Throws (uncaught: the worker fails) when parquet-wasm cannot be found, so that a broken install
 * fails the worker even when its files all go through the own writer, as when parquet-wasm was
 * loaded at its start. worker.ts calls it once the worker has nothing else to do.
 */
export function checkParquetWasm(): void {
  statSync(fileURLToPath(parquetWasmUrl()));
}
let loadedWasm: typeof ParquetWasm | undefined;
/**
 * parquet-wasm, loaded on first use: a worker whose files all go through the own writer
 * (own-writer.ts) never compiles its 5 MB of wasm. Its Node build is CommonJS: `require` loads it
 * directly, where `import()` first scans its 110 KB with Node's CommonJS export lexer and wraps it as
 * an ES module (start-up of a worker, standalone, load ~9: 257-279 -> 173-218 ms of CPU;
 * docs/decisions.md, "CLI start-up: the encoder worker starts while the run plans").
 */
export function wasm(): typeof ParquetWasm {
  if (!loadedWasm) setWasmFlags();
  const url = parquetWasmUrl();
  loadedWasm ??= createRequire(url)(fileURLToPath(url)) as typeof ParquetWasm;
  return loadedWasm;
}

/** parquet-wasm's memory (0 while it is not loaded). */
export function wasmBytes(): number {
  return loadedWasm ? loadedWasm.wasmMemory().buffer.byteLength : 0;
}
