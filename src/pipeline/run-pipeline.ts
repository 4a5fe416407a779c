/**
 * Runs a loaded pipeline: connects (token from the file, the environment or a token file), runs the
 * optional `prepare` steps, then each stream in order, and returns the summary. The exit code is 3
 * when records were rejected, 0 otherwise; failures throw a DqmExportError.
 */
import { resolve } from 'node:path';
import type { LoadedPipeline } from '../config/index.js';
import { ServerError } from '../errors.js';
import { openSource, type SourceOptions } from './source.js';
import { runStream } from './run-stream.js';
import type { RunSummary } from './summary.js';

/** Options of `runPipeline`. */
export interface RunOptions extends SourceOptions {
  /** Output paths resolve against this directory (default: the pipeline file's directory). */
  outDir?: string;
  resume?: boolean;
  onProgress?: (delta: { records: number; pages: number; bytes: number }) => void;
  signal?: AbortSignal;
}

/** Runs every stream of the pipeline. */
export async function runPipeline(loaded: LoadedPipeline, options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const { pipeline } = loaded;
  const client = await openSource(loaded, options);
  const summary: RunSummary = { pipeline: pipeline.name, streams: [], seconds: 0, exitCode: 0 };
  try {
    for (const step of pipeline.prepare ?? []) {
      if ('discover' in step) {
        options.logger.info('prepare: discover');
        await client.discover({ signal: options.signal });
      } else {
        const p = step.start_parsing;
        const files = await client.listDataFiles({ filepath__contains: p.filepath__contains }, { bustCache: true });
        if (files.length === 0) throw new ServerError('E_PREPARE_NO_FILE', `prepare.start_parsing: no histogram data file matches filepath__contains=${p.filepath__contains}`);
        for (const f of files) {
          const done = f.contents.some((c) => c.granularity === p.granularity && c.data_dimensionality === p.data_dimensionality) && f.percentage_processed >= 100;
          if (done) continue;
          options.logger.info({ file: f.filepath }, 'prepare: start_parsing');
          if (f.percentage_processed === 0) {
            await client.startParsing(f.id, { granularity: p.granularity, dataDimensionality: p.data_dimensionality, fileFormat: p.file_format as 'csv' });
          }
          if (p.wait) await client.waitForDataFile(f.id, { timeoutMs: p.timeout_s * 1000, stallMs: p.stall_s * 1000, signal: options.signal });
        }
      }
    }
    const outRoot = options.outDir ? resolve(options.outDir) : loaded.dir;
    for (const stream of pipeline.streams) {
      options.logger.info({ stream: stream.name }, 'stream started');
      const s = await runStream(stream, {
        client,
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
    await client.close();
  }
  summary.seconds = (Date.now() - started) / 1000;
  summary.exitCode = summary.streams.some((s) => s.rejects > 0) ? 3 : 0;
  return summary;
}
