/**
 * "Did you mean ...?" for pipeline files: close names by edit distance (typos like `tranform`,
 * `titel`), and related filter names by `__` segment (`run` -> `lumisection__run__run_number`,
 * which is what a histogram list needs, since the real server silently ignores a bare `run`).
 */

/**
 * Edit distance with adjacent transpositions (optimal string alignment): `titel` -> `title` is one
 * edit, as a typist would count it. Three rows of memory.
 */
export function levenshtein(a: string, b: string): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], prev2[j - 2] + 1);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Up to `limit` candidates close to `value`, best first: a case-insensitive match alone; else typos
 * within about a third of the candidate's length, and names that contain `value` as a `__`
 * segment, keeping only those about as close as the best. Candidates of one or two characters
 * (`1`, `2`) get no typo hints: any value is "close" to them. Returns [] when nothing is close,
 * so callers print no hint rather than a random one.
 */
export function suggest(value: string, candidates: readonly string[], limit = 3): string[] {
  const v = value.toLowerCase();
  const exact = candidates.find((c) => c.toLowerCase() === v);
  if (exact !== undefined) return [exact];
  const scored: { name: string; score: number }[] = [];
  for (const name of candidates) {
    const n = name.toLowerCase();
    const segments = n.split('__');
    const related =
      segments.length > 1 &&
      v.length >= 2 &&
      (segments.includes(v) || (v.length >= 3 && segments.some((s) => s.startsWith(v))));
    const d = n.length > 2 ? levenshtein(v, n) : Infinity;
    // A related name ranks just after a one-letter typo; among them, shorter names first.
    const score = d <= Math.max(1, Math.floor(n.length / 3)) ? d : related ? 1.5 + n.length / 1000 : Infinity;
    if (Number.isFinite(score)) scored.push({ name, score });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  const best = scored[0]?.score ?? 0;
  return scored
    .filter((s) => s.score <= best + 0.5)
    .slice(0, limit)
    .map((s) => s.name);
}

/** ` (did you mean "x"?)`, ` (did you mean "x" or "y"?)`, or '' when nothing is close. */
export function didYouMean(value: string, candidates: readonly string[]): string {
  const hints = suggest(value, candidates);
  if (hints.length === 0) return '';
  return ` (did you mean ${hints.map((h) => JSON.stringify(h)).join(' or ')}?)`;
}
