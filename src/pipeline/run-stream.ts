/**
 * Runs one stream: plan slices, extract them concurrently, transform each batch, write each slice's
 * files under a slice-unique prefix, and commit the slice (files renamed, then one journal line) when
 * the extractor has verified it complete. The dataset manifest and `_SUCCESS` come last.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Stream } from '../config/index.js';
import { isHistogramEndpoint, type Endpoint } from '../domain.js';
import { extractSlices, loadPlanContext, planSlices, type DqmClient, type Slice, type StreamSpec } from '../extract/index.js';
import { buildManifest, openPartitionedSink, openSink, provenanceMetadata, writeManifest, writeSuccessMarker, type Sink, type WrittenFile } from '../load/index.js';
import type { Logger } from '../log.js';
import { safeUrl } from '../secrets.js';
import { toRecordBatches, transformSpecFor } from '../transform/index.js';
import { VERSION } from '../version.js';
import { readCursor, writeCursor } from './cursor.js';
import { openJournal, sliceId, type JournalFile } from './journal.js';
import { prepareOutputRoot } from './output-root.js';
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
}

/** `slice.by` of the pipeline file as the extractor's slice dimensions, plus an optional run cursor. */
export function streamSpecFor(stream: Stream, minRun?: number): StreamSpec {
  const filters = { ...stream.filters } as Record<string, string | number | boolean | (string | number)[]>;
  if (minRun !== undefined) {
    const key = stream.endpoint === 'lumisections' ? null : stream.endpoint === 'runs' ? null : 'lumisection__run__run_number__gte';
    if (key) {
      const current = typeof filters[key] === 'number' ? (filters[key] as number) : -Infinity;
      filters[key] = Math.max(current, minRun);
    }
  }
  const slice = stream.slice as { by: string; runs?: number[]; size?: number };
  const spec: StreamSpec = { endpoint: stream.endpoint as Endpoint, filters };
  if (slice.by !== 'none') spec.sliceBy = [slice.by as 'run' | 'run-range' | 'title'];
  if (slice.runs) spec.runs = minRun === undefined ? slice.runs : slice.runs.filter((r) => r >= minRun);
  if (slice.size) spec.runsPerSlice = slice.size;
  return spec;
}

/** Short stable hash of a slice key: file names must be unique per slice and filesystem-safe. */
export function slicePrefix(key: string): string {
  return 'part-' + createHash('sha256').update(key).digest('hex').slice(0, 12);
}

function toJournalFile(f: WrittenFile): JournalFile {
  return { path: f.path, rows: f.rows, bytes: f.bytes, sha256: f.sha256, partition: f.partition };
}

/** Runs one stream end to end; resolves to its summary. */
export async function runStream(stream: Stream, options: StreamRunOptions): Promise<StreamSummary> {
  const started = Date.now();
  const root = isAbsolute(stream.output.path) ? stream.output.path : resolve(options.outRoot, stream.output.path);
  const summary = emptyStreamSummary(stream.name, root);
  const endpoint = stream.endpoint as Endpoint;
  const prepared = await prepareOutputRoot(root, {
    mode: stream.output.mode,
    resume: options.resume,
    configHash: options.configHash,
    stream: stream.name,
  });
  const cursor = stream.incremental ? await readCursor(root) : null;
  const spec = streamSpecFor(stream, cursor ? cursor.value + 1 : undefined);
  const context = await loadPlanContext(options.client, spec, { signal: options.signal });
  let slices = planSlices(spec, context) as Slice[];
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

  const journal = await openJournal(root);
  if (committed.size === 0) await journal.append({ type: 'start', at: startedAt, configHash: options.configHash, version: VERSION });
  const rejectsPath = join(root, '.dqm-export', 'rejects.jsonl');
  const sinks = new Map<string, Sink>();
  const files: JournalFile[] = [...prepared.keptFiles];
  for (const entry of committed.values()) files.push(...entry.files);
  const retriesBefore = options.client.stats.attempts - options.client.stats.requests;
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
          await mkdir(join(root, '.dqm-export'), { recursive: true });
          await appendFile(rejectsPath, rejects.map((r) => JSON.stringify({ slice: key, ...r }) + '\n').join(''));
        }
        let sink = sinks.get(key);
        for (const batch of batches) {
          if (!sink) {
            sink = stream.output.partition_by.length
              ? openPartitionedSink({ ...sinkBase, filePrefix: slicePrefix(key), partitionBy: stream.output.partition_by })
              : openSink({ ...sinkBase, filePrefix: slicePrefix(key) });
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
        const written = sink ? await sink.close() : [];
        const jf = written.map(toJournalFile);
        files.push(...jf);
        summary.duplicatesDropped += event.report.duplicates;
        summary.repairs += event.report.repairs;
        await journal.append({ type: 'slice', at: new Date().toISOString(), stream: stream.name, key, files: jf, report: { ...event.report } });
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
  const manifest = buildManifest({
    provenance,
    files: files.map((f) => ({ ...f, format: stream.output.format })) as unknown as WrittenFile[],
    timings: { seconds: (Date.now() - started) / 1000 },
    rejects: summary.rejects ? { count: summary.rejects, file: '.dqm-export/rejects.jsonl' } : undefined,
  });
  await writeManifest(root, manifest);
  await writeSuccessMarker(root);
  await journal.append({ type: 'done', at: new Date().toISOString() });
  await journal.close();
  if (stream.incremental && Number.isFinite(maxRun)) await writeCursor(root, maxRun);
  summary.files = files.length;
  summary.bytes = files.reduce((n, f) => n + f.bytes, 0);
  summary.seconds = (Date.now() - started) / 1000;
  if (!isHistogramEndpoint(endpoint) && summary.records === 0 && summary.slices > 0 && summary.slicesSkipped === 0) {
    options.logger.warn({ stream: stream.name, url: safeUrl(provenance.sourceUrl) }, 'stream exported no records');
  }
  return summary;
}

