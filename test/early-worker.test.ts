/**
 * The hand-over of a worker started ahead (src/early-worker.ts, behind the Parquet encoder's and the
 * CSV worker's): started once, adopted once and only for its own script, not adopted after a failure,
 * and unref'd while it waits, its listeners included (a 'message' listener attached after `unref()`
 * made the encoder's early worker keep the process alive).
 */
import { expect, test } from 'vitest';
import { earlyWorker } from '../src/early-worker.js';

/** A worker script as a data: URL. */
const script = (source: string): URL => new URL(`data:text/javascript,${encodeURIComponent(source)}`);
const idle = script('setInterval(() => {}, 60_000)');

/** Message ports that keep the event loop alive now. */
function refPorts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
}

test('a waiting worker keeps nothing alive, listeners included; it is handed over once, ref’d', async () => {
  const early = earlyWorker<undefined>('dqm-export.test.early-1', (m) => m === 'fatal');
  const before = refPorts();
  const worker = early.start(idle, undefined);
  expect(refPorts()).toBe(before);
  expect(early.start(idle, undefined)).toBe(worker);
  try {
    expect(early.take(script('void 0'))).toBeUndefined(); // another script
    expect(early.take(idle)).toBe(worker);
    expect(early.take(idle)).toBeUndefined(); // once
  } finally {
    await worker.terminate();
  }
});

test('a worker whose message says it failed is not adopted, and is terminated', async () => {
  const early = earlyWorker<undefined>('dqm-export.test.early-2', (m) => m === 'fatal');
  const failing = script("import { parentPort } from 'node:worker_threads'; parentPort.postMessage('fatal');");
  const worker = early.start(failing, undefined);
  await new Promise((resolve) => worker.once('message', resolve));
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  expect(early.take(failing)).toBeUndefined();
  await exited;
});

test('a worker that exited before it was adopted is not adopted', async () => {
  const early = earlyWorker<undefined>('dqm-export.test.early-3');
  const quitting = script('process.exit(3)');
  const worker = early.start(quitting, undefined);
  await new Promise((resolve) => worker.once('exit', resolve));
  expect(early.take(quitting)).toBeUndefined();
});
