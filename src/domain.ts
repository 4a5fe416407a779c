/**
 * The DQM Playground domain: record shapes as the real server serves them, and the registry of
 * endpoints with their real filter names. Shared by the server, the client, config validation and
 * the CLI, so a filter name is spelled in exactly one place.
 */

/** `/api/runs/` record. */
export interface Run {
  run_number: number;
  date: string;
}

/** `/api/lumisections/` record; `run` is the run number. There is no `id`. */
export interface Lumisection {
  run: number;
  ls_number: number;
  date: string;
}

/**
 * The histogram field list, declared once: the binning fields as const lists (code that copies or
 * lists fields walks these), and the record types below derived from them. The DQM Playground
 * records, the ML4DQM CSV rows, the embedded servers' rows and DIALS records all build on these.
 */
/** Names of the x binning fields: the range without flow bins, and the bin count. */
export const X_AXIS_FIELDS = ['x_min', 'x_max', 'x_bin'] as const;
/** Names of the y binning fields of a 2D histogram. */
export const Y_AXIS_FIELDS = ['y_min', 'y_max', 'y_bin'] as const;
/** Names of both axes' binning fields. */
export const AXIS_FIELDS = [...X_AXIS_FIELDS, ...Y_AXIS_FIELDS] as const;

/** An object with a `V` under each name of a const list of names. */
export type FieldsOf<Names extends readonly string[], V = number> = { [K in Names[number]]: V };

/** The x binning of a histogram (`x_bin` counts bins without the two flow bins). */
export type XAxis = FieldsOf<typeof X_AXIS_FIELDS>;
/** The y binning of a 2D histogram. */
export type YAxis = FieldsOf<typeof Y_AXIS_FIELDS>;
/** The y binning where a row may be 1D: null in 1D (or where a CSV file has no such column). */
export type NullableYAxis = FieldsOf<typeof Y_AXIS_FIELDS, number | null>;
/** Both axes of a histogram of either dimensionality (y fields null in 1D). */
export type HistogramAxes = XAxis & NullableYAxis;

/** The binning fields of `h`, copied (y fields null where `h` has none). */
export function histogramAxes(h: XAxis & Partial<NullableYAxis>): HistogramAxes {
  const axes = {} as Record<(typeof AXIS_FIELDS)[number], number | null>;
  for (const name of AXIS_FIELDS) axes[name] = h[name] ?? null;
  return axes as HistogramAxes;
}

/**
 * What describes a lumisection histogram wherever it comes from (a served record, an ML4DQM CSV
 * row): where it is, what it is, and its x binning.
 */
export interface HistogramMeta extends XAxis {
  /** Run number. */
  run: number;
  /** Lumisection number (not an id). */
  lumisection: number;
  /** Monitoring element name. */
  title: string;
  /** Entries filled, flow bins included (so not `sum(data)`). */
  entries: number;
}

/** Fields common to 1D and 2D lumisection histogram records. */
export interface HistogramBase extends HistogramMeta {
  id: number;
  /** Id of the data file the histogram was parsed from. */
  source_data_file: number | null;
}

/** `/api/lumisection_histograms_1d/` record: `data` has `x_bin` values, flow bins stripped. */
export interface Histogram1D extends HistogramBase {
  data: number[];
}

/** `/api/lumisection_histograms_2d/` record: `data` is `y_bin` rows of `x_bin` values, `data[iy][ix]`. */
export interface Histogram2D extends HistogramBase, YAxis {
  data: number[][];
}

/** A histogram record's fields other than `data`, for either dimensionality (y fields null in 1D). */
export type HistogramScalars = HistogramBase & NullableYAxis;

export type Histogram = Histogram1D | Histogram2D;

/** One (granularity, dimensionality) pair a data file was parsed as. */
export interface DataFileContent {
  granularity: 'lum' | 'run';
  data_dimensionality: 1 | 2;
}

/** `/api/histogram_data_files/` record. */
export interface HistogramDataFile {
  id: number;
  filepath: string;
  /** Size in MB, a float. */
  filesize: number;
  data_era: string;
  entries_total: number;
  entries_processed: number;
  percentage_processed: number;
  contents: DataFileContent[];
  created: string;
  modified: string;
  run_histograms: number;
  lumisection_histograms_1d: number;
  lumisection_histograms_2d: number;
}

/** A list response. The real server says `total`; stock DRF says `count`: accept both. */
export interface PageEnvelope<T> {
  next: string | null;
  previous: string | null;
  total?: number;
  count?: number;
  per_page?: number;
  total_pages?: number;
  results: T[];
}

/** Endpoints dqm-export reads. */
export const ENDPOINTS = [
  'runs',
  'lumisections',
  'lumisection_histograms_1d',
  'lumisection_histograms_2d',
  'histogram_data_files',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** How a filter's value is checked and sent. */
export type FilterKind =
  | 'int' // a number; 400 "Enter a number." on the server otherwise
  | 'int-list' // `__in`: a list joined with commas
  | 'string'
  | 'string-repeat' // `title`: repeated `?title=a&title=b`
  | 'bool'
  | 'choice'
  | 'regex' // DIALS `__regex`: PostgreSQL `~`, checked before any request (a bad one is a 500)
  | 'order'; // DIALS `order_by`: repeated, `-field` descending (an unknown field is a 500)

export interface FilterSpec {
  kind: FilterKind;
  /** Valid values for `choice` filters. */
  choices?: readonly string[];
  /** One line for `--help` and error messages. */
  help: string;
}

const histogramFilters: Record<string, FilterSpec> = {
  lumisection__run__run_number: { kind: 'int', help: 'run number' },
  lumisection__run__run_number__gte: { kind: 'int', help: 'run number >=' },
  lumisection__run__run_number__lte: { kind: 'int', help: 'run number <=' },
  lumisection__run__run_number__in: { kind: 'int-list', help: 'run numbers, comma-separated' },
  lumisection__ls_number: { kind: 'int', help: 'lumisection number' },
  lumisection__ls_number__gte: { kind: 'int', help: 'lumisection number >=' },
  lumisection__ls_number__lte: { kind: 'int', help: 'lumisection number <=' },
  lumisection__ls_number__in: { kind: 'int-list', help: 'lumisection numbers, comma-separated' },
  entries__gte: { kind: 'int', help: 'entries >=' },
  entries__lte: { kind: 'int', help: 'entries <=' },
  title: { kind: 'string-repeat', help: 'histogram title (repeatable; an unknown title is a 400)' },
  source_data_file: { kind: 'int', help: 'id of the histogram data file' },
  source_data_file__filepath__contains: { kind: 'string', help: 'substring of the data file path' },
};

/** Real filter names per endpoint (from the captures and the live schema). */
export const FILTERS: Record<Endpoint, Record<string, FilterSpec>> = {
  runs: {
    run_number: { kind: 'int', help: 'run number' },
    run_date: { kind: 'string', help: 'run date' },
    year: { kind: 'int', help: 'year' },
    period: { kind: 'string', help: 'period' },
    date: { kind: 'string', help: 'creation date' },
    oms_fill: { kind: 'int', help: 'OMS fill' },
    oms_lumisections: { kind: 'int', help: 'OMS lumisection count' },
    oms_initial_lumi: { kind: 'string', help: 'OMS initial luminosity' },
    oms_end_lumi: { kind: 'string', help: 'OMS end luminosity' },
  },
  lumisections: {
    run: { kind: 'int', help: 'run number' },
    ls_number: { kind: 'int', help: 'lumisection number' },
    date: { kind: 'string', help: 'creation date' },
    oms_zerobias_rate: { kind: 'string', help: 'OMS zero-bias rate' },
  },
  lumisection_histograms_1d: histogramFilters,
  lumisection_histograms_2d: histogramFilters,
  histogram_data_files: {
    id: { kind: 'int', help: 'data file id' },
    filepath__contains: { kind: 'string', help: 'substring of the file path' },
    data_era: { kind: 'string', help: 'data era' },
    data_dimensionality: { kind: 'choice', choices: ['1', '2'], help: '1 or 2' },
    granularity: { kind: 'choice', choices: ['lum', 'run'], help: 'lum or run' },
    processing_complete: { kind: 'bool', help: 'true or false' },
    entries_total__gt: { kind: 'int', help: 'entries_total >' },
    entries_total__lt: { kind: 'int', help: 'entries_total <' },
  },
};

/** A filter value as configured: scalars, or lists for `__in` and `title`. */
export type FilterValue = string | number | boolean | ReadonlyArray<string | number>;
export type Filters = Record<string, FilterValue>;

/** True for the histogram endpoints, whose lists are unordered on the real server. */
export function isHistogramEndpoint(e: Endpoint): e is 'lumisection_histograms_1d' | 'lumisection_histograms_2d' {
  return e === 'lumisection_histograms_1d' || e === 'lumisection_histograms_2d';
}

/**
 * Encodes filters as the real server expects them: `__in` lists joined with commas, `title`
 * repeated, booleans as `true`/`false`. Keys are sorted so equal filters give equal URLs.
 */
export function encodeFilters(filters: Filters): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of Object.keys(filters).sort()) {
    const value = filters[key];
    if (Array.isArray(value)) {
      if (key === 'title' || !key.endsWith('__in')) {
        for (const v of value) params.append(key, String(v));
      } else {
        params.append(key, value.map(String).join(','));
      }
    } else {
      params.append(key, String(value));
    }
  }
  return params;
}
