/**
 * Runs a histogram stream of an ml4dqm-csv source, streamed: scan the files (no histogram parsed),
 * plan the slices from what the scans found, then export file after file, each file's byte ranges
 * parsed by worker threads and routed to per-slice sinks in one pass. The unit of commit is a file:
 * its sinks are closed (files renamed in place) and then one journal line, naming every file it
 * produced and what planning needs to know of it, commits it. `--resume` skips committed files
 * without reading them again, and the result equals an uninterrupted run's.
 */
import { appendFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Stream } from '../../config/index.js';
import type { Endpoint } from '../../domain.js';
import { InputError } from '../../errors.js';
import { openPartitionedSink, openSink, provenanceMetadata, type Sink, type WrittenFile } from '../../load/index.js';
import type { Logger } from '../../log.js';
import { readCursor } from '../../pipeline/cursor.js';
import { openJournal, sliceId, type JournalFile } from '../../pipeline/journal.js';
import { streamRoot } from '../../pipeline/run-stream.js';
import { streamSpecFor } from '../../pipeline/stream-plan.js';
import { emptyStreamSummary, type StreamSummary } from '../../pipeline/summary.js';
import { datasetTarget } from '../../pipeline/targets.js';
import { crashPoint } from '../../testing/crash-points.js';
import { COLUMNS, transformSpecFor } from '../../transform/index.js';
import { VERSION } from '../../version.js';
import type { HistogramChunk } from './chunk.js';
import { chunkToBatch } from './chunk-batch.js';
import { idBases, planCsvSlices, routeRows, type FileSummary } from './csv-plan.js';
import { exportRanges } from './export-file.js';
import { DEFAULT_READ_SETTINGS, scanFiles, summaryOfCommitted, summaryOfScan, type CommittedFileReport, type CsvReadSettings } from './file-scans.js';
import type { BadRowPolicy, ParseTask } from './parse-range.js';
import type { FileScanResult } from './scan-file.js';
import { TaskFailure, type CsvWorkerPool } from './worker-pool.js';

/** Options of `runCsvStream`. */
export interface CsvStreamOptions {
  /** The source's files: absolute, sorted, distinct (source_data_file ids follow this order). */
  files: string[];
  /** Deepest directory holding the files; journal keys are paths relative to it. */
  root: string;
  /** Provenance base (`${baseUrl}/api/<endpoint>/`): the file:// URL of `root`. */
  baseUrl: string;
  /** Names the source in errors, e.g. `pipelines/x.yaml: source (ml4dqm-csv)`. */
  description: string;
  /** source.dimensionality. */
  dim?: 1 | 2;
  /** What a bad row does (default fail). */
  badRows?: BadRowPolicy;
  pool: CsvWorkerPool;
  /** Directory that relative output paths resolve against. */
  outRoot: string;
  configHash: string;
  resume: boolean;
  logger: Logger;
  onProgress?: (delta: { records: number; pages: number; bytes: number }) => void;
  onPlanned?: (slices: number) => void;
  signal?: AbortSignal;
  /** Rows per batch (default: about 8 MB of histogram values). */
  batchRows?: number;
  /** Ranges parsed ahead of the one being written (default: workers + 1). */
  ahead?: number;
  /** Read and split sizes (defaults: DEFAULT_READ_SETTINGS). */
  read?: Partial<CsvReadSettings>;
}

/** Journal key of a file: its path relative to the files' common directory. */
export function fileKey(root: string, path: string): string {
  return `file=${relative(root, path).split(sep).join('/')}`;
}

function toJournalFile(f: WrittenFile): JournalFile {
  return { path: f.path, format: f.format, rows: f.rows, bytes: f.bytes, sha256: f.sha256, partition: f.partition, schema: f.schema };
}

/** Rows per batch: about 8 MB of values, at least 16 rows. */
function defaultBatchRows(valuesPerRow: number, float32: boolean): number {
  return Math.max(16, Math.floor((8 << 20) / Math.max(1, valuesPerRow * (float32 ? 4 : 8))));
}

/** Runs one histogram stream over CSV files; resolves to its summary. */
export async function runCsvStream(stream: Stream, o: CsvStreamOptions): Promise<StreamSummary> {
  const started = Date.now();
  const read = { ...DEFAULT_READ_SETTINGS, ...o.read };
  const endpoint = stream.endpoint as Endpoint;
  const dim = endpoint === 'lumisection_histograms_1d' ? 1 : 2;
  const root = streamRoot(stream, o.outRoot);
  const summary = emptyStreamSummary(stream.name, root);
  const target = datasetTarget(root, stream, { resume: o.resume, configHash: o.configHash });
  const prepared = await target.prepare();
  const committed = prepared.journal.slices;
  const cursor = stream.incremental ? await readCursor(root) : null;
  const minRun = cursor ? cursor.value + 1 : undefined;
  const spec = streamSpecFor(stream, minRun);

  // What planning needs of every file: committed ones from their journal lines, others scanned.
  const keys = o.files.map((f) => fileKey(o.root, f));
  const todo = o.files.map((_, i) => i).filter((i) => !committed.has(sliceId(stream.name, keys[i])));
  const scanned = await scanFiles(o.pool, todo.map((i) => o.files[i]), o.dim, read);
  const scans = new Map<number, FileScanResult>(todo.map((i, k) => [i, scanned[k]]));
  const summaries: FileSummary[] = [];
  for (let i = 0; i < o.files.length; i++) {
    const scan = scans.get(i);
    if (scan) {
      summaries.push(summaryOfScan(o.files[i], i + 1, scan, o.dim));
      continue;
    }
    const report = committed.get(sliceId(stream.name, keys[i]))!.report.csv as CommittedFileReport;
    const st = await stat(o.files[i]);
    summaries.push(summaryOfCommitted(o.files[i], i + 1, report, { size: st.size, mtimeMs: st.mtimeMs }));
  }
  const planned = planCsvSlices(spec, summaries, o.description);
  const bases = idBases(summaries);
  // Slices as planned; the unit of commit is a file, so a slice counts as skipped only when every file was committed.
  summary.slices = planned.length;
  summary.slicesSkipped = todo.length === 0 ? planned.length : 0;
  o.onPlanned?.(todo.length);

  const transform = transformSpecFor(endpoint, {
    layout: stream.transform.layout,
    dtype: stream.transform.dtype,
    select: stream.transform.select,
    rename: stream.transform.rename,
    constants: stream.transform.constants as Record<string, string | number | boolean> | undefined,
    onShapeChange: stream.transform.on_shape_change,
    strict: stream.transform.strict,
  });
  const float32 = transform.dtype === 'float32';
  const startedAt = new Date().toISOString();
  const provenance = { sourceUrl: `${o.baseUrl}/api/${endpoint}/`, endpoint, filters: spec.filters ?? {}, configHash: o.configHash, startedAt };
  const metadata = { ...provenanceMetadata(provenance), 'dqm_export.version': VERSION, 'dqm_export.stream': stream.name };
  const sinkBase = {
    dir: root,
    format: stream.output.format,
    compression: stream.output.compression,
    rowGroupBytes: stream.output.row_group_mb * 1024 * 1024,
    maxFileBytes: stream.output.max_file_mb * 1024 * 1024,
    metadata,
    onSchemaChange: stream.transform.on_shape_change,
  } as const;

  const journal = await openJournal(root, target.journalName);
  if (committed.size === 0) await journal.append({ type: 'start', at: startedAt, configHash: o.configHash, version: VERSION, ...target.startFields });
  const rejectsPath = join(root, target.rejectsPath);
  const files: JournalFile[] = [...prepared.keptFiles];
  const committedKeys: string[] = [];
  for (const entry of committed.values()) {
    files.push(...entry.files);
    committedKeys.push(entry.key);
    summary.rejects += Number(entry.report.rejects ?? 0);
  }
  let maxRun = cursor?.value ?? -Infinity;
  let routedSoFar = 0;
  const open = new Map<number, Sink>();
  try {
    for (const i of todo) {
      const scan = scans.get(i)!;
      const file = summaries[i];
      const key = keys[i];
      const fileFiles: JournalFile[] = [];
      let fileRejects = 0;
      let fileRecords = 0;
      if (file.dim !== null) {
        const limit = stream.max_records === undefined ? Infinity : Math.max(0, stream.max_records - routedSoFar);
        const { route, counts } = routeRows(scan, file.fileId, dim, planned, limit);
        for (const c of counts) routedSoFar += c;
        const remaining = [...counts];
        const batchRows = o.batchRows ?? defaultBatchRows(scan.valuesPerRow, float32);
        const tasks: ParseTask[] = scan.ranges
          .filter((r) => route.subarray(r.row, r.row + r.rows).some((v) => v !== -1))
          .map((r) => ({
            path: file.path,
            start: r.start,
            end: r.end,
            line: r.line,
            row: r.row,
            columns: scan.columns,
            fileDim: file.dim as 1 | 2,
            forcedDim: o.dim,
            route: route.slice(r.row, r.row + r.rows),
            idBase: bases[i],
            fileId: file.fileId,
            float32,
            tensor: transform.layout === 'tensor',
            batchRows,
            valuesPerRow: scan.valuesPerRow,
            blockBytes: read.blockBytes,
            badRows: o.badRows ?? 'fail',
            strict: transform.strict ?? false,
            catalogue: [...COLUMNS[endpoint]],
          }));
        const closeSlice = async (s: number): Promise<void> => {
          const sink = open.get(s);
          open.delete(s);
          if (sink) fileFiles.push(...(await sink.close()).map(toJournalFile));
        };
        const writeRejects = async (chunk: HistogramChunk): Promise<void> => {
          const sliceKey = chunk.slice >= 0 ? planned[chunk.slice].slice.key : null;
          const lines = [
            ...chunk.rejects.map((r) => JSON.stringify({ slice: key, key: sliceKey, ...r })),
            ...chunk.badRows.map((b) => JSON.stringify({ slice: key, file: file.path, line: b.line, reason: b.reason })),
          ];
          if (lines.length === 0) return;
          fileRejects += lines.length;
          await mkdir(dirname(rejectsPath), { recursive: true });
          await appendFile(rejectsPath, lines.map((l) => l + '\n').join(''));
        };
        await exportRanges({ pool: o.pool, tasks, signal: o.signal, ahead: o.ahead }, {
          consume: async (chunk) => {
            await writeRejects(chunk);
            if (chunk.slice < 0) return;
            const batch = chunkToBatch(chunk, transform);
            if (batch) {
              let sink = open.get(chunk.slice);
              if (!sink) {
                const prefix = target.filePrefix(`${key}/${planned[chunk.slice].slice.key}`);
                sink = stream.output.partition_by.length
                  ? openPartitionedSink({ ...sinkBase, filePrefix: prefix, partitionBy: stream.output.partition_by })
                  : openSink({ ...sinkBase, filePrefix: prefix });
                open.set(chunk.slice, sink);
              }
              await sink.write(batch);
              fileRecords += batch.numRows;
              const run = planned[chunk.slice].slice.partition.run;
              if (typeof run === 'number' && run > maxRun) maxRun = run;
              else if (typeof run !== 'number') for (const r of chunk.run) if (r > maxRun) maxRun = r;
            }
            o.onProgress?.({ records: chunk.rows, pages: 0, bytes: 0 });
            remaining[chunk.slice] -= chunk.consumed;
            if (remaining[chunk.slice] <= 0) await closeSlice(chunk.slice);
          },
        }).catch((err: unknown) => {
          throw err instanceof TaskFailure ? taskError(file.path, err) : err;
        });
        for (const s of [...open.keys()]) await closeSlice(s);
      }
      const report = { csv: csvReport(summaries[i] as FileSummary & CommittedFileReport), records: fileRecords, rejects: fileRejects };
      await journal.append({ type: 'slice', at: new Date().toISOString(), stream: stream.name, key, files: fileFiles, report });
      crashPoint('commit');
      files.push(...fileFiles);
      committedKeys.push(key);
      summary.records += fileRecords;
      summary.rejects += fileRejects;
      summary.bytesIn += scan.size;
      o.onProgress?.({ records: 0, pages: 1, bytes: scan.size });
    }
  } catch (err) {
    for (const sink of open.values()) await sink.abort().catch(() => {});
    await journal.close().catch(() => {});
    throw err;
  }
  if (prepared.journal.done && todo.length === 0) {
    await journal.close();
  } else {
    await target.finish({ files, provenance, rejects: summary.rejects, seconds: (Date.now() - started) / 1000, maxRun, committedKeys });
    await journal.append({ type: 'done', at: new Date().toISOString() });
    await journal.close();
  }
  summary.files = files.length;
  summary.bytes = files.reduce((n, f) => n + f.bytes, 0);
  summary.seconds = (Date.now() - started) / 1000;
  return summary;
}

/** A worker's failure as the error of the run, naming the file and line. */
function taskError(path: string, f: TaskFailure): InputError {
  if (f.code === 'E_CSV_ROW') {
    return new InputError(
      'E_CSV_ROW',
      `${path}:${f.line}: ${f.message}; fix or remove the row, or set source.bad_rows: reject (a DQM Playground server would stop parsing this file there and serve only the rows before it)`,
      { file: path, line: f.line },
    );
  }
  if (f.code === 'E_RECORD_INVALID') return new InputError('E_RECORD_INVALID', `${path}:${f.line}: ${f.message}`, { file: path, line: f.line });
  return new InputError(f.code, `${path}: ${f.message}`, { file: path });
}

/** The journal report of a file: what a resumed run needs to plan without reading it. */
function csvReport(s: FileSummary & CommittedFileReport): CommittedFileReport {
  return { size: s.size, mtimeMs: s.mtimeMs, dim: s.dim, rows: s.rows, runs: s.runs, titles: s.titles };
}
