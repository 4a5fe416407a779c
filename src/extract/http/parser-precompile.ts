/**
 * undici compiles its HTTP parser (llhttp, a wasm module) synchronously when a pool makes its first
 * connection: 3.5-4 ms of the main thread, on the way to every export's first response. V8 keeps one
 * compiled module per process for the same bytes, so a `WebAssembly.compile` of those bytes started
 * earlier, which V8 runs on its background threads, turns undici's compile into a lookup (0.2 ms).
 * docs/decisions.md, "CLI start-up: undici's HTTP parser compiled in the background".
 *
 * The bytes are undici's own module (llhttp-bytes.ts: the same instance in the bundle, so its base64
 * is decoded once, as undici would at its first connection). Compiled after the command's V8 flags are set: a wasm
 * module's tiers are fixed when it is compiled, and `run` keeps this parser in Liftoff
 * (src/cli/code-cache.ts).
 */
import { llhttpSimdBytes } from './llhttp-bytes.js';

/** The one WebAssembly call made here (neither the ES2023 lib nor @types/node declares WebAssembly). */
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<unknown> };

let started = false;

/**
 * Starts compiling undici's parser, once per process, unless undici will compile another build of
 * it (without SIMD: `UNDICI_NO_WASM_SIMD=1`, or ppc64, which undici checks the same way). Never
 * throws: a failed compile is undici's to report at its own.
 */
export function precompileHttpParser(env: NodeJS.ProcessEnv = process.env): void {
  if (started || env.UNDICI_NO_WASM_SIMD === '1' || process.arch === 'ppc64') return;
  started = true;
  WebAssembly.compile(llhttpSimdBytes()).catch(() => undefined);
}
