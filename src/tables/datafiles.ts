/**
 * The histogram_data_files table: one record per registered CSV, with parse progress. Rendered on
 * each request (progress changes), unlike histograms.
 */
import type { DataFileLookup, DataFileQuery, Listing } from './model.js';
import { pyFloat } from './pyjson.js';
import { now, type Timestamp } from './records.js';

/** Where a file is in its life: registered by discover, parsing, parsed, or failed (stays < 100 %). */
export type DataFileState = 'registered' | 'parsing' | 'parsed' | 'failed';

/** One registered data file. */
export interface DataFileRecord {
  id: number;
  filepath: string;
  sizeBytes: number;
  dataEra: string;
  entriesTotal: number;
  entriesProcessed: number;
  contents: Array<{ granularity: 'lum' | 'run'; dim: 1 | 2 }>;
  created: Timestamp;
  modified: Timestamp;
  /** Live histograms from this file (deletes decrement them, as on the real server). */
  counts: { h1d: number; h2d: number };
  state: DataFileState;
  /** Why parsing failed (logged; the record shape has no field for it, as on the real server). */
  error?: string;
}

/** Registered data files, by id (1-based, registration order). */
export class DataFileTable implements DataFileLookup {
  private readonly files: DataFileRecord[] = [];
  private readonly paths = new Set<string>();

  /** Registers a file (no-op returning undefined if the path is already registered). */
  register(filepath: string, sizeBytes: number): DataFileRecord | undefined {
    if (this.paths.has(filepath)) return undefined;
    const created = now();
    const record: DataFileRecord = {
      id: this.files.length + 1,
      filepath,
      sizeBytes,
      dataEra: '',
      entriesTotal: 0,
      entriesProcessed: 0,
      contents: [],
      created,
      modified: created,
      counts: { h1d: 0, h2d: 0 },
      state: 'registered',
    };
    this.files.push(record);
    this.paths.add(filepath);
    return record;
  }

  get(id: number): DataFileRecord | undefined {
    return Number.isInteger(id) && id >= 1 ? this.files[id - 1] : undefined;
  }

  all(): readonly DataFileRecord[] {
    return this.files;
  }

  exists(id: number): boolean {
    return this.get(id) !== undefined;
  }

  idsWithPathContaining(text: string): number[] {
    return this.files.filter((f) => f.filepath.includes(text)).map((f) => f.id);
  }

  /** Files matching a validated query, by id. */
  list(q: DataFileQuery): Listing {
    const matches = this.files.filter(
      (f) =>
        (q.id === undefined || f.id === q.id) &&
        (q.dataEra === undefined || f.dataEra === q.dataEra) &&
        (q.dimensionality === undefined || f.contents.some((c) => c.dim === q.dimensionality)) &&
        (q.granularity === undefined || f.contents.some((c) => c.granularity === q.granularity)) &&
        (q.complete === undefined || isComplete(f) === q.complete) &&
        (q.entriesTotalGt === undefined || f.entriesTotal > q.entriesTotalGt) &&
        (q.entriesTotalLt === undefined || f.entriesTotal < q.entriesTotalLt) &&
        (q.pathContains === undefined || f.filepath.includes(q.pathContains)),
    );
    return { total: matches.length, append: (k, parts) => parts.push(renderDataFile(matches[k])) };
  }
}

function isComplete(f: DataFileRecord): boolean {
  return f.entriesTotal > 0 && f.entriesProcessed >= f.entriesTotal;
}

/** `percentage_processed`: `0` (an int) before any parse, then a float (`0.0`, `100.0`). */
function percentage(f: DataFileRecord): string {
  return f.entriesTotal > 0 ? pyFloat((f.entriesProcessed / f.entriesTotal) * 100) : '0';
}

/** The record's JSON, in the real server's field order. */
export function renderDataFile(f: DataFileRecord): Buffer {
  const contents = f.contents.map((c) => `{"granularity":"${c.granularity}","data_dimensionality":${c.dim}}`).join(',');
  return Buffer.from(
    `{"id":${f.id},"filepath":${JSON.stringify(f.filepath)},"filesize":${pyFloat(f.sizeBytes / 1048576)},` +
      `"data_era":${JSON.stringify(f.dataEra)},"entries_total":${f.entriesTotal},"entries_processed":${f.entriesProcessed},` +
      `"percentage_processed":${percentage(f)},"contents":[${contents}],"created":"${f.created.iso}","modified":"${f.modified.iso}",` +
      `"run_histograms":0,"lumisection_histograms_1d":${f.counts.h1d},"lumisection_histograms_2d":${f.counts.h2d}}`,
  );
}
