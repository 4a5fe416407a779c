/**
 * The V8 flags the CLI sets once a command is loaded (src/cli/code-cache.ts): which commands set
 * which, that the encoder worker's list matches what its modules set, and V8's defaults of them read
 * from this Node (put back before a code cache is made).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CACHED_COMMANDS,
  COMMAND_V8_FLAGS,
  KEEP_BYTECODE,
  WORKER_V8_FLAGS,
  commandV8Flags,
  v8FlagDefaults,
} from '../../src/cli/code-cache.js';

describe('V8 flags of the commands', () => {
  it('gives run and demo a bounded heap growth, them and the DQM Playground listings Liftoff only, run eager wasm compilation, no other command flags', () => {
    expect(Object.keys(COMMAND_V8_FLAGS).sort()).toEqual(['demo', 'histograms', 'lumisections', 'run', 'runs']);
    expect(COMMAND_V8_FLAGS.run).toEqual([
      '--heap-growing-percent=50',
      '--no-wasm-tier-up',
      '--no-wasm-dynamic-tiering',
      '--no-wasm-lazy-compilation',
    ]);
    expect(COMMAND_V8_FLAGS.demo).toEqual([
      '--heap-growing-percent=50',
      '--no-wasm-tier-up',
      '--no-wasm-dynamic-tiering',
    ]);
    for (const key of ['histograms', 'runs', 'lumisections'])
      expect(COMMAND_V8_FLAGS[key]).toEqual(['--no-wasm-tier-up', '--no-wasm-dynamic-tiering']);
    for (const key of Object.keys(COMMAND_V8_FLAGS)) expect(CACHED_COMMANDS).toContain(key);
  });

  it('sets the worker flags, bytecode kept, then the command flags; a CSV run without Liftoff', () => {
    expect(KEEP_BYTECODE).toEqual(['--no-flush-bytecode']);
    expect(commandV8Flags('run')).toEqual([...WORKER_V8_FLAGS, ...KEEP_BYTECODE, ...COMMAND_V8_FLAGS.run!]);
    expect(commandV8Flags('run', 'csv')).toEqual([...WORKER_V8_FLAGS, ...KEEP_BYTECODE, '--heap-growing-percent=50']);
    expect(commandV8Flags('histograms', 'list')).toEqual([
      ...WORKER_V8_FLAGS,
      ...KEEP_BYTECODE,
      '--no-wasm-tier-up',
      '--no-wasm-dynamic-tiering',
    ]);
    expect(commandV8Flags('validate')).toEqual([...WORKER_V8_FLAGS, ...KEEP_BYTECODE]);
    expect(commandV8Flags('serve')).toEqual([...WORKER_V8_FLAGS, ...KEEP_BYTECODE]);
  });

  it('lists the V8 flags the Parquet encoder worker sets (the CLI sets the same once the command is loaded)', () => {
    const set = ['wasm-loader.ts', 'worker-output.ts'].flatMap((name) => {
      const text = readFileSync(new URL(`../../src/load/parquet/${name}`, import.meta.url), 'utf8');
      return [...text.matchAll(/setFlagsFromString\('([^']+)'\)/g)].map((m) => m[1]);
    });
    expect(set.sort()).toEqual([...WORKER_V8_FLAGS].sort());
  });

  it("reads V8's defaults of those flags from this Node's --v8-options", () => {
    const listing = [
      '  --wasm-tiering-budget (budget for dynamic tiering)',
      '        type: int  default: --wasm-tiering-budget=1800000',
      '  --wasm-lazy-validation (enable lazy validation)',
      '        type: bool  default: --no-wasm-lazy-validation',
      '  --wasm-lazy-compilation (enable lazy compilation for all wasm modules)',
      '        type: bool  default: --wasm-lazy-compilation',
      '  --expose-gc (expose gc extension)',
      '        type: bool  default: --no-expose-gc',
      '  --flush-bytecode (flush of bytecode when it has not been executed recently)',
      '        type: bool  default: --flush-bytecode',
      '  --heap-growing-percent (specifies heap growing factor)',
      '        type: int  default: --heap-growing-percent=0',
      '  --wasm-tier-up (enable tier up to the optimizing compiler (requires --liftoff to have an effect))',
      '        type: bool  default: --wasm-tier-up',
      '  --wasm-dynamic-tiering (enable dynamic tier up to the optimizing compiler)',
      '        type: bool  default: --wasm-dynamic-tiering',
      '  --semi-space-growth-factor (factor by which to grow the new space)',
      '        type: int  default: --semi-space-growth-factor=2',
    ].join('\n');
    expect(v8FlagDefaults(() => listing)).toEqual([
      '--wasm-tiering-budget=1800000',
      '--no-wasm-lazy-validation',
      '--wasm-lazy-compilation',
      '--wasm-tier-up',
      '--wasm-dynamic-tiering',
      '--no-expose-gc',
      '--flush-bytecode',
      '--heap-growing-percent=0',
      '--semi-space-growth-factor=2',
    ]);
    // A flag missing from the listing: no defaults (the cache is then not written).
    expect(v8FlagDefaults(() => listing.split('\n').slice(2).join('\n'))).toBeUndefined();
    expect(
      v8FlagDefaults(() => {
        throw new Error('no node');
      }),
    ).toBeUndefined();
    const here = v8FlagDefaults();
    expect(here).toHaveLength(9);
    expect(here).toContain('--no-expose-gc');
    expect(here).toContain('--flush-bytecode');
    expect(here).toContain('--semi-space-growth-factor=2');
    expect(here).toContain('--heap-growing-percent=0');
  });
});
