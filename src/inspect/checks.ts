/**
 * The checks as the reports name them, and the JSON form of an inspection for scripts (everything
 * but the per-bin arrays, which only the HTML report draws). Pure functions of `DatasetReport`.
 */
import type { CheckCounts, DatasetReport } from './types.js';

/** Check names as printed, in order. */
export const CHECK_LABELS: Record<keyof CheckCounts, string> = {
  emptyHistograms: 'empty',
  nanHistograms: 'NaN',
  negativeHistograms: 'negative',
  zeroEntries: 'zero entries',
  missingLumisections: 'missing LS',
  duplicateKeys: 'duplicates',
  shapeMismatches: 'shape mismatch',
};

/** Number of checks with a non-zero count. */
export function failingChecks(checks: CheckCounts): number {
  return Object.values(checks).filter((n) => n > 0).length;
}

/** The JSON form for scripts: everything but the per-bin arrays and the entries series. */
export function jsonReport(reports: DatasetReport[]): unknown {
  return {
    datasets: reports.map((r) => ({
      ...r,
      titles: r.titles.map(({ mean: _mean, percentiles: _p, entries: _e, outliers, ...t }) => ({
        ...t,
        outliers: outliers.map(({ values: _v, ...o }) => o),
      })),
    })),
  };
}
