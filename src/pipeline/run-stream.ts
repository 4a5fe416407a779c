/**
 * Runs one stream: plan slices (or take them from a plan file), extract them concurrently, transform
 * each batch, write each slice's files under a slice-unique prefix, and commit the slice (files
 * renamed, then one journal line) when the extractor has verified it complete. The target (a whole
 * dataset, or one shard's share of it) decides the names and what is written last.
 */
import { join } from 'node:path';
import type { Stream } from '../config/index.js';
import { readCursor } from '../dataset/cursor.js';
import { sliceId } from '../dataset/journal.js';
import { streamRoot } from '../dataset/layout.js';
import { provenanceMetadata, type Provenance } from '../dataset/manifest.js';
import { openRejectsFile, type RejectsFile } from '../dataset/rejects-file.js';
import { openSliceLedger, type SliceLedger } from '../dataset/slice-ledger.js';
import type { PreparedOutput } from '../dataset/output-root.js';
import { datasetTarget, shardTarget, type OutputTarget, type ShardRun } from '../dataset/targets.js';
import { SliceSinks, settleArrayBufferDetaching } from '../load/index.js';
import type { Logger } from '../log.js';
import { safeUrl } from '../secrets.js';
import { isHistogramStream } from '../transform/columns.js';
import type { Source, SourceEvent, SourceSlice } from '../sources/source.js';
import { toRecordBatches, type TransformSpec } from '../transform/index.js';
import { VERSION } from '../version.js';
import { isFull, type PendingRecords } from './coalesce.js';
import { CommitQueue } from './commit-queue.js';
import { openStreamSink, streamTransform } from './stream-settings.js';
import { emptyStreamSummary, type StreamSummary } from './summary.js';

/** Options of one stream's run. */
export interface StreamRunOptions {
  /** Where records come from. */
  source: Source;
  /** Directory that relative output paths resolve against. */
  outRoot: string;
  configHash: string;
  resume: boolean;
  logger: Logger;
  /** Called as records arrive (progress display). */
  onProgress?: (delta: { records: number; pages: number; bytes: number }) => void;
  /** Called once the plan's totals are known, when they are. */
  onPlanned?: (slices: number) => void;
  signal?: AbortSignal;
  /** Slices to run instead of planning (from a plan file, or this shard's share); filters included. */
  slices?: SourceSlice[];
  /** Run as one shard of a sharded export: tagged files and a shard manifest, no dataset manifest. */
  shard?: ShardRun;
}

function targetFor(stream: Stream, root: string, o: StreamRunOptions): OutputTarget {
  return o.shard
    ? shardTarget(root, stream, { resume: o.resume, configHash: o.configHash, shard: o.shard })
    : datasetTarget(root, stream, { resume: o.resume, configHash: o.configHash });
}

/** Retries so far over the source's life (attempts beyond the first of each request). */
function retriesOf(source: Source): number {
  return source.stats.attempts - source.stats.requests;
}

/** What the extraction loop works with. */
interface SliceLoop {
  stream: Stream;
  transform: TransformSpec;
  sinks: SliceSinks;
  rejects: RejectsFile;
  ledger: SliceLedger;
  summary: StreamSummary;
  onProgress: StreamRunOptions['onProgress'];
  /** Records written so far (for `max_records`). */
  exported: number;
  /** Each slice's records received but not yet written (see coalesce.ts). */
  pending: Map<string, PendingRecords>;
  /** Highest run of a committed slice, for the incremental cursor. */
  maxRun: number;
  /** Slices being committed while the loop goes on. */
  commits: CommitQueue;
}

/**
 * A page of records: held with the slice's earlier pages until they make a batch worth encoding
 * (coalesce.ts), then written by `writeHeld`. With `max_records` every page is written at once (the
 * limit counts written rows).
 */
async function writePage(loop: SliceLoop, key: string, event: Extract<SourceEvent, { type: 'batch' }>): Promise<void> {
  loop.summary.bytesIn += event.bytes;
  let records = event.records as unknown[];
  if (loop.stream.max_records !== undefined)
    records = records.slice(0, Math.max(0, loop.stream.max_records - loop.exported));
  const held = loop.pending.get(key) ?? { records: [], bytes: 0 };
  for (const r of records) held.records.push(r);
  held.bytes += event.bytes;
  loop.pending.set(key, held);
  if (loop.stream.max_records !== undefined || isFull(held)) await writeHeld(loop, key);
  loop.onProgress?.({ records: records.length, pages: 1, bytes: event.bytes });
}

/** A slice's held records: transformed, their rejects appended, their batches written to the slice's sink. */
async function writeHeld(loop: SliceLoop, key: string): Promise<void> {
  const held = loop.pending.get(key);
  loop.pending.delete(key);
  if (!held || held.records.length === 0) return;
  const { batches, rejects } = toRecordBatches(held.records, loop.transform);
  if (rejects.length) {
    loop.summary.rejects += rejects.length;
    await loop.rejects.append(key, rejects);
  }
  for (const batch of batches) {
    await loop.sinks.write(key, batch);
    loop.summary.records += batch.numRows;
    loop.exported += batch.numRows;
  }
}

/**
 * A slice the extractor verified complete: its last records written, then, beside the loop
 * (commit-queue.ts), its files closed and the slice committed in the journal.
 */
async function commitSlice(loop: SliceLoop, event: Extract<SourceEvent, { type: 'slice-done' }>): Promise<void> {
  const key = event.slice.key;
  await writeHeld(loop, key);
  await loop.commits.add(async () => {
    const written = await loop.sinks.close(key);
    loop.summary.duplicatesDropped += event.report.duplicates;
    loop.summary.repairs += event.report.repairs;
    await loop.ledger.commit(key, written, { ...event.report, rejects: loop.rejects.countOf(key) });
    const run = event.slice.partition.run;
    if (typeof run === 'number' && run > loop.maxRun) loop.maxRun = run;
  });
}

/** A stream's plan being made: its slices, or `abort()` when they are no longer wanted. */
interface Planning {
  slices: Promise<SourceSlice[]>;
  abort(): void;
}

/** Starts planning the slices (or takes the given ones); `minRun` from an incremental cursor. */
function startPlanning(stream: Stream, o: StreamRunOptions, minRun?: number): Planning {
  if (o.slices) return { slices: Promise.resolve(o.slices), abort: () => {} };
  const controller = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, controller.signal]) : controller.signal;
  const slices = o.source.plan(stream, { minRun, signal });
  slices.catch(() => {}); // awaited by runStream, or abandoned with the output's own error
  return { slices, abort: () => controller.abort(new Error('the output could not be prepared')) };
}

/**
 * Prepares the output and plans the slices at once: planning waits a round trip for the run list,
 * preparing reads and writes the output directory (slow on a network file system). An incremental
 * stream plans from the cursor kept in that directory, so it plans once the directory is read. An
 * error preparing the output wins and stops the planning; a planning error comes after the output
 * was prepared, as when they ran one after the other.
 */
async function prepareAndPlan(stream: Stream, target: OutputTarget, root: string, o: StreamRunOptions) {
  const fromCursor = Boolean(stream.incremental) && !o.shard;
  const early = fromCursor ? undefined : startPlanning(stream, o);
  let prepared: PreparedOutput;
  try {
    prepared = await target.prepare();
  } catch (err) {
    early?.abort();
    throw err;
  }
  const cursor = fromCursor ? await readCursor(root) : null;
  const minRun = cursor ? cursor.value + 1 : undefined;
  const planned = await (early ?? startPlanning(stream, o, minRun)).slices;
  const committed = prepared.journal.slices;
  const slices = planned.filter((s) => !committed.has(sliceId(stream.name, s.key)));
  return { prepared, cursor, minRun, planned: planned.length, slices };
}

/** Runs one stream end to end; resolves to its summary. */
export async function runStream(stream: Stream, options: StreamRunOptions): Promise<StreamSummary> {
  const started = Date.now();
  // Before the first page is decoded: the first batch transferred to the encoder worker would
  // otherwise discard the decoder's and the transform's optimised code (array-buffer-detach.ts).
  settleArrayBufferDetaching();
  const root = streamRoot(stream, options.outRoot);
  const summary = emptyStreamSummary(stream.name, root);
  const target = targetFor(stream, root, options);
  // Counted from here, so retries of planning requests (the run list) are in the summary too.
  const retriesBefore = retriesOf(options.source);
  const { prepared, cursor, minRun, planned, slices } = await prepareAndPlan(stream, target, root, options);
  summary.slices = planned;
  summary.slicesSkipped = planned - slices.length;
  options.onPlanned?.(slices.length);

  const startedAt = new Date().toISOString();
  const provenance: Provenance = {
    ...options.source.provenance(stream, minRun),
    configHash: options.configHash,
    startedAt,
  };
  const metadata = {
    ...provenanceMetadata(provenance),
    'dqm_export.version': VERSION,
    'dqm_export.stream': stream.name,
  };
  const transform = streamTransform(stream);
  const ledger = await openSliceLedger(root, target, prepared, {
    stream: stream.name,
    at: startedAt,
    configHash: options.configHash,
  });
  summary.rejects += ledger.resumedRejects;
  const loop: SliceLoop = {
    stream,
    transform,
    sinks: new SliceSinks((key) => openStreamSink(stream, { root, filePrefix: target.filePrefix(key), metadata })),
    rejects: openRejectsFile(join(root, target.rejectsPath)),
    ledger,
    summary,
    onProgress: options.onProgress,
    exported: 0,
    pending: new Map(),
    maxRun: cursor?.value ?? -Infinity,
    commits: new CommitQueue(options.source.concurrency),
  };
  try {
    for await (const event of options.source.extract(slices, { signal: options.signal, logger: options.logger })) {
      if (event.type === 'batch') await writePage(loop, event.slice.key, event);
      else await commitSlice(loop, event);
    }
    await loop.commits.drain();
  } catch (err) {
    // Commits in flight end first (a verified slice still commits), then the open files go.
    await loop.commits.settle();
    await loop.sinks.abortAll();
    await ledger.close().catch(() => {});
    throw err;
  }
  summary.retries = retriesOf(options.source) - retriesBefore;
  if (prepared.journal.done && slices.length === 0) {
    // Resumed after this stream (or shard) had finished: nothing to do, nothing rewritten.
    await ledger.close();
  } else {
    await ledger.finish({
      provenance,
      rejects: summary.rejects,
      seconds: (Date.now() - started) / 1000,
      maxRun: loop.maxRun,
    });
  }
  summary.files = ledger.files.length;
  summary.bytes = ledger.files.reduce((n, f) => n + f.bytes, 0);
  summary.seconds = (Date.now() - started) / 1000;
  if (
    !isHistogramStream(stream.endpoint) &&
    summary.records === 0 &&
    summary.slices > 0 &&
    summary.slicesSkipped === 0
  ) {
    options.logger.warn({ stream: stream.name, url: safeUrl(provenance.sourceUrl) }, 'stream exported no records');
  }
  return summary;
}
