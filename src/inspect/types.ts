/**
 * The data of an inspection, plain and serialisable: what a dataset directory holds (`DatasetListing`),
 * and what `inspectDataset` found in it (`DatasetReport`, one `TitleReport` per histogram title).
 * The terminal, JSON and HTML reports are pure functions of these.
 */
import type { Manifest } from '../dataset/manifest.js';

/** Data file formats dqm-export writes: Parquet, Arrow IPC file, Arrow IPC stream. */
export type DataFormat = 'parquet' | 'arrow' | 'arrows';

/** One data file found in a dataset directory. */
export interface DataFile {
  /** Path relative to the dataset root, `/`-separated. */
  path: string;
  format: DataFormat;
  /** Size on disk. */
  bytes: number;
  /** Hive partition values from the path (`{run: '315705'}`); empty when not partitioned. */
  partition: Record<string, string>;
  /** True when the manifest lists this file. */
  inManifest: boolean;
}

/** A dataset directory before its data is read. */
export interface DatasetListing {
  root: string;
  /** The parsed manifest, or null when there is none. */
  manifest: Manifest | null;
  /** Where the manifest was found, relative to root (`.dqm-export/manifest.json` or the older `manifest.json`). */
  manifestPath: string | null;
  /** Where the commit marker was found, relative to root, or null. */
  markerPath: string | null;
  /** Manifest and marker present, and every file the manifest lists is there. */
  complete: boolean;
  /** Data files found, sorted by path. */
  files: DataFile[];
  /** Files the manifest lists that are not on disk. */
  manifestFilesMissing: string[];
}

/** Counts of the data checks; each counts histograms (records), except `missingLumisections`. */
export interface CheckCounts {
  /** Histograms whose bins are all zero. */
  emptyHistograms: number;
  /** Histograms with at least one NaN (or infinite) bin. */
  nanHistograms: number;
  /** Histograms with at least one negative bin. */
  negativeHistograms: number;
  /** Records whose `entries` is 0. */
  zeroEntries: number;
  /** (run, lumisection, title) keys absent within the run's lumisection range, for titles present in that run. */
  missingLumisections: number;
  /** Records beyond the first with the same (run, lumisection, title). */
  duplicateKeys: number;
  /** Histograms whose bin count differs from the title's first histogram (left out of the statistics). */
  shapeMismatches: number;
}

/** One of the lumisections farthest from its title's mean. */
export interface Outlier {
  run: number;
  lumisection: number;
  /** L2 distance between the unit-sum normalised histogram and the unit-sum normalised mean. */
  distance: number;
  /** `entries` of the record, or null when the column is absent. */
  entries: number | null;
  /** The histogram's bins (row-major, y outer for 2D). */
  values: number[];
}

/** A per-bin percentile curve of a 1D title. */
export interface PercentileCurve {
  /** 0..100. */
  p: number;
  values: number[];
}

/** What was found for one histogram title. */
export interface TitleReport {
  title: string;
  dims: 1 | 2;
  /** Records (histograms) of this title. */
  records: number;
  /** Records per run. */
  runs: Record<string, number>;
  /** Distinct shapes, `x_bin` or `x_bin x y_bin`, with their record counts. */
  shapes: Record<string, number>;
  /** Bins along x and y (y is 1 for 1D) of the title's first histogram. */
  xBins: number;
  yBins: number;
  /** Axis ranges from x_min/x_max (y_min/y_max) of the first record; null when the columns are absent. */
  xRange: [number, number] | null;
  yRange: [number, number] | null;
  checks: CheckCounts;
  /** Records in the mean: finite bins and the title's shape. */
  inMean: number;
  /** Per-bin mean over the records in the mean. */
  mean: number[];
  /** Per-bin percentiles (1D titles only; empty for 2D). */
  percentiles: PercentileCurve[];
  /** `entries` per lumisection, per run (run, then [lumisection, entries] sorted by lumisection). */
  entries: { run: number; points: [number, number][] }[];
  /** The lumisections farthest from the mean, farthest first. */
  outliers: Outlier[];
}

/** Provenance of a dataset, from its manifest. */
export interface ProvenanceReport {
  sourceUrl: string;
  endpoint: string;
  filters: Record<string, unknown>;
  configHash: string;
  startedAt: string;
  finishedAt: string;
  toolVersion: string;
}

/** What `inspectDataset` found in one dataset directory. */
export interface DatasetReport {
  root: string;
  /** Manifest, marker and every listed file present. */
  complete: boolean;
  /** One line per dataset-level problem (no marker, no manifest, files missing or not listed, row count differs). */
  problems: string[];
  provenance: ProvenanceReport | null;
  /** Data formats of the files. */
  formats: DataFormat[];
  /** `nested`, `flat` or `tensor`, or null when there is no histogram `data` column. */
  layout: string | null;
  /** Element type of `data` (`float32`/`float64`), or null. */
  dtype: string | null;
  /** Partition columns (from the directory names). */
  partitionBy: string[];
  files: number;
  bytes: number;
  /** Records read (after --run / --title filters). */
  records: number;
  /** Records per run (when there is a run column or partition). */
  recordsPerRun: Record<string, number>;
  /** Column names of the first file, partition columns included. */
  columns: string[];
  /** One entry per histogram title, sorted by title. */
  titles: TitleReport[];
  /** Sums of the titles' checks. */
  checks: CheckCounts;
}

/** Options of `inspectDataset`. */
export interface InspectOptions {
  /** Only these titles (default: all). */
  titles?: string[];
  /** Only these runs (default: all). */
  runs?: number[];
  /** Lumisections kept per title as farthest from the mean (default 3). */
  outliers?: number;
  /** Buckets per bin for the 1D percentile sketch (default 256). */
  percentileBuckets?: number;
}
