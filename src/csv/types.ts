/**
 * Types of the ML4DQM CSV reader. One row of an ML4DQM file is one lumisection histogram; the
 * reader strips the flow bins exactly as the DQM Playground server does, so a row's `data` equals
 * the `data` the server would serve for it.
 */

/** Histogram dimensionality. */
export type HistogramDim = 1 | 2;

/** Fields common to 1D and 2D rows. */
export interface Ml4dqmRowBase {
  /** 1-based line of the row in the file (the header is line 1). */
  line: number;
  /** `fromrun`. */
  run: number;
  /** `fromlumi`: the lumisection number. */
  lumisection: number;
  /** `hname`. */
  title: string;
  /** `metype`: 3-5 are 1D, 6-8 are 2D (CMSSW MonitorElement kinds); null if the column is absent. */
  metype: number | null;
  /** `entries`, copied as is (it counts the flow bins too, so it is not `sum(data)`). */
  entries: number;
  /** `Xmin`. */
  x_min: number;
  /** `Xmax`. */
  x_max: number;
  /** `Xbins`: bins without the two flow bins. */
  x_bin: number;
  /** `Ymin` (1D rows carry the CSV value, usually 0), null if the column is absent. */
  y_min: number | null;
  /** `Ymax`, null if the column is absent. */
  y_max: number | null;
  /** `Ybins`, null if the column is absent. */
  y_bin: number | null;
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
