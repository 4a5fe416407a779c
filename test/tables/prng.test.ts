/** Seeded randomness: reproducible, and permutations that are permutations. */
import { describe, expect, it } from 'vitest';
import { Prng, randomPermutation } from '../../src/tables/prng.js';

describe('Prng', () => {
  it('is reproducible per seed and uniform enough', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    expect(new Prng(43).next()).not.toBe(xs[0]);
  });
});

describe('randomPermutation', () => {
  it.each([1, 2, 7, 240, 1000])('is a bijection of 0..%i-1', (n) => {
    const perm = randomPermutation(new Prng(n), n);
    const seen = new Set(Array.from({ length: n }, (_, k) => perm(k)));
    expect(seen.size).toBe(n);
    expect([...seen].every((v) => v >= 0 && v < n)).toBe(true);
  });

  it('works past 2^26 without losing precision', () => {
    const n = 2 ** 40 + 7;
    const perm = randomPermutation(new Prng(1), n);
    const values = [0, 1, 2, n - 1].map(perm);
    expect(new Set(values).size).toBe(4);
    expect(values.every((v) => Number.isInteger(v) && v >= 0 && v < n)).toBe(true);
  });
});
