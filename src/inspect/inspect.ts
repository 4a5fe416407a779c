/**
 * `inspectDataset`: lists a dataset directory, then reads its files twice, a batch at a time. The
 * first pass counts records and checks and keeps running per-bin sums and ranges; the second, which
 * needs the mean and the ranges, fills the 1D percentile sketches and ranks lumisections by distance
 * from their title's mean. Memory is bounded by one batch plus a few arrays per title.
 */
import { listDataset } from './dataset.js';
import { readBatches } from './read-batches.js';
import { histogramRows, type HistogramRows } from './rows.js';
import { FarthestRecords, PERCENTILES, PercentileSketch, unitSum } from './second-pass.js';
import { countMissingLumisections, noChecks, scanBins, TitleStats } from './title-stats.js';
import type {
  CheckCounts,
  DataFile,
  DatasetListing,
  DatasetReport,
  InspectOptions,
  ProvenanceReport,
  TitleReport,
} from './types.js';

/** A row filter from the --title / --run options. */
interface RowFilter {
  titles: Set<string> | null;
  runs: Set<number> | null;
}

function fileSelected(file: DataFile, filter: RowFilter): boolean {
  const run = file.partition.run;
  return filter.runs === null || run === undefined || filter.runs.has(Number(run));
}

/** Calls `onRows` for every batch of the selected files that holds histograms, `onOther` for the rest. */
async function eachBatch(
  listing: DatasetListing,
  filter: RowFilter,
  onRows: (rows: HistogramRows, file: DataFile, columns: string[]) => void,
  onOther: (numRows: number, run: ((i: number) => number) | null, columns: string[], file: DataFile) => void,
): Promise<void> {
  for (const file of listing.files) {
    if (!fileSelected(file, filter)) continue;
    for await (const batch of readBatches(listing.root, file)) {
      const rows = histogramRows(batch, file.partition, file.path);
      if (rows)
        onRows(
          rows,
          file,
          batch.schema.fields.map((f) => f.name),
        );
      else {
        const runCol = batch.getChild('run') ?? batch.getChild('run_number');
        const partRun = file.partition.run;
        const run = runCol
          ? (i: number) => Number(runCol.get(i))
          : partRun !== undefined
            ? () => Number(partRun)
            : null;
        onOther(
          batch.numRows,
          run,
          batch.schema.fields.map((f) => f.name),
          file,
        );
      }
    }
  }
}

function keep(filter: RowFilter, title: string, run: number): boolean {
  return (filter.titles === null || filter.titles.has(title)) && (filter.runs === null || filter.runs.has(run));
}

function sumChecks(all: CheckCounts[]): CheckCounts {
  const total = noChecks();
  for (const c of all) for (const k of Object.keys(total) as (keyof CheckCounts)[]) total[k] += c[k];
  return total;
}

function provenanceOf(listing: DatasetListing): ProvenanceReport | null {
  const m = listing.manifest;
  if (!m) return null;
  return {
    sourceUrl: m.source.url,
    endpoint: m.source.endpoint,
    filters: m.source.filters as Record<string, unknown>,
    configHash: m.configHash,
    startedAt: m.startedAt,
    finishedAt: m.finishedAt,
    toolVersion: m.tool?.version ?? 'unknown',
  };
}

function listingProblems(listing: DatasetListing, rowsPerFile: Map<string, number> | null): string[] {
  const problems: string[] = [];
  if (!listing.manifestPath)
    problems.push(
      'no manifest (.dqm-export/manifest.json): the export did not finish, or this is not a dqm-export dataset',
    );
  if (!listing.markerPath)
    problems.push(
      'no _SUCCESS marker (.dqm-export/_SUCCESS): the export did not finish or is still running; the data may be partial',
    );
  const first = (paths: string[]) => `${paths.length} (first: ${paths[0]})`;
  if (listing.manifestFilesMissing.length > 0)
    problems.push(`files listed in the manifest but missing: ${first(listing.manifestFilesMissing)}`);
  const extra = listing.files.filter((f) => !f.inManifest).map((f) => f.path);
  if (listing.manifest && extra.length > 0) problems.push(`data files not in the manifest: ${first(extra)}`);
  if (listing.files.length === 0) problems.push('no data files (*.parquet, *.arrow, *.arrows)');
  if (listing.manifest && rowsPerFile) {
    for (const f of listing.manifest.files) {
      const read = rowsPerFile.get(f.path);
      if (read !== undefined && read !== f.rows)
        problems.push(`${f.path} has ${read} rows, the manifest says ${f.rows}`);
    }
  }
  return problems;
}

function titleReport(t: TitleStats, sketch: PercentileSketch | null, farthest: FarthestRecords): TitleReport {
  return {
    title: t.title,
    dims: t.dims,
    records: t.records,
    runs: Object.fromEntries(
      [...t.runs].sort((a, b) => a[0] - b[0]).map(([run, table]) => [String(run), table.records]),
    ),
    shapes: Object.fromEntries(t.shapes),
    xBins: t.xBins,
    yBins: t.yBins,
    xRange: t.xRange,
    yRange: t.yRange,
    checks: { ...t.checks },
    inMean: t.inMean,
    mean: Array.from(t.mean()),
    percentiles: sketch ? PERCENTILES.map((p) => sketch.curve(p)) : [],
    entries: [...t.runs].sort((a, b) => a[0] - b[0]).map(([run, table]) => ({ run, points: table.entryPoints() })),
    outliers: farthest.result(),
  };
}

/**
 * Inspects one dataset directory. Throws InputError when it is not a directory, its manifest is
 * unreadable or a data file cannot be decoded; a missing marker or manifest is reported in
 * `problems` and `complete: false`, not thrown.
 */
export async function inspectDataset(root: string, options: InspectOptions = {}): Promise<DatasetReport> {
  const listing = await listDataset(root);
  const filter: RowFilter = {
    titles: options.titles?.length ? new Set(options.titles) : null,
    runs: options.runs?.length ? new Set(options.runs) : null,
  };
  const unfiltered = filter.titles === null && filter.runs === null;
  const stats = new Map<string, TitleStats>();
  const rowsPerFile = new Map<string, number>();
  const recordsPerRun = new Map<number, number>();
  let records = 0;
  let columns: string[] | null = null;
  let layout: string | null = null;
  let dtype: string | null = null;
  const countRow = (run: number | null) => {
    records++;
    if (run !== null) recordsPerRun.set(run, (recordsPerRun.get(run) ?? 0) + 1);
  };
  const noteColumns = (names: string[], file: DataFile) => {
    columns ??= [...names, ...Object.keys(file.partition).filter((k) => !names.includes(k))];
  };

  await eachBatch(
    listing,
    filter,
    (rows, file, names) => {
      rowsPerFile.set(file.path, (rowsPerFile.get(file.path) ?? 0) + rows.length);
      layout ??= rows.layout;
      dtype ??= rows.dtype;
      noteColumns(names, file);
      for (let i = 0; i < rows.length; i++) {
        const title = rows.title(i);
        const run = rows.run(i);
        if (!keep(filter, title, run)) continue;
        countRow(run);
        let t = stats.get(title);
        if (!t) stats.set(title, (t = new TitleStats(title, rows.dims)));
        t.add({
          run,
          lumisection: rows.lumisection(i),
          entries: rows.entries(i),
          values: rows.values(i),
          shape: rows.shape(i),
          ranges: rows.ranges(i),
        });
      }
    },
    (numRows, run, names, file) => {
      rowsPerFile.set(file.path, (rowsPerFile.get(file.path) ?? 0) + numRows);
      noteColumns(names, file);
      for (let i = 0; i < numRows; i++) {
        const r = run ? run(i) : null;
        if (filter.runs !== null && r !== null && !filter.runs.has(r)) continue;
        countRow(r);
      }
    },
  );
  countMissingLumisections(stats.values());

  // Second pass: only when there are histograms to rank.
  const sketches = new Map<string, PercentileSketch>();
  const farthest = new Map<string, FarthestRecords>();
  for (const t of stats.values()) {
    farthest.set(t.title, new FarthestRecords(unitSum(t.mean()), options.outliers ?? 3));
    if (t.dims === 1 && t.inMean > 0)
      sketches.set(t.title, new PercentileSketch(t.min!, t.max!, options.percentileBuckets ?? 256));
  }
  if (stats.size > 0) {
    await eachBatch(
      listing,
      filter,
      (rows) => {
        for (let i = 0; i < rows.length; i++) {
          const title = rows.title(i);
          const run = rows.run(i);
          const t = stats.get(title);
          if (!t || !keep(filter, title, run)) continue;
          const values = rows.values(i);
          if (values.length !== t.sum!.length || scanBins(values).nonFinite) continue;
          sketches.get(title)?.add(values);
          farthest.get(title)!.offer(run, rows.lumisection(i), rows.entries(i), values);
        }
      },
      () => undefined,
    );
  }

  const titles = [...stats.values()]
    .sort((a, b) => (a.title < b.title ? -1 : a.title > b.title ? 1 : 0))
    .map((t) => titleReport(t, sketches.get(t.title) ?? null, farthest.get(t.title)!));
  const problems = listingProblems(listing, unfiltered ? rowsPerFile : null);
  return {
    root,
    complete: listing.complete && problems.length === 0,
    problems,
    provenance: provenanceOf(listing),
    formats: [...new Set(listing.files.map((f) => f.format))],
    layout,
    dtype,
    partitionBy: [...new Set(listing.files.flatMap((f) => Object.keys(f.partition)))],
    files: listing.files.length,
    bytes: listing.files.reduce((n, f) => n + f.bytes, 0),
    records,
    recordsPerRun: Object.fromEntries(
      [...recordsPerRun].sort((a, b) => a[0] - b[0]).map(([run, n]) => [String(run), n]),
    ),
    columns: columns ?? [],
    titles,
    checks: sumChecks(titles.map((t) => t.checks)),
  };
}
