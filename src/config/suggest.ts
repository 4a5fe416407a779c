/**
 * "Did you mean ...?" for pipeline files: close names by edit distance (typos like `tranform`), and
 * related filter names by `__` segment (`run` -> `lumisection__run__run_number`, which is what a
 * histogram list needs, since the real server silently ignores a bare `run`).
 */

/** Edit distance (insertions, deletions, substitutions), two rows of memory. */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Up to `limit` candidates close to `value`, best first: typos within about a third of the
 * candidate's length, case-insensitively, then names that contain `value` as a `__` segment.
 * Returns [] when nothing is close, so callers print no hint rather than a random one.
 */
export function suggest(value: string, candidates: readonly string[], limit = 3): string[] {
  const v = value.toLowerCase();
  const scored: { name: string; score: number }[] = [];
  for (const name of candidates) {
    const n = name.toLowerCase();
    if (n === v) {
      scored.push({ name, score: 0 });
      continue;
    }
    const d = levenshtein(v, n);
    const segments = n.split('__');
    const related = n.includes('__') && v.length >= 2 && (segments.includes(v) || segments.some((s) => v.length >= 3 && s.startsWith(v)));
    // A related name ranks just after a one-letter typo; among them, shorter names first.
    const score = d <= Math.max(1, Math.floor(n.length / 3)) ? d : related ? 1.5 + n.length / 1000 : Infinity;
    if (Number.isFinite(score)) scored.push({ name, score });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return [...new Set(scored.map((s) => s.name))].slice(0, limit);
}

/** ` (did you mean "x"?)`, ` (did you mean "x" or "y"?)`, or '' when nothing is close. */
export function didYouMean(value: string, candidates: readonly string[]): string {
  const hints = suggest(value, candidates);
  if (hints.length === 0) return '';
  return ` (did you mean ${hints.map((h) => JSON.stringify(h)).join(' or ')}?)`;
}
