/**
 * Types of the ML4DQM CSV reader. One row of an ML4DQM file is one lumisection histogram; the
 * reader strips the flow bins exactly as the DQM Playground server does, so a row's `data` equals
 * the `data` the server would serve for it.
 */
import type { HistogramMeta, NullableYAxis } from '../domain.js';

/** Histogram dimensionality. */
export type HistogramDim = 1 | 2;

/**
 * Fields common to 1D and 2D rows: the served record's fields (src/domain.ts) from the CSV columns
 * `fromrun` (run), `fromlumi` (lumisection), `hname` (title), `entries` (copied as is: it counts the
 * flow bins too), `Xmin`, `Xmax`, `Xbins` (bins without the two flow bins), and `Ymin`, `Ymax`,
 * `Ybins` (1D rows carry the CSV values, usually 0; null where the column is absent).
 */
export interface Ml4dqmRowBase extends HistogramMeta, NullableYAxis {
  /** 1-based line of the row in the file (the header is line 1). */
  line: number;
  /** `metype`: 3-5 are 1D, 6-8 are 2D (CMSSW MonitorElement kinds); null if the column is absent. */
  metype: number | null;
}

/** A 1D row: `data` is `histo[1 : Xbins + 1]`. */
export interface Ml4dqmRow1D extends Ml4dqmRowBase {
  dim: 1;
  data: number[];
}

/** A 2D row: `data[iy][ix]`, `Ybins` rows of `Xbins` values, flow border dropped. */
export interface Ml4dqmRow2D extends Ml4dqmRowBase {
  dim: 2;
  data: number[][];
}

/** One histogram read from an ML4DQM CSV file. */
export type Ml4dqmRow = Ml4dqmRow1D | Ml4dqmRow2D;

/** A row the reader skipped, and why. */
export interface Ml4dqmRowError {
  /** Path of the file, as given to the reader. */
  file: string;
  /** 1-based line of the bad row. */
  line: number;
  /** One line saying what is wrong and what was expected. */
  reason: string;
}

/** Options of `readMl4dqmCsv`. */
export interface ReadMl4dqmCsvOptions {
  /**
   * Parse every row as this dimensionality instead of deciding from `metype`. A row whose `histo`
   * does not have the length this implies is an error (a 1D file forced to 2D fails on every row,
   * as it does on the real server).
   */
  dim?: HistogramDim;
  /**
   * Called for each bad row (wrong `histo` length, invalid JSON, non-numeric field, wrong column
   * count); reading goes on with the next row. Without it, the first bad row throws an InputError
   * (E_CSV_ROW), so that nothing is silently dropped.
   */
  onError?: (error: Ml4dqmRowError) => void;
  /** Read-stream chunk size in bytes (default 1 MiB: csv-parse is faster on large chunks). */
  chunkSize?: number;
}
