/**
 * settleArrayBufferDetaching: after it, a transfer (a detach) no longer discards optimised
 * typed-array code. Checked in a child process with V8's natives syntax (the function's own source
 * run there): a function is optimised, an ArrayBuffer is transferred, and the function must still be
 * optimised; without the call first, the same steps deoptimise it.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { settleArrayBufferDetaching } from '../../../src/load/parquet/array-buffer-detach.js';

/** The child's script: prints whether `sum` is still optimised after a transfer. */
function script(settleFirst: boolean): string {
  return `
    let settled = false;
    const settleArrayBufferDetaching = ${settleArrayBufferDetaching.toString()};
    ${settleFirst ? 'settleArrayBufferDetaching();' : ''}
    function sum(a) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s; }
    const f = new Float64Array(16).fill(1);
    %PrepareFunctionForOptimization(sum);
    sum(f); sum(f);
    %OptimizeFunctionOnNextCall(sum);
    sum(f);
    const before = (%GetOptimizationStatus(sum) & 16) !== 0;
    const b = new ArrayBuffer(8);
    structuredClone(b, { transfer: [b] });
    const after = (%GetOptimizationStatus(sum) & 16) !== 0;
    process.stdout.write(JSON.stringify({ before, after }));
  `;
}

function run(settleFirst: boolean): { before: boolean; after: boolean } {
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '-e', script(settleFirst)], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(out) as { before: boolean; after: boolean };
}

describe('settleArrayBufferDetaching', () => {
  test('a transfer after it leaves optimised typed-array code in place; without it, the code is discarded', () => {
    expect(run(false)).toEqual({ before: true, after: false });
    expect(run(true)).toEqual({ before: true, after: true });
  });

  test('can be called any number of times', () => {
    settleArrayBufferDetaching();
    settleArrayBufferDetaching();
    const view = new Uint8Array([1, 2, 3]);
    expect([...structuredClone(view)]).toEqual([1, 2, 3]);
  });
});
