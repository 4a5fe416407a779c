/**
 * The in-memory tables behind both embedded servers (DQM Playground and DIALS) and the ml4dqm-csv
 * source: data files, runs, lumisections and 1D/2D lumisection histograms, filled from ML4DQM CSV
 * rows (store.ts) or computed from a synthetic spec (synthetic.ts). Records are kept as their
 * rendered JSON bytes; the DIALS server re-reads the fields it needs through `HistogramRow`.
 */
import type { DataFileTable } from './datafiles.js';
import type { HistogramTable, LumisectionTable, RunTable } from './model.js';

/** Every table of one data set, CSV-backed or synthetic. */
export interface Tables {
  files: DataFileTable;
  runs: RunTable;
  lumisections: LumisectionTable;
  h1d: HistogramTable;
  h2d: HistogramTable;
  /** Synthetic or loaded for an export: nothing may add or delete records. */
  readOnly: boolean;
}

export { DataFileTable, renderDataFile, type DataFileRecord, type DataFileState } from './datafiles.js';
export * from './model.js';
export { CsvHistogramTable, CsvLumisectionTable, CsvRunTable, CsvStore } from './store.js';
export { ParseStop, preparedRows, renderData, type PreparedRow, type PreparedRowsOptions } from './parsed-files.js';
export {
  SyntheticHistogramTable,
  SyntheticLumisectionTable,
  SyntheticRunTable,
  syntheticDataFiles,
} from './synthetic.js';
export {
  parseSyntheticSpec,
  syntheticCount,
  syntheticHistogram,
  syntheticTitle,
  SYNTHETIC_DEFAULTS,
  type SyntheticSpec,
} from './synthetic-spec.js';
