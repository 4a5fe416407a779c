/**
 * Runs a histogram stream of an ml4dqm-csv source, streamed: scan the files (no histogram parsed),
 * plan the slices from what the scans found, then export file after file, each file's byte ranges
 * parsed by worker threads and routed to per-slice sinks in one pass. The unit of commit is a file:
 * its sinks are closed (files renamed in place) and then one journal line, naming every file it
 * produced and what planning needs to know of it, commits it. `--resume` skips committed files
 * without reading them again, and the result equals an uninterrupted run's.
 */
import { rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Stream } from '../config/index.js';
import { readCursor } from '../dataset/cursor.js';
import { sliceId } from '../dataset/journal.js';
import { streamRoot } from '../dataset/layout.js';
import { provenanceMetadata, type Provenance } from '../dataset/manifest.js';
import { openRejectsFile } from '../dataset/rejects-file.js';
import { openSliceLedger } from '../dataset/slice-ledger.js';
import { datasetTarget, shardTarget, type ShardRun } from '../dataset/targets.js';
import type { Endpoint } from '../domain.js';
import type { CodeOf } from '../error-codes.js';
import { InputError } from '../errors.js';
import { SliceSinks, type EncoderPool, type WrittenFile } from '../load/index.js';
import type { Logger } from '../log.js';
import { holdYoungGenerations } from '../young-generation.js';
import { chunkToBatch } from '../sources/csv/chunk-batch.js';
import { idBases, planCsvSlices, routeRows, type FileSummary } from '../sources/csv/csv-plan.js';
import { chunkTransferList, type HistogramChunk } from '../sources/csv/chunk.js';
import type { ChunkConsumer } from '../sources/csv/export-file.js';
import { LaneOrderedAppends, defaultLaneCount, exportLanes, splitLanes } from '../sources/csv/lanes.js';
import {
  DEFAULT_READ_SETTINGS,
  scanFiles,
  summaryOfCommitted,
  summaryOfScan,
  type CommittedFileReport,
  type CsvReadSettings,
} from '../sources/csv/file-scans.js';
import type { BadRowPolicy, ParseTask } from '../sources/csv/parse-range.js';
import type { FileScanResult } from '../sources/csv/scan-file.js';
import { TaskFailure, type CsvWorkerPool } from '../sources/csv/worker-pool.js';
import { COLUMNS } from '../transform/index.js';
import { isFixedShape } from '../transform/histogram-data.js';
import { VERSION } from '../version.js';
import { streamSpecFor } from '../sources/playground/stream-plan.js';
import { openStreamSink, streamTransform } from './stream-settings.js';
import { emptyStreamSummary, type StreamSummary } from './summary.js';
import { CSV_MAX_ROW_GROUP_BYTES, csvEncoderPools, defaultBatchRows, destroyAll } from './csv-encoders.js';

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
  /** Called once with the records the scans found to export (the progress bar's total). */
  onRecordsPlanned?: (records: number) => void;
  signal?: AbortSignal;
  /** Rows per batch (default: about 2 MB of histogram values). */
  batchRows?: number;
  /** Ranges in flight per lane, the one being written included (default: (workers + 1) / lanes, rounded down). */
  ahead?: number;
  /**
   * Lanes of a file exported side by side, each with its own Parquet encoder worker (default: 2 on a
   * machine of 2 cores or more, `defaultLaneCount`). See src/sources/csv/lanes.ts.
   */
  lanes?: number;
  /** Read and split sizes (defaults: DEFAULT_READ_SETTINGS). */
  read?: Partial<CsvReadSettings>;
  /** Run one shard's share: the files it exports, and the plan file's facts of the others (src/pipeline/csv-shards.ts). */
  shard?: { shard: ShardRun; owned: ReadonlySet<number>; known: ReadonlyMap<number, CommittedFileReport> };
}

/** Journal key of a file: its path relative to the files' common directory. */
export function fileKey(root: string, path: string): string {
  return `file=${relative(root, path).split(sep).join('/')}`;
}

/** Runs one histogram stream over CSV files; resolves to its summary. */
export async function runCsvStream(stream: Stream, o: CsvStreamOptions): Promise<StreamSummary> {
  const laneCount = Math.max(1, Math.floor(o.lanes ?? defaultLaneCount()));
  const release = holdYoungGenerations();
  const encoderPools = csvEncoderPools(laneCount, o.logger);
  try {
    return await runWithEncoders(stream, o, encoderPools);
  } finally {
    await destroyAll(encoderPools);
    release();
  }
}

/** runCsvStream with the stream's encoder pools (one per lane), which the caller destroys however this ends. */
async function runWithEncoders(
  stream: Stream,
  o: CsvStreamOptions,
  encoderPools: EncoderPool[],
): Promise<StreamSummary> {
  const laneCount = encoderPools.length;
  const started = Date.now();
  const read = { ...DEFAULT_READ_SETTINGS, ...o.read };
  const endpoint = stream.endpoint as Endpoint;
  const dim = endpoint === 'lumisection_histograms_1d' ? 1 : 2;
  const root = streamRoot(stream, o.outRoot);
  const summary = emptyStreamSummary(stream.name, root);
  const target = o.shard
    ? shardTarget(root, stream, { resume: o.resume, configHash: o.configHash, shard: o.shard.shard })
    : datasetTarget(root, stream, { resume: o.resume, configHash: o.configHash });
  const prepared = await target.prepare();
  const committed = prepared.journal.slices;
  const cursor = stream.incremental ? await readCursor(root) : null;
  const minRun = cursor ? cursor.value + 1 : undefined;
  const spec = streamSpecFor(stream, minRun);

  // What planning needs of every file: committed ones from their journal lines, others of a shard
  // from the plan file, the rest scanned (a shard without a plan file scans the others' files too).
  const keys = o.files.map((f) => fileKey(o.root, f));
  const isCommitted = (i: number): boolean => committed.has(sliceId(stream.name, keys[i]));
  const todo = o.files.map((_, i) => i).filter((i) => !isCommitted(i) && (!o.shard || o.shard.owned.has(i)));
  const exported = new Set(todo);
  const toScan = o.files.map((_, i) => i).filter((i) => exported.has(i) || (!isCommitted(i) && !o.shard?.known.has(i)));
  // The encoders start while the files are scanned: one worker scans a file, the other core is free.
  if (todo.length > 0) for (const pool of encoderPools) pool.prestart();
  const scanned = await scanFiles(
    o.pool,
    toScan.map((i) => o.files[i]),
    o.dim,
    read,
  );
  const scans = new Map<number, FileScanResult>(toScan.map((i, k) => [i, scanned[k]]));
  const summaries: FileSummary[] = [];
  for (let i = 0; i < o.files.length; i++) {
    const scan = scans.get(i);
    if (scan) {
      summaries.push(summaryOfScan(o.files[i], i + 1, scan, o.dim));
      continue;
    }
    const facts = isCommitted(i) ? undefined : o.shard?.known.get(i);
    if (facts) {
      summaries.push({ path: o.files[i], fileId: i + 1, ...facts });
      continue;
    }
    const report = committed.get(sliceId(stream.name, keys[i]))!.report.csv as CommittedFileReport;
    const st = await stat(o.files[i]);
    summaries.push(summaryOfCommitted(o.files[i], i + 1, report, { size: st.size, mtimeMs: st.mtimeMs }));
  }
  const planned = planCsvSlices(spec, summaries, o.description);
  const bases = idBases(summaries);
  // Slices as planned; the unit of commit is a file, so a slice counts as skipped only when every file was committed.
  // A shard's unit is a file: it counts its files.
  summary.slices = o.shard ? o.shard.shard.assigned : planned.length;
  summary.slicesSkipped = todo.length === 0 ? summary.slices : 0;
  o.onPlanned?.(todo.length);
  // Every row routed up front (no histogram parsed): the progress total, and max_records applied in file order.
  const routes = new Map<number, ReturnType<typeof routeRows>>();
  let routed = 0;
  for (const i of todo) {
    if (summaries[i].dim === null) continue;
    const limit = stream.max_records === undefined ? Infinity : Math.max(0, stream.max_records - routed);
    const r = routeRows(scans.get(i)!, summaries[i].fileId, dim, planned, limit);
    routes.set(i, r);
    for (const c of r.counts) routed += c;
  }
  o.onRecordsPlanned?.(routed);

  const transform = streamTransform(stream);
  const float32 = transform.dtype === 'float32';
  const startedAt = new Date().toISOString();
  const provenance: Provenance = {
    sourceUrl: `${o.baseUrl}/api/${endpoint}/`,
    endpoint,
    filters: spec.filters ?? {},
    configHash: o.configHash,
    startedAt,
  };
  const metadata = {
    ...provenanceMetadata(provenance),
    'dqm_export.version': VERSION,
    'dqm_export.stream': stream.name,
  };
  const ledger = await openSliceLedger(root, target, prepared, {
    stream: stream.name,
    at: startedAt,
    configHash: o.configHash,
  });
  summary.rejects += ledger.resumedRejects;
  const rejects = openRejectsFile(join(root, target.rejectsPath));
  // One sink per (file, slice, lane): a file's slices commit together, in its journal line; a lane's
  // files are encoded by the lane's own worker.
  const laneSinks = encoderPools.map(
    (encoderPool) =>
      new SliceSinks((key) =>
        openStreamSink(stream, {
          root,
          filePrefix: target.filePrefix(key),
          metadata,
          encoderPool,
          maxRowGroupBytes: CSV_MAX_ROW_GROUP_BYTES / laneCount,
        }),
      ),
  );
  let maxRun = cursor?.value ?? -Infinity;
  // Files of the file being exported that its slices closed: not committed if the export fails.
  let uncommitted: WrittenFile[] = [];
  try {
    for (const i of todo) {
      const scan = scans.get(i)!;
      const file = summaries[i];
      const key = keys[i];
      const written: WrittenFile[] = [];
      uncommitted = written;
      let fileRecords = 0;
      const routing = routes.get(i);
      if (routing) {
        const { route } = routing;
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
            fixedShape: isFixedShape(transform.layout),
            batchRows: o.batchRows ?? defaultBatchRows(scan.valuesPerRow, float32),
            valuesPerRow: scan.valuesPerRow,
            blockBytes: read.blockBytes,
            badRows: o.badRows ?? 'fail',
            strict: transform.strict ?? false,
            catalogue: [...COLUMNS[endpoint]],
          }));
        // Lanes of ranges exported side by side, each with its own sinks (and so encoder worker).
        const lanes = splitLanes(tasks, laneCount);
        const laneRejects = new LaneOrderedAppends<object>(lanes.length, (entries) => rejects.append(key, entries));
        const consumerFor = (lane: number): ChunkConsumer & { end(): Promise<void> } => {
          const remaining = new Array<number>(planned.length).fill(0);
          for (const t of lanes[lane]) for (const s of t.route) if (s >= 0) remaining[s]++;
          const open = new Set<number>();
          const sinks = laneSinks[lane];
          // Lane 0 keeps the key of a one-lane export; a slice's rows in a later lane go to files of their own.
          const sinkKey = (s: number): string => `${key}/${planned[s].slice.key}${lane === 0 ? '' : `/lane-${lane}`}`;
          const closeSlice = async (s: number): Promise<void> => {
            open.delete(s);
            written.push(...(await sinks.close(sinkKey(s))));
          };
          return {
            consume: async (chunk: HistogramChunk): Promise<void> => {
              const sliceKey = chunk.slice >= 0 ? planned[chunk.slice].slice.key : null;
              await laneRejects.append(lane, [
                ...chunk.rejects.map((r) => ({ key: sliceKey, ...r })),
                ...chunk.badRows.map((b) => ({ file: file.path, line: b.line, reason: b.reason })),
              ]);
              if (chunk.slice < 0) return o.pool.recycle(chunkTransferList(chunk));
              const batch = chunkToBatch(chunk, transform);
              if (batch) {
                open.add(chunk.slice);
                await sinks.write(sinkKey(chunk.slice), batch);
                fileRecords += batch.numRows;
                const run = planned[chunk.slice].slice.partition.run;
                if (typeof run === 'number') maxRun = Math.max(maxRun, run);
                else for (const r of chunk.run) maxRun = Math.max(maxRun, r);
              }
              o.onProgress?.({ records: chunk.rows, pages: 0, bytes: 0 });
              // The sink has copied or written the batch: its buffers go back to the workers.
              o.pool.recycle(chunkTransferList(chunk));
              remaining[chunk.slice] -= chunk.consumed;
              // All its rows in this lane are in: close the slice's files now, so few are open at once.
              if (remaining[chunk.slice] <= 0 && open.has(chunk.slice)) await closeSlice(chunk.slice);
            },
            end: async (): Promise<void> => {
              for (const s of [...open]) await closeSlice(s);
            },
          };
        };
        const consumers = lanes.map((_, lane) => consumerFor(lane));
        await exportLanes(
          {
            pool: o.pool,
            lanes,
            signal: o.signal,
            ahead: o.ahead ?? Math.max(1, Math.floor((o.pool.size + 1) / lanes.length)),
            onLaneEnd: async (lane) => {
              await consumers[lane].end();
              await laneRejects.end(lane);
            },
          },
          (lane) => consumers[lane],
        ).catch((err: unknown) => {
          throw err instanceof TaskFailure ? taskError(file.path, err) : err;
        });
        await laneRejects.drain();
      }
      const fileRejects = rejects.countOf(key);
      await ledger.commit(key, written, {
        csv: csvReport(summaries[i] as FileSummary & CommittedFileReport),
        records: fileRecords,
        rejects: fileRejects,
      });
      uncommitted = [];
      summary.records += fileRecords;
      summary.rejects += fileRejects;
      summary.bytesIn += scan.size;
      o.onProgress?.({ records: 0, pages: 1, bytes: scan.size });
    }
  } catch (err) {
    for (const sinks of laneSinks) await sinks.abortAll();
    // A failed file leaves none of its files behind, whichever of its slices (or lanes) had ended.
    await Promise.all(uncommitted.map((f) => rm(join(root, f.path), { force: true }))).catch(() => {});
    await ledger.close().catch(() => {});
    await destroyAll(encoderPools);
    throw err;
  }
  await destroyAll(encoderPools);
  if (prepared.journal.done && todo.length === 0) {
    await ledger.close();
  } else {
    await ledger.finish({ provenance, rejects: summary.rejects, seconds: (Date.now() - started) / 1000, maxRun });
  }
  summary.files = ledger.files.length;
  summary.bytes = ledger.files.reduce((n, f) => n + f.bytes, 0);
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
  if (f.code === 'E_RECORD_INVALID')
    return new InputError('E_RECORD_INVALID', `${path}:${f.line}: ${f.message}`, { file: path, line: f.line });
  return new InputError(f.code as CodeOf<'input'>, `${path}: ${f.message}`, { file: path });
}

/** The journal report of a file: what a resumed run needs to plan without reading it. */
function csvReport(s: FileSummary & CommittedFileReport): CommittedFileReport {
  return { size: s.size, mtimeMs: s.mtimeMs, dim: s.dim, rows: s.rows, runs: s.runs, titles: s.titles };
}
