/** CommitQueue (src/pipeline/commit-queue.ts): bounded commits beside the loop, failures surfaced once. */
import { describe, expect, it } from 'vitest';
import { CommitQueue } from '../../src/pipeline/commit-queue.js';

/** A commit that ends when `end()` is called (or fails with `fail()`). */
function gate() {
  let end!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    end = resolve;
    fail = reject;
  });
  return { done, end, fail };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('CommitQueue', () => {
  it('runs at most `limit` commits at once, and drain waits for all', async () => {
    const queue = new CommitQueue(2);
    const gates = [gate(), gate(), gate()];
    const started: number[] = [];
    await queue.add(() => (started.push(0), gates[0]!.done));
    await queue.add(() => (started.push(1), gates[1]!.done));
    let third = false;
    const adding = queue.add(() => (started.push(2), gates[2]!.done)).then(() => (third = true));
    await tick();
    expect(started).toEqual([0, 1]);
    expect(third).toBe(false);
    gates[1]!.end();
    await adding;
    expect(started).toEqual([0, 1, 2]);
    let drained = false;
    const draining = queue.drain().then(() => (drained = true));
    gates[2]!.end();
    await tick();
    expect(drained).toBe(false);
    gates[0]!.end();
    await draining;
    expect(drained).toBe(true);
  });

  it('throws a failed commit at the next add, without starting that commit, and from drain', async () => {
    const queue = new CommitQueue(4);
    const failing = gate();
    await queue.add(() => failing.done);
    failing.fail(new Error('disk full'));
    await tick();
    let started = false;
    await expect(queue.add(async () => void (started = true))).rejects.toThrow('disk full');
    expect(started).toBe(false);
    await expect(queue.drain()).rejects.toThrow('disk full');
  });

  it('keeps the first failure, and settle waits for every commit without throwing', async () => {
    const queue = new CommitQueue(4);
    const gates = [gate(), gate(), gate()];
    for (const g of gates) await queue.add(() => g.done);
    gates[1]!.fail(new Error('first'));
    await tick();
    gates[2]!.fail(new Error('second'));
    let settled = false;
    const settling = queue.settle().then(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
    gates[0]!.end();
    await settling;
    await expect(queue.drain()).rejects.toThrow('first');
  });

  it('treats a limit below 1 as 1', async () => {
    const queue = new CommitQueue(0);
    const first = gate();
    await queue.add(() => first.done);
    let second = false;
    const adding = queue.add(async () => void (second = true));
    await tick();
    expect(second).toBe(false);
    first.end();
    await adding;
    await queue.drain();
    expect(second).toBe(true);
  });
});
