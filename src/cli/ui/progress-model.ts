/**
 * What the progress bar shows, as a pure function. The total is the planned number of records (page
 * 1 of every slice gives its count: `plan` probes them, a plan file carries them), so the bar moves
 * from 0 to 100 % over the whole run and the ETA means something. Without a plan the total is what
 * has been seen so far, and the view says it is not an estimate of the end.
 */

/** Inputs of the view. */
export interface ProgressInput {
  /** Records the plan expects (all streams), or null when there is no plan. */
  planned: number | null;
  /** Records received so far. */
  done: number;
  /** The run has ended: the bar shows it complete. */
  finished: boolean;
  /** Time since the run started, ms. */
  elapsedMs: number;
}

/** What to draw. */
export interface ProgressView {
  value: number;
  total: number;
  /** 0..100, whole. */
  percentage: number;
  /** Seconds left at the mean rate so far; null without a plan or before any record. */
  etaSeconds: number | null;
  /** True when `total` is the plan's (a real end), false when it only follows what was seen. */
  planned: boolean;
}

/** The bar for `input`. A plan that undercounted (the data grew) stretches to what was seen. */
export function progressView(input: ProgressInput): ProgressView {
  const { done } = input;
  const planned = input.planned !== null && input.planned > 0;
  const total = input.finished ? done : Math.max(planned ? input.planned! : done, done);
  const percentage = total > 0 ? Math.floor((100 * done) / total) : input.finished ? 100 : 0;
  let etaSeconds: number | null = null;
  if (input.finished) etaSeconds = 0;
  else if (planned && done > 0 && input.elapsedMs > 0)
    etaSeconds = Math.round(((total - done) * input.elapsedMs) / done / 1000);
  return { value: done, total, percentage, etaSeconds, planned: planned || input.finished };
}

/** `1m05s`, `42s`, `?` for an ETA in seconds (null: unknown). */
export function formatEta(seconds: number | null): string {
  if (seconds === null) return '?';
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}
