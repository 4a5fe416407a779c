/**
 * The CSV-backed data: histograms, runs and lumisections created from parsed rows (and from POSTs),
 * each record stored as its final JSON bytes. Lists filter by scanning; the sample data is small and
 * a scan of 100k records is well under a millisecond per field.
 */
import { histogramAxes, type HistogramAxes } from '../domain.js';
import type { DataFileTable } from './datafiles.js';
import {
  satisfies,
  type CreateResult,
  type HistogramQuery,
  type HistogramRow,
  type HistogramTable,
  type Listing,
  type LumisectionQuery,
  type LumisectionTable,
  type RunQuery,
  type RunTable,
} from './model.js';
import type { PreparedRow } from './parsed-files.js';
import { histogramHead, histogramTail, lumisectionJson, now, runJson, type Timestamp } from './records.js';

/** A stored histogram: its DQM Playground JSON, where `data` sits in it, and the fields around it. */
class HistogramRecord implements HistogramRow {
  constructor(
    readonly id: number,
    readonly run: number,
    readonly ls: number,
    readonly title: string,
    readonly entries: number,
    readonly fileId: number | null,
    readonly axes: HistogramAxes,
    readonly json: Buffer,
    private readonly dataStart: number,
    private readonly dataEnd: number,
  ) {}

  appendData(parts: Buffer[]): void {
    parts.push(this.json.subarray(this.dataStart, this.dataEnd));
  }
}

function listingOf<T extends { json: Buffer }>(records: readonly T[]): Listing {
  return { total: records.length, append: (k, parts) => parts.push(records[k].json) };
}

/** Lumisection histograms of one dimensionality, ids 1.. in insertion order. */
export class CsvHistogramTable implements HistogramTable {
  private readonly records: Array<HistogramRecord | undefined> = [];
  private readonly titleCounts = new Map<string, number>();
  private live: HistogramRecord[] | undefined;

  constructor(
    readonly dim: 1 | 2,
    private readonly files: DataFileTable,
  ) {}

  /** Adds a parsed row as the next id; returns the id. */
  add(row: PreparedRow, fileId: number | null): number {
    const id = this.records.length + 1;
    const fields = { ...row, id, source_data_file: fileId };
    const head = histogramHead(fields);
    const json = Buffer.from(head + row.dataText + histogramTail(fields, this.dim));
    const dataStart = Buffer.byteLength(head);
    const axes = histogramAxes(row);
    const record = new HistogramRecord(
      id,
      row.run,
      row.lumisection,
      row.title,
      row.entries,
      fileId,
      axes,
      json,
      dataStart,
      dataStart + Buffer.byteLength(row.dataText),
    );
    this.records.push(record);
    this.titleCounts.set(row.title, (this.titleCounts.get(row.title) ?? 0) + 1);
    this.count(fileId, +1);
    this.live = undefined;
    return id;
  }

  private count(fileId: number | null, delta: number): void {
    const file = fileId === null ? undefined : this.files.get(fileId);
    if (file) file.counts[this.dim === 1 ? 'h1d' : 'h2d'] += delta;
  }

  hasTitle(title: string): boolean {
    return (this.titleCounts.get(title) ?? 0) > 0;
  }

  rows(): readonly HistogramRow[] {
    return this.liveRecords();
  }

  private liveRecords(): HistogramRecord[] {
    return (this.live ??= this.records.filter((r): r is HistogramRecord => r !== undefined));
  }

  list(q: HistogramQuery): Listing {
    const titles = q.titles ? new Set(q.titles) : undefined;
    const unfiltered = !titles && !q.sourceFiles && isEmpty(q.run) && isEmpty(q.ls) && isEmpty(q.entries);
    const live = this.liveRecords();
    if (unfiltered) return listingOf(live);
    return listingOf(
      live.filter(
        (r) =>
          satisfies(r.run, q.run) &&
          satisfies(r.ls, q.ls) &&
          satisfies(r.entries, q.entries) &&
          (!titles || titles.has(r.title)) &&
          (!q.sourceFiles || (r.fileId !== null && q.sourceFiles.has(r.fileId))),
      ),
    );
  }

  get(id: number): Buffer | undefined {
    return Number.isInteger(id) && id >= 1 ? this.records[id - 1]?.json : undefined;
  }

  delete(id: number): boolean {
    const record = Number.isInteger(id) && id >= 1 ? this.records[id - 1] : undefined;
    if (!record) return false;
    this.records[id - 1] = undefined;
    this.titleCounts.set(record.title, this.titleCounts.get(record.title)! - 1);
    this.count(record.fileId, -1);
    this.live = undefined;
    return true;
  }
}

function isEmpty(c: object): boolean {
  return Object.keys(c).length === 0;
}

/** Inserts `item` into `sorted` keeping `compare` order (binary search). */
function insertSorted<T>(sorted: T[], item: T, compare: (a: T, b: T) => number): void {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(sorted[mid], item) <= 0) lo = mid + 1;
    else hi = mid;
  }
  sorted.splice(lo, 0, item);
}

interface RunRecord {
  runNumber: number;
  date: Timestamp;
  json: Buffer;
}

/** Runs by run number. */
export class CsvRunTable implements RunTable {
  private readonly byNumber = new Map<number, RunRecord>();
  private readonly sorted: RunRecord[] = [];

  has(runNumber: number): boolean {
    return this.byNumber.has(runNumber);
  }

  /** The run, created if new (parsing does get_or_create). */
  ensure(runNumber: number): void {
    if (!this.byNumber.has(runNumber)) this.create(runNumber);
  }

  create(runNumber: number): CreateResult {
    if (this.byNumber.has(runNumber)) return { error: 'exists' };
    const date = now();
    const record = { runNumber, date, json: runJson(runNumber, date) };
    this.byNumber.set(runNumber, record);
    insertSorted(this.sorted, record, (a, b) => a.runNumber - b.runNumber);
    return { json: record.json };
  }

  list(q: RunQuery): Listing {
    if (q.never) return listingOf([]);
    if (q.runNumber === undefined && q.date === undefined) return listingOf(this.sorted);
    return listingOf(
      this.sorted.filter(
        (r) =>
          (q.runNumber === undefined || r.runNumber === q.runNumber) &&
          (q.date === undefined || r.date.micros === q.date),
      ),
    );
  }

  get(runNumber: number): Buffer | undefined {
    return this.byNumber.get(runNumber)?.json;
  }
}

interface LumisectionRecord {
  id: number;
  run: number;
  ls: number;
  date: Timestamp;
  json: Buffer;
}

/** Lumisections: ids in creation order, lists ordered by (run, LS). */
export class CsvLumisectionTable implements LumisectionTable {
  private readonly byId: LumisectionRecord[] = [];
  private readonly byKey = new Set<string>();
  private readonly sorted: LumisectionRecord[] = [];

  constructor(private readonly runs: CsvRunTable) {}

  /** The lumisection (and its run), created if new. */
  ensure(runNumber: number, ls: number): void {
    this.runs.ensure(runNumber);
    if (!this.byKey.has(`${runNumber}:${ls}`)) this.create(runNumber, ls);
  }

  create(runNumber: number, ls: number): CreateResult {
    if (!this.runs.has(runNumber)) return { error: 'no-run' };
    const key = `${runNumber}:${ls}`;
    if (this.byKey.has(key)) return { error: 'exists' };
    const date = now();
    const record = { id: this.byId.length + 1, run: runNumber, ls, date, json: lumisectionJson(runNumber, ls, date) };
    this.byId.push(record);
    this.byKey.add(key);
    insertSorted(this.sorted, record, (a, b) => a.run - b.run || a.ls - b.ls);
    return { json: record.json };
  }

  list(q: LumisectionQuery): Listing {
    if (q.never) return listingOf([]);
    if (q.run === undefined && q.ls === undefined && q.date === undefined) return listingOf(this.sorted);
    return listingOf(
      this.sorted.filter(
        (r) =>
          (q.run === undefined || r.run === q.run) &&
          (q.ls === undefined || r.ls === q.ls) &&
          (q.date === undefined || r.date.micros === q.date),
      ),
    );
  }

  get(id: number): Buffer | undefined {
    return Number.isInteger(id) && id >= 1 ? this.byId[id - 1]?.json : undefined;
  }
}

/** All CSV-backed tables together. */
export class CsvStore {
  readonly runs = new CsvRunTable();
  readonly lumisections = new CsvLumisectionTable(this.runs);
  readonly h1d: CsvHistogramTable;
  readonly h2d: CsvHistogramTable;

  constructor(readonly files: DataFileTable) {
    this.h1d = new CsvHistogramTable(1, files);
    this.h2d = new CsvHistogramTable(2, files);
  }

  /** Stores a parsed row: its run and lumisection (get or create) and the histogram. */
  addRow(row: PreparedRow, fileId: number): void {
    this.lumisections.ensure(row.run, row.lumisection);
    (row.dim === 1 ? this.h1d : this.h2d).add(row, fileId);
  }
}
