/**
 * Repair by narrowing: a histogram scope whose pages did not add up is split into narrower scopes
 * (runs, then lumisection ranges of one run, then titles) that together cover exactly the same
 * records, each sized to fit one page. A single-page response is one SQL query, so it is internally
 * consistent even on an unordered list; the union of the narrow scopes is then complete.
 */
import { isHistogramEndpoint, type Endpoint, type Filters } from '../domain.js';
import { constraintOf, isSingle, lsKeys, restrictTo, runKeys, satisfies } from './constraints.js';
import { runsInScope } from './plan.js';
import type { DqmClient } from './types.js';

/**
 * Cuts sorted `values` into consecutive chunks expected to hold at most `perPage` records each,
 * assuming `total` records spread evenly; always at least two chunks when there are two values.
 */
export function chunkForPages(values: readonly number[], total: number, perPage: number): number[][] {
  if (values.length <= 1) return [values.slice()];
  const perValue = Math.max(total / values.length, 1e-9);
  let size = Math.max(1, Math.floor(perPage / perValue));
  if (size >= values.length) size = Math.ceil(values.length / 2);
  const chunks: number[][] = [];
  for (let i = 0; i < values.length; i += size) chunks.push(values.slice(i, i + size));
  return chunks;
}

/** Splits scopes; caches the run list and each run's lumisection numbers for the whole extraction. */
export class Narrower {
  private runs: Promise<number[]> | undefined;
  private readonly lumisections = new Map<number, Promise<number[]>>();

  constructor(
    private readonly client: DqmClient,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Narrower filters that partition `filters`, or [] when the scope cannot be split (not a histogram
   * list, or already one lumisection and one title).
   */
  async narrow(endpoint: Endpoint, filters: Filters, total: number, perPage: number): Promise<Filters[]> {
    if (!isHistogramEndpoint(endpoint)) return [];
    const runK = runKeys(endpoint)!;
    const lsK = lsKeys(endpoint)!;
    const rc = constraintOf(filters, runK);
    let scoped = filters;
    let run: number | undefined = rc.eq ?? (isSingle(rc) ? (rc.in?.[0] ?? rc.gte) : undefined);
    if (run === undefined) {
      const runs = runsInScope(endpoint, filters, await this.serverRuns());
      if (runs.length > 1)
        return chunkForPages(runs, total, perPage).map((chunk) =>
          restrictTo(filters, runK, chunk, rc.in === undefined),
        );
      if (runs.length === 0) return [];
      run = runs[0];
      scoped = restrictTo(filters, runK, [run], true);
    }
    const lc = constraintOf(scoped, lsK);
    if (!isSingle(lc)) {
      const numbers = (await this.lumisectionsOf(run)).filter((ls) => satisfies(lc, ls));
      if (numbers.length > 1)
        return chunkForPages(numbers, total, perPage).map((chunk) =>
          restrictTo(scoped, lsK, chunk, lc.in === undefined),
        );
    }
    const titles = Array.isArray(scoped.title) ? [...new Set(scoped.title.map(String))] : [];
    if (titles.length > 1) {
      const half = Math.ceil(titles.length / 2);
      return [titles.slice(0, half), titles.slice(half)].map((t) => ({ ...scoped, title: t }));
    }
    return [];
  }

  private serverRuns(): Promise<number[]> {
    this.runs ??= this.client.listAll('runs', {}, { signal: this.signal }).then((rs) => rs.map((r) => r.run_number));
    return this.runs;
  }

  private lumisectionsOf(run: number): Promise<number[]> {
    let p = this.lumisections.get(run);
    if (!p) {
      p = this.client
        .listAll('lumisections', { run }, { signal: this.signal })
        .then((ls) => [...new Set(ls.map((l) => l.ls_number))].sort((a, b) => a - b));
      this.lumisections.set(run, p);
    }
    return p;
  }
}
