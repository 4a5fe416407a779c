/**
 * Runs a loaded pipeline: connects (token from the file, the environment or a token file), runs the
 * optional `prepare` steps, then each stream in order, and returns the summary. The exit code is 3
 * when records were rejected, 0 otherwise; failures throw a DqmExportError.
 */
import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { LoadedPipeline } from '../config/index.js';
import { isHistogramStream } from '../transform/columns.js';
import { sliceAssignment } from './assignment.js';
import type { PlanFile } from './plan-file.js';
import type { ShardIndex } from './shards.js';
import { openSource, type SourceOptions } from './source.js';
import { runCsvStream } from './run-csv-stream.js';
import { csvShardAssignment } from './csv-shards.js';
import { runStream } from './run-stream.js';
import type { RunSummary } from './summary.js';

/** Options of `runPipeline`. */
export interface RunOptions extends SourceOptions {
  /** Output paths resolve against this directory (default: the pipeline file's directory). */
  outDir?: string;
  resume?: boolean;
  onProgress?: (delta: { records: number; pages: number; bytes: number }) => void;
  /** Called with each stream's planned total of records, when it is known before the export. */
  onPlanned?: (slices: number) => void;
  /** Called with records a stream will export, when known before the export (CSV sources). */
  onRecordsPlanned?: (records: number) => void;
  signal?: AbortSignal;
  /** Run the slices of this plan (from `plan --write-plan`) instead of planning. */
  plan?: PlanFile;
  /** Run only this shard's slices (by the plan's assignment, else by a hash of the slice key). */
  shard?: ShardIndex;
}

/** Runs every stream of the pipeline. */
export async function runPipeline(loaded: LoadedPipeline, options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const { pipeline } = loaded;
  const source = await openSource(loaded, options);
  const summary: RunSummary = { pipeline: pipeline.name, streams: [], seconds: 0, exitCode: 0 };
  try {
    if (options.shard && pipeline.prepare?.length) {
      // N shards must not all start parsing the same files: `plan --prepare` runs them once.
      options.logger.warn(
        { shard: options.shard.index },
        'prepare steps are not run by a shard; run them once with plan --prepare (or an unsharded run)',
      );
    } else if (pipeline.prepare?.length) {
      if (!source.prepare)
        throw new ConfigError(
          'E_PREPARE_UNSUPPORTED',
          `${loaded.file}: prepare steps need a dqm-playground source, not ${source.kind}`,
          { file: loaded.file, field: 'prepare' },
        );
      await source.prepare(pipeline.prepare, { logger: options.logger, signal: options.signal });
    }
    const outRoot = options.outDir ? resolve(options.outDir) : loaded.dir;
    for (const stream of pipeline.streams) {
      options.logger.info({ stream: stream.name }, 'stream started');
      const csv = source.csv;
      if (csv && isHistogramStream(stream.endpoint)) {
        // CSV histograms are streamed from the files, file by file (src/sources/csv/); a shard runs its files.
        const shard = await csvShardAssignment(loaded, stream, csv, options);
        const s = await runCsvStream(stream, {
          shard,
          ...csv.options,
          pool: csv.pool(),
          outRoot,
          configHash: loaded.configHash,
          resume: options.resume ?? false,
          logger: options.logger,
          onProgress: options.onProgress,
          onPlanned: options.onPlanned,
          onRecordsPlanned: options.onRecordsPlanned,
          signal: options.signal,
        });
        options.logger.info({ ...s }, 'stream finished');
        summary.streams.push(s);
        continue;
      }
      const s = await runStream(stream, {
        ...(await sliceAssignment(loaded, stream, source, options)),
        source,
        outRoot,
        configHash: loaded.configHash,
        resume: options.resume ?? false,
        logger: options.logger,
        onProgress: options.onProgress,
        signal: options.signal,
      });
      options.logger.info({ ...s }, 'stream finished');
      summary.streams.push(s);
    }
  } finally {
    await source.close();
  }
  summary.seconds = (Date.now() - started) / 1000;
  summary.exitCode = summary.streams.some((s) => s.rejects > 0) ? 3 : 0;
  return summary;
}
