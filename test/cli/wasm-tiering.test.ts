/**
 * What `run`'s Liftoff-only flags rely on (src/cli/code-cache.ts COMMAND_V8_FLAGS, and the encoder
 * worker switching wasm tiering back on before it compiles parquet-wasm, src/load/parquet/worker.ts):
 * V8 picks a wasm function's tiers when it first compiles it. Checked in a child process with V8's
 * natives syntax on two small modules: one compiled and run under `run`'s flags (undici's HTTP parser
 * at the first response) stays in Liftoff, even run hot after tiering is back on; one compiled after
 * that (parquet-wasm in a fallback file) tiers up to TurboFan.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { COMMAND_V8_FLAGS, WORKER_V8_FLAGS } from '../../src/cli/code-cache.js';

/** The child's script: `(x) => x + k` as a wasm module (k < 64), made hot, its tier reported. */
const SCRIPT = `
  const v8 = require('node:v8');
  const [worker, command] = JSON.parse(process.argv[1]);
  for (const flag of [...worker, ...command]) v8.setFlagsFromString(flag);
  // A small budget so that a few million calls tier up (the CLI's is 100x V8's default).
  v8.setFlagsFromString('--wasm-tiering-budget=1000');
  const wasmModule = (k) => new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
    1, 6, 1, 0x60, 1, 0x7f, 1, 0x7f, 3, 2, 1, 0, 7, 5, 1, 1, 0x66, 0, 0,
    10, 9, 1, 7, 0, 0x20, 0, 0x41, k, 0x6a, 0x0b]));
  const exported = (m) => new WebAssembly.Instance(m).exports.f;
  const tier = (f) => (%IsTurboFanFunction(f) ? 'turbofan' : %IsLiftoffFunction(f) ? 'liftoff' : 'other');
  const hot = (f) => { let s = 0; for (let i = 0; i < 1e6; i++) s = f(s) & 0xffff; return s; };
  const parser = exported(wasmModule(1));
  hot(parser);
  const parserBefore = tier(parser);
  for (const flag of ['--wasm-tier-up', '--wasm-dynamic-tiering']) v8.setFlagsFromString(flag);
  const encoder = exported(wasmModule(2));
  (async () => {
    // Tier-up compiles on a helper thread: run both hot until the encoder's code is in (or give up).
    for (let round = 0; round < 500 && tier(encoder) !== 'turbofan'; round++) {
      hot(encoder);
      hot(parser);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    hot(parser);
    process.stdout.write(JSON.stringify({ parserBefore, parserAfter: tier(parser), encoder: tier(encoder) }));
  })();
`;

describe("run's wasm flags", () => {
  test('a wasm function compiled under them stays in Liftoff; one compiled after tiering is back on gets TurboFan', () => {
    const flags = JSON.stringify([WORKER_V8_FLAGS, COMMAND_V8_FLAGS.run]);
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '-e', SCRIPT, flags], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
      timeout: 60_000,
    });
    expect(JSON.parse(out)).toEqual({ parserBefore: 'liftoff', parserAfter: 'liftoff', encoder: 'turbofan' });
  });
});
