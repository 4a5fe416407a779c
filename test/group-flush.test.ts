/** GroupFlush (src/group-flush.ts): every caller's flush starts after its call; callers share flushes. */
import { describe, expect, it } from 'vitest';
import { GroupFlush, KeyedGroupFlush } from '../src/group-flush.js';

const tick = () => new Promise((r) => setImmediate(r));

/** A flush whose runs end when told to; records when each started. */
function controlled() {
  const runs: { end: () => void; fail: (e: Error) => void }[] = [];
  const flush = () =>
    new Promise<void>((resolve, reject) => {
      runs.push({ end: resolve, fail: reject });
    });
  return { runs, flush };
}

describe('GroupFlush', () => {
  it('starts at once when idle; callers during a flush share the next one', async () => {
    const { runs, flush } = controlled();
    const group = new GroupFlush(flush);
    const done: string[] = [];
    const a = group.request().then(() => done.push('a'));
    expect(runs).toHaveLength(1);
    const b = group.request().then(() => done.push('b'));
    const c = group.request().then(() => done.push('c'));
    await tick();
    expect(runs).toHaveLength(1); // b and c wait for the next flush: theirs must start after their call
    runs[0]!.end();
    await a;
    await tick();
    expect(done).toEqual(['a']);
    expect(runs).toHaveLength(2);
    const d = group.request().then(() => done.push('d')); // the second runs: d needs a third
    runs[1]!.end();
    await Promise.all([b, c]);
    await tick();
    expect(runs).toHaveLength(3);
    runs[2]!.end();
    await d;
    expect(done).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rejects the callers of a failed flush only; the next flush runs', async () => {
    const { runs, flush } = controlled();
    const group = new GroupFlush(flush);
    const a = group.request();
    const b = group.request();
    runs[0]!.fail(new Error('EIO'));
    await expect(a).rejects.toThrow('EIO');
    await tick();
    runs[1]!.end();
    await expect(b).resolves.toBeUndefined();
    const c = group.request();
    expect(runs).toHaveLength(3);
    runs[2]!.end();
    await c;
  });
});

describe('KeyedGroupFlush', () => {
  it('groups per key and forgets idle keys', async () => {
    const started: string[] = [];
    const ends: (() => void)[] = [];
    const keyed = new KeyedGroupFlush(
      (key) =>
        new Promise<void>((resolve) => {
          started.push(key);
          ends.push(resolve);
        }),
    );
    const a1 = keyed.request('a');
    const b1 = keyed.request('b');
    const a2 = keyed.request('a');
    expect(started).toEqual(['a', 'b']);
    ends[0]!();
    ends[1]!();
    await Promise.all([a1, b1]);
    await tick();
    expect(started).toEqual(['a', 'b', 'a']);
    ends[2]!();
    await a2;
    const a3 = keyed.request('a');
    expect(started).toEqual(['a', 'b', 'a', 'a']);
    ends[3]!();
    await a3;
  });
});
