/**
 * The `files parse` and `files wait` flows: find the file, check the request against its current
 * record (see parse-check.ts), start parsing, and optionally follow the progress to 100 %.
 */
import { DqmExportError, InputError, ServerError, TransientError, UsageError } from '../../errors.js';
import type { HistogramDataFile } from '../../domain.js';
import type { DqmClient } from '../../extract/types.js';
import { checkGranularity, checkParseRequest, type ParseRequest, type ParseVerdict } from './parse-check.js';
import { createParseProgress } from './progress.js';

/** Which file: by id, or the one file whose path contains a text. */
export type FileSelector = { id: number } | { pathContains: string };

/** How `files wait` polls. All in milliseconds. */
export interface WaitSettings {
  /** Give up after this long. */
  timeoutMs: number;
  /** Give up when `entries_processed` has not moved for this long (a dead parser thread). */
  stallMs: number;
  /** Time between polls. */
  pollMs: number;
}

/** Options of parseFile. */
export interface ParseFileOptions {
  /** Send even when a forcible pre-check refuses (the refusal is printed as a warning). */
  force: boolean;
  /** Follow the progress after starting; undefined: return once the server accepted. */
  wait?: WaitSettings;
  /** Where messages, warnings and progress go. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Finds the one file `selector` names; the record is fetched past the server's 60 s cache. */
export async function findDataFile(client: DqmClient, selector: FileSelector): Promise<HistogramDataFile> {
  if ('id' in selector) {
    try {
      return await client.getDataFile(selector.id, { bustCache: true });
    } catch (err) {
      if (err instanceof DqmExportError && err.context.status === 404) {
        throw new ServerError(
          'E_NOT_FOUND',
          `no data file with id ${selector.id}; list them with: dqm-export files list`,
          err.context,
          { cause: err },
        );
      }
      throw err;
    }
  }
  const matches = await client.listDataFiles({ filepath__contains: selector.pathContains }, { bustCache: true });
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    throw new InputError(
      'E_FILE_NO_MATCH',
      `no data file path contains ${JSON.stringify(selector.pathContains)}; list them with: dqm-export files list`,
    );
  }
  const shown = matches
    .slice(0, 5)
    .map((f) => `${f.id} ${f.filepath}`)
    .join('; ');
  throw new UsageError(
    'E_FILE_AMBIGUOUS',
    `${matches.length} data file paths contain ${JSON.stringify(selector.pathContains)} (${shown}${matches.length > 5 ? '; ...' : ''}); give an id or a longer text`,
  );
}

/** Throws the refusal, or prints it as a warning when --force may override it. */
function enforce(verdict: ParseVerdict, force: boolean, stderr: NodeJS.WritableStream): void {
  if (verdict.action !== 'refuse') return;
  if (force && verdict.forcible) {
    stderr.write(`warning: ${verdict.message} (sending anyway: --force)\n`);
    return;
  }
  if (verdict.usage) throw new UsageError(verdict.code, verdict.message);
  throw new InputError(verdict.code, verdict.message);
}

/**
 * Starts parsing the selected file after the pre-checks, then waits if asked. Resolves to the file
 * record (final when waited), or to the current record when it was already parsed as asked.
 */
export async function parseFile(
  client: DqmClient,
  selector: FileSelector,
  req: ParseRequest,
  options: ParseFileOptions,
): Promise<HistogramDataFile> {
  // Checked before any request: it does not depend on the file.
  enforce(checkGranularity(req), options.force, options.stderr);
  const file = await findDataFile(client, selector);
  const verdict = checkParseRequest(file, req);
  if (verdict.action === 'done') {
    options.stderr.write(`${verdict.message}\n`);
    return file;
  }
  enforce(verdict, options.force, options.stderr);
  await client.startParsing(file.id, {
    granularity: req.granularity,
    dataDimensionality: req.dim,
    // The client's type lists only what the server implements; `root` reaches here only with --force.
    fileFormat: req.fileFormat as 'csv',
  });
  options.stderr.write(
    `started parsing data file ${file.id} (${file.filepath}) as ${req.granularity} ${req.dim}D ${req.fileFormat}\n`,
  );
  if (!options.wait) return file;
  return waitForFile(client, file.id, options.wait, options.stderr);
}

/** Thrown when the person pressed Ctrl-C while waiting: the server keeps parsing regardless. */
class Interrupted extends Error {}

/**
 * Follows a file to 100 %, with a progress bar on a terminal or log lines otherwise. Ctrl-C stops
 * the wait (restoring the cursor the bar hid) and says how to resume: parsing goes on server-side.
 */
export async function waitForFile(
  client: DqmClient,
  id: number,
  settings: WaitSettings,
  stderr: NodeJS.WritableStream & { isTTY?: boolean },
): Promise<HistogramDataFile> {
  const progress = createParseProgress({ stream: stderr, label: `data file ${id}` });
  const started = Date.now();
  const interrupt = new AbortController();
  const onSigint = (): void => interrupt.abort(new Interrupted());
  process.once('SIGINT', onSigint);
  let file: HistogramDataFile;
  try {
    file = await client.waitForDataFile(id, {
      timeoutMs: settings.timeoutMs,
      stallMs: settings.stallMs,
      pollMs: settings.pollMs,
      signal: interrupt.signal,
      onProgress: (p) => progress.update(p),
    });
  } catch (err) {
    progress.stop();
    if (err instanceof Interrupted) {
      throw new TransientError(
        'E_INTERRUPTED',
        `interrupted; data file ${id} keeps parsing on the server (follow it again: dqm-export files wait ${id})`,
      );
    }
    if (err instanceof DqmExportError && err.context.status === 404) {
      throw new ServerError(
        'E_NOT_FOUND',
        `no data file with id ${id}; list them with: dqm-export files list`,
        err.context,
        { cause: err },
      );
    }
    // A file whose total is still 0 was most likely never started, rather than stuck.
    if (
      err instanceof DqmExportError &&
      (err.code === 'E_PARSE_STALLED' || err.code === 'E_PARSE_TIMEOUT') &&
      err.context.entriesTotal === 0
    ) {
      throw new ServerError(
        err.code,
        `${err.message}; if parsing was never started: dqm-export files parse ${id}`,
        err.context,
        { cause: err },
      );
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  progress.stop();
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  stderr.write(`data file ${id} parsed: ${file.entries_processed}/${file.entries_total} entries (${secs} s)\n`);
  return file;
}
