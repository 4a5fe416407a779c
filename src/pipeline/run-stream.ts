/**
 * Runs one stream: plan slices (or take them from a plan file), extract them concurrently, transform
 * each batch, write each slice's files under a slice-unique prefix, and commit the slice (files
 * renamed, then one journal line) when the extractor has verified it complete. The target (a whole
 * dataset, or one shard's share of it) decides the names and what is written last.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Stream } from '../config/index.js';
import { isHistogramEndpoint, type Endpoint } from '../domain.js';
import { extractSlices, type DqmClient, type Slice } from '../extract/index.js';
import { readCursor } from '../dataset/cursor.js';
import { openJournal, sliceId, type JournalFile } from '../dataset/journal.js';
import { streamRoot } from '../dataset/layout.js';
import { provenanceMetadata } from '../dataset/manifest.js';
import { datasetTarget, shardTarget, type ShardRun } from '../dataset/targets.js';
import { openPartitionedSink, openSink, type Sink, type WrittenFile } from '../load/index.js';
import type { Logger } from '../log.js';
import { safeUrl } from '../secrets.js';
import { toRecordBatches, transformSpecFor } from '../transform/index.js';
import { crashPoint } from '../crash-points.js';
import { VERSION } from '../version.js';
import { planStream, streamSpecFor } from './stream-plan.js';
import { emptyStreamSummary, type StreamSummary } from './summary.js';

/** Options of one stream's run. */
export interface StreamRunOptions {
  client: DqmClient;
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
  slices?: Slice[];
  /** Run as one shard of a sharded export: tagged files and a shard manifest, no dataset manifest. */
  shard?: ShardRun;
}

function toJournalFile(f: WrittenFile): JournalFile {
  return { path: f.path, format: f.format, rows: f.rows, bytes: f.bytes, sha256: f.sha256, partition: f.partition, schema: f.schema };
}

/** Runs one stream end to end; resolves to its summary. */
export async function runStream(stream: Stream, options: StreamRunOptions): Promise<StreamSummary> {
  const started = Date.now();
  const root = streamRoot(stream, options.outRoot);
  const summary = emptyStreamSummary(stream.name, root);
  const endpoint = stream.endpoint as Endpoint;
  const target = options.shard
    ? shardTarget(root, stream, { resume: options.resume, configHash: options.configHash, shard: options.shard })
    : datasetTarget(root, stream, { resume: options.resume, configHash: options.configHash });
  const prepared = await target.prepare();
  // Counted from here, so retries of planning requests (the run list) are in the summary too.
  const retriesBefore = options.client.stats.attempts - options.client.stats.requests;
  const cursor = stream.incremental && !options.shard ? await readCursor(root) : null;
  const minRun = cursor ? cursor.value + 1 : undefined;
  const spec = streamSpecFor(stream, minRun);
  let slices = options.slices ?? (await planStream(stream, options.client, { minRun, signal: options.signal })).slices;
  summary.slices = slices.length;
  const committed = prepared.journal.slices;
  slices = slices.filter((s) => !committed.has(sliceId(stream.name, s.key)));
  summary.slicesSkipped = summary.slices - slices.length;
  options.onPlanned?.(slices.length);

  const transform = transformSpecFor(endpoint, {
    layout: stream.transform.layout,
    dtype: stream.transform.dtype,
    select: stream.transform.select,
    rename: stream.transform.rename,
    constants: stream.transform.constants as Record<string, string | number | boolean> | undefined,
    onShapeChange: stream.transform.on_shape_change,
    strict: stream.transform.strict,
  });
  const startedAt = new Date().toISOString();
  const provenance = { sourceUrl: `${options.client.baseUrl}/api/${endpoint}/`, endpoint, filters: spec.filters ?? {}, configHash: options.configHash, startedAt };
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
  if (committed.size === 0) await journal.append({ type: 'start', at: startedAt, configHash: options.configHash, version: VERSION, ...target.startFields });
  const rejectsPath = join(root, target.rejectsPath);
  const sinks = new Map<string, Sink>();
  const sliceRejects = new Map<string, number>();
  const files: JournalFile[] = [...prepared.keptFiles];
  const keys: string[] = [];
  for (const entry of committed.values()) {
    files.push(...entry.files);
    keys.push(entry.key);
    summary.rejects += Number(entry.report.rejects ?? 0);
  }
  let maxRun = cursor?.value ?? -Infinity;
  let exported = 0;
  try {
    for await (const event of extractSlices(options.client, slices, { signal: options.signal, logger: options.logger })) {
      const key = event.slice.key;
      if (event.type === 'batch') {
        summary.bytesIn += event.bytes;
        let records = event.records as unknown[];
        if (stream.max_records !== undefined) records = records.slice(0, Math.max(0, stream.max_records - exported));
        const { batches, rejects } = toRecordBatches(records, transform);
        if (rejects.length) {
          summary.rejects += rejects.length;
          sliceRejects.set(key, (sliceRejects.get(key) ?? 0) + rejects.length);
          await mkdir(dirname(rejectsPath), { recursive: true });
          await appendFile(rejectsPath, rejects.map((r) => JSON.stringify({ slice: key, ...r }) + '\n').join(''));
        }
        let sink = sinks.get(key);
        for (const batch of batches) {
          if (!sink) {
            const prefix = target.filePrefix(key);
            sink = stream.output.partition_by.length
              ? openPartitionedSink({ ...sinkBase, filePrefix: prefix, partitionBy: stream.output.partition_by })
              : openSink({ ...sinkBase, filePrefix: prefix });
            sinks.set(key, sink);
          }
          await sink.write(batch);
          summary.records += batch.numRows;
          exported += batch.numRows;
        }
        options.onProgress?.({ records: records.length, pages: 1, bytes: event.bytes });
      } else {
        const sink = sinks.get(key);
        sinks.delete(key);
        const jf = (sink ? await sink.close() : []).map(toJournalFile);
        files.push(...jf);
        keys.push(key);
        summary.duplicatesDropped += event.report.duplicates;
        summary.repairs += event.report.repairs;
        const report = { ...event.report, rejects: sliceRejects.get(key) ?? 0 };
        await journal.append({ type: 'slice', at: new Date().toISOString(), stream: stream.name, key, files: jf, report });
        crashPoint('commit');
        const run = event.slice.partition.run;
        if (typeof run === 'number' && run > maxRun) maxRun = run;
      }
    }
  } catch (err) {
    for (const sink of sinks.values()) await sink.abort().catch(() => {});
    await journal.close().catch(() => {});
    throw err;
  }
  summary.retries = options.client.stats.attempts - options.client.stats.requests - retriesBefore;
  if (prepared.journal.done && slices.length === 0) {
    // Resumed after this stream (or shard) had finished: nothing to do, nothing rewritten.
    await journal.close();
  } else {
    await target.finish({ files, provenance, rejects: summary.rejects, seconds: (Date.now() - started) / 1000, maxRun, committedKeys: keys });
    await journal.append({ type: 'done', at: new Date().toISOString() });
    await journal.close();
  }
  summary.files = files.length;
  summary.bytes = files.reduce((n, f) => n + f.bytes, 0);
  summary.seconds = (Date.now() - started) / 1000;
  if (!isHistogramEndpoint(endpoint) && summary.records === 0 && summary.slices > 0 && summary.slicesSkipped === 0) {
    options.logger.warn({ stream: stream.name, url: safeUrl(provenance.sourceUrl) }, 'stream exported no records');
  }
  return summary;
}
