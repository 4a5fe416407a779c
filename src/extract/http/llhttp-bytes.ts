/**
 * undici's HTTP parser as wasm bytes: undici's own module, so in the CLI's bundle it is the instance
 * undici reads (its base64 decoded once). Read with `require`, not imported: the module's export is a
 * Buffer, and an ES import of it makes the bundle copy every byte into a namespace object, one
 * property each.
 */
import { createRequire } from 'node:module';

const LLHTTP_SIMD = 'undici/lib/llhttp/llhttp_simd-wasm.js';

export function llhttpSimdBytes(): Uint8Array {
  // In the bundle (CommonJS) `require` is the bundle's own, which esbuild resolves to the bundled
  // module; tsc's ES-module output has none, and Node's require then shares undici's instance.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the point of this file (above)
  if (typeof require === 'function') return require('undici/lib/llhttp/llhttp_simd-wasm.js') as Uint8Array;
  return createRequire(import.meta.url)(LLHTTP_SIMD) as Uint8Array;
}
