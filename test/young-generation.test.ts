import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../src/version.js';

const MODULE = join(PACKAGE_ROOT, 'dist', 'src', 'young-generation.js');
const built = existsSync(MODULE);

/**
 * Runs in a fresh process (a test runner's heap has long grown to its maximum): the size of the
 * main thread's young generation after allocating, with survivors, 3 million small objects in each
 * phase. A worker thread starts while the hold is in force (V8 resets the growth factor then).
 */
const SCRIPT = `
import v8 from 'node:v8';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
const { holdYoungGenerations } = await import(${JSON.stringify(pathToFileURL(MODULE).href)});
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const churn = () => {
  let keep = [];
  for (let i = 0; i < 3e6; i++) {
    const o = { a: i, b: [i] };
    if (i % 3 === 0) keep.push(o);
    if (keep.length > 200000) keep = [];
  }
};
const outer = holdYoungGenerations();
churn();
const held = newSpace();
const inner = holdYoungGenerations();
const worker = new Worker('', { eval: true });
await once(worker, 'online');
churn();
const afterWorker = newSpace();
inner();
inner();
churn();
const stillHeld = newSpace();
await worker.terminate();
outer();
churn();
console.log(JSON.stringify({ held, afterWorker, stillHeld, after: newSpace() }));
`;

describe.skipIf(!built)('holdYoungGenerations', () => {
  it('keeps the young generation at its size, across a worker start and nested holds, until the last release', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', SCRIPT]);
    const { held, afterWorker, stillHeld, after } = JSON.parse(stdout) as Record<string, number>;
    expect(afterWorker).toBe(held);
    expect(stillHeld).toBe(held);
    expect(after).toBeGreaterThan(held);
  });
});
