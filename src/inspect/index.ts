/** `dqm-export inspect`: read a dataset, count records and problems, and draw a self-contained report. */
export { listDataset } from './dataset.js';
export { htmlReport, chartCount } from './html.js';
export { inspectDataset } from './inspect.js';
export { CHECK_LABELS, failingChecks, jsonReport } from './checks.js';
export type { CheckCounts, DatasetListing, DatasetReport, InspectOptions, TitleReport } from './types.js';
