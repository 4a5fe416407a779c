/**
 * Native zstd for Parquet pages (the own writer's and src/load/parquet/page-recompressor.ts), level 1
 * like arrow-rs' default, so files keep their size: the optional `zstd-napi` addon (built from its
 * bundled zstd sources at install; one compression context reused for the worker's life), else
 * Node's own `zlib.zstdCompressSync` where the runtime has it (22.15+, 23.8+), which sets up a context
 * per call: 1.98 ms per 1 MB page on Node 22.23 and 0.47 ms on 24.21, against 0.26-0.27 ms for
 * zstd-napi (docs/decisions.md, "Load: zstd-napi before Node's zlib"). When neither loads, the
 * encoder keeps parquet-wasm's zstd (compiled to wasm, ~3x the CPU): docs/decisions.md, "Load:
 * Parquet pages compressed by native zstd".
 *
 * Imports only Node built-ins: the Parquet encoder worker loads it.
 */
import { createRequire } from 'node:module';

/**
 * A loaded provider: its name (for logs and the benchmark) and its page compressor, whose result
 * is valid until its next call (zstd-napi compresses into one reused buffer).
 */
export interface NativeZstd {
  name: 'node:zlib' | 'zstd-napi';
  compress: (body: Uint8Array) => Uint8Array;
}

/** The part of zstd-napi's low-level API (`zstd-napi/binding`, public) used here. */
interface ZstdNapiBinding {
  CCtx: new () => {
    setParameter(parameter: number, value: number): void;
    compress2(dst: Uint8Array, src: Uint8Array): number;
  };
  CParameter: { compressionLevel: number };
  compressBound(size: number): number;
}

/** The part of Node 22.15+'s zlib used here (absent from Node 20's types). */
interface ZlibZstd {
  zstdCompressSync?: (buffer: Uint8Array, options: { params: Record<number, number> }) => Uint8Array;
  constants: { ZSTD_c_compressionLevel?: number };
}

/** arrow-rs' default zstd level, what parquet-wasm's own codec uses. */
const LEVEL = 1;
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** The provider works: a small buffer comes out as one zstd frame. */
function checked(provider: NativeZstd): NativeZstd {
  const frame = provider.compress(new Uint8Array(64).fill(7));
  if (!ZSTD_MAGIC.every((b, i) => frame[i] === b)) throw new Error(`${provider.name} did not produce a zstd frame`);
  return provider;
}

/**
 * Whether this runtime's zlib can have zstd (Node 22.15+, 23.8+): elsewhere node:zlib is not loaded
 * at all, 2.8 ms of the encoder worker's start-up on Node 20 for nothing.
 */
export function zlibMayHaveZstd(version: string = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 8) || (major === 22 && minor >= 15);
}

function nodeZlib(): NativeZstd | undefined {
  if (!zlibMayHaveZstd()) return undefined;
  const z = process.getBuiltinModule('node:zlib') as unknown as ZlibZstd;
  const level = z.constants.ZSTD_c_compressionLevel;
  if (typeof z.zstdCompressSync !== 'function' || level === undefined) return undefined;
  const compress = z.zstdCompressSync;
  const options = { params: { [level]: LEVEL } };
  return checked({ name: 'node:zlib', compress: (body) => compress(body, options) });
}

/**
 * zstd-napi's low-level context, compressing into one buffer kept for the worker's life: its
 * high-level `compress` allocates a compressBound-sized buffer per call and copies the result out,
 * ~1.3 MB of native garbage per 1 MB page, which showed as peak RSS (docs/decisions.md).
 */
function zstdNapi(resolveFrom: string): NativeZstd {
  const binding = createRequire(resolveFrom)('zstd-napi/binding') as ZstdNapiBinding;
  const context = new binding.CCtx();
  // ZSTD_compress2 with the level as a parameter: the frames arrow-rs' zstd writes, byte for byte
  // (ZSTD_compressCCtx tunes its parameters to the input size and gives other bytes).
  context.setParameter(binding.CParameter.compressionLevel, LEVEL);
  let scratch = new Uint8Array(0);
  const compress = (body: Uint8Array): Uint8Array => {
    const bound = binding.compressBound(body.byteLength);
    if (scratch.byteLength < bound) scratch = new Uint8Array(bound);
    return scratch.subarray(0, context.compress2(scratch, body));
  };
  return checked({ name: 'zstd-napi', compress });
}

/**
 * Loads the native provider: zstd-napi resolved from `resolveFrom` (a file URL or path inside the
 * package's node_modules tree), else Node's zlib when it has zstd (an install where the optional
 * addon did not build). Never throws: what failed comes back as `error`, for a debug line.
 */
export function loadNativeZstd(resolveFrom: string): { zstd: NativeZstd } | { error: string } {
  const errors: string[] = [];
  try {
    return { zstd: zstdNapi(resolveFrom) };
  } catch (err) {
    errors.push(`zstd-napi: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    const builtIn = nodeZlib();
    if (builtIn) return { zstd: builtIn };
  } catch (err) {
    errors.push(`node:zlib: ${(err as Error).message}`);
  }
  return { error: errors.join('; ') };
}
