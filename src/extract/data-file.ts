/**
 * Waiting for a data file to be parsed. The server parses in a background thread and shows progress
 * in `entries_processed` / `percentage_processed`; its data-file responses are cached for 60 s per
 * URL, so every poll changes the query string. A parse whose thread died (a 1D file parsed as 2D
 * stays at 0 % for ever) is reported as stalled instead of being waited on until the timeout.
 */
import type { HistogramDataFile } from '../domain.js';
import { ServerError } from '../errors.js';
import { sleep } from './http/backoff.js';
import type { CallOptions, WaitOptions } from './types.js';

/** The single client operation the wait needs. */
export interface DataFileSource {
  getDataFile(id: number, options?: CallOptions & { bustCache?: boolean }): Promise<HistogramDataFile>;
}

/** Polls until 100 %; throws E_PARSE_STALLED or E_PARSE_TIMEOUT with the last progress seen. */
export async function waitForDataFile(
  source: DataFileSource,
  id: number,
  options: WaitOptions = {},
): Promise<HistogramDataFile> {
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const stallMs = options.stallMs ?? 120_000;
  const pollMs = options.pollMs ?? 2_000;
  const started = Date.now();
  let lastProcessed = -1;
  let lastChange = started;
  for (;;) {
    const file = await source.getDataFile(id, { bustCache: true, signal: options.signal });
    const now = Date.now();
    const percentage = Number(file.percentage_processed) || 0;
    options.onProgress?.({
      id,
      percentage,
      entriesProcessed: file.entries_processed,
      entriesTotal: file.entries_total,
      elapsedMs: now - started,
    });
    if (percentage >= 100) return file;
    if (file.entries_processed !== lastProcessed) {
      lastProcessed = file.entries_processed;
      lastChange = now;
    }
    const progress = `${percentage} % (${file.entries_processed} of ${file.entries_total} entries)`;
    const context = {
      dataFile: id,
      percentage,
      entriesProcessed: file.entries_processed,
      entriesTotal: file.entries_total,
    };
    if (now - lastChange >= stallMs) {
      throw new ServerError(
        'E_PARSE_STALLED',
        `parsing of data file ${id} (${file.filepath}) made no progress for ${Math.round((now - lastChange) / 1000)} s, stuck at ${progress}; the server's parser may have failed (wrong dimensionality?)`,
        context,
      );
    }
    if (now - started >= timeoutMs) {
      throw new ServerError(
        'E_PARSE_TIMEOUT',
        `parsing of data file ${id} (${file.filepath}) not done after ${Math.round(timeoutMs / 1000)} s, at ${progress}`,
        context,
      );
    }
    await sleep(Math.min(pollMs, Math.max(0, started + timeoutMs - now)), options.signal);
  }
}
