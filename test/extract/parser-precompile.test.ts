/**
 * undici's HTTP parser compiled ahead (src/extract/http/parser-precompile.ts): the bytes compiled are
 * the module undici itself compiles first, so V8's per-process cache of compiled modules turns
 * undici's compile into a lookup. If an undici release compiles another file, the second test fails
 * (the precompile would then only cost CPU).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { llhttpSimdBytes } from '../../src/extract/http/llhttp-bytes.js';

const require = createRequire(import.meta.url);
const clientH1 = require.resolve('undici/lib/dispatcher/client-h1.js');

declare const WebAssembly: { validate(bytes: Uint8Array): boolean; compile(bytes: Uint8Array): Promise<unknown> };

async function freshPrecompile() {
  vi.resetModules();
  return (await import('../../src/extract/http/parser-precompile.js')).precompileHttpParser;
}

describe('precompileHttpParser', () => {
  afterEach(() => vi.restoreAllMocks());

  it('compiles the bytes of undici’s own parser module, a valid wasm module', () => {
    const bytes = llhttpSimdBytes();
    expect(bytes).toBe(createRequire(clientH1)('../llhttp/llhttp_simd-wasm.js'));
    expect(WebAssembly.validate(bytes)).toBe(true);
  });

  it('is the module undici compiles first when a pool connects', () => {
    const source = readFileSync(clientH1, 'utf8');
    expect(source).toContain("new WebAssembly.Module(require('../llhttp/llhttp_simd-wasm.js'))");
    const simd = source.indexOf("new WebAssembly.Module(require('../llhttp/llhttp_simd-wasm.js'))");
    const fallback = source.indexOf("new WebAssembly.Module(llhttpWasmData || require('../llhttp/llhttp-wasm.js'))");
    expect(fallback).toBeGreaterThan(simd);
  });

  it('starts one compile per process', async () => {
    const compile = vi.spyOn(WebAssembly, 'compile');
    const precompile = await freshPrecompile();
    precompile({});
    precompile({});
    expect(compile).toHaveBeenCalledTimes(1);
    await expect(compile.mock.results[0].value).resolves.toBeDefined();
  });

  it('compiles nothing when undici will use its parser without SIMD', async () => {
    const compile = vi.spyOn(WebAssembly, 'compile');
    (await freshPrecompile())({ UNDICI_NO_WASM_SIMD: '1' });
    expect(compile).not.toHaveBeenCalled();
  });
});
