/**
 * Small deterministic randomness: a seeded PRNG for faults and shuffling (so a failing run can be
 * replayed with the same `--seed`), integer hashing for synthetic data, and a cheap per-request
 * permutation of a list of any length.
 */

/** 32-bit integer finaliser (murmur3 fmix32): a bijection that spreads every input bit. */
export function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Hash of a few small integers, order-sensitive. */
export function hashInts(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) h = mix32((h ^ (v >>> 0)) + Math.imul(h, 31));
  return h;
}

/** A seeded PRNG (mulberry32): fast, 32-bit state, good enough for fault injection. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = mix32(seed >>> 0) || 1;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** (a * k + b) mod n without losing precision when n is large. */
function affine(a: number, b: number, k: number, n: number): number {
  if (n < 2 ** 26) return (a * k + b) % n;
  return Number((BigInt(a) * BigInt(k) + BigInt(b)) % BigInt(n));
}

/**
 * A random permutation of 0..n-1 as a function (k -> a*k + b mod n, with a coprime to n): O(1)
 * memory for any n, which is what a server presenting millions of synthetic rows needs, and
 * different from one request to the next, which is what `--shuffle` is for.
 */
export function randomPermutation(prng: Prng, n: number): (k: number) => number {
  if (n <= 1) return (k) => k;
  let a = 1 + prng.int(n - 1);
  while (gcd(a, n) !== 1) a = (a % (n - 1)) + 1;
  const b = prng.int(n);
  return (k) => affine(a, b, k, n);
}
