/** ML4DQM CSV reading: the streaming reader, its row types, and helpers the server shares. */
export { readMl4dqmCsv } from './reader.js';
export { countCsvRows } from './count.js';
export { convertRecord, mapColumns, dimOfMetype, ML4DQM_COLUMNS, type ColumnMap } from './row.js';
export type {
  HistogramDim,
  Ml4dqmRow,
  Ml4dqmRow1D,
  Ml4dqmRow2D,
  Ml4dqmRowBase,
  Ml4dqmRowError,
  ReadMl4dqmCsvOptions,
} from './types.js';
