/**
 * Streaming reader of ML4DQM CSV files (the DQM Playground's input format). Reads with csv-parse in
 * chunks, so memory stays bounded on multi-GB files; yields one row per histogram with the flow
 * bins stripped as the server strips them. Bad rows go to `onError` and reading continues.
 */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { InputError, toDqmError } from '../errors.js';
import { convertRecord, mapColumns, ML4DQM_COLUMNS, type ColumnMap } from './row.js';
import type { Ml4dqmRow, Ml4dqmRowError, ReadMl4dqmCsvOptions } from './types.js';

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

/** The default error handler: refuse to skip anything silently. */
function throwRowError(error: Ml4dqmRowError): never {
  throw new InputError('E_CSV_ROW', `${error.file}:${error.line}: ${error.reason}`, {
    file: error.file,
    line: error.line,
  });
}

/**
 * Reads the ML4DQM CSV file at `path`, yielding one row per histogram in file order.
 *
 * Bad rows are reported to `options.onError` with file, line and reason and skipped; without
 * `onError` the first bad row throws InputError E_CSV_ROW. A file that cannot be read, or whose
 * header lacks ML4DQM columns, throws InputError (E_FS_*, E_CSV_HEADER). Breaking out of the loop
 * closes the file.
 */
export async function* readMl4dqmCsv(
  path: string,
  options: ReadMl4dqmCsvOptions = {},
): AsyncGenerator<Ml4dqmRow, void, undefined> {
  const report = options.onError ?? throwRowError;
  // csv-parse reports quoting errors through on_skip while it parses a chunk, which can be ahead of
  // the record being consumed; queue them and report each before the first later row.
  const pending: Ml4dqmRowError[] = [];
  const parser = parse({
    info: true,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: CsvError | undefined) => {
      const line = typeof err?.lines === 'number' ? err.lines : 0;
      pending.push({ file: path, line, reason: `malformed CSV (${err?.message ?? 'unknown error'})` });
      return undefined;
    },
  });
  const input = createReadStream(path, { highWaterMark: options.chunkSize ?? 1 << 20 });
  // Errors of either stream destroy the parser, so they surface through its async iterator.
  pipeline(input, parser, () => undefined);
  const flush = (beforeLine: number): void => {
    while (pending.length && pending[0].line < beforeLine) report(pending.shift()!);
  };
  let columns: ColumnMap | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<ParsedRecord>) {
      if (!columns) {
        const mapped = mapColumns(record, options.dim);
        if ('missing' in mapped) {
          throw new InputError(
            'E_CSV_HEADER',
            `${path}:${info.lines}: not an ML4DQM CSV header: missing column(s) ${mapped.missing.join(', ')}; expected ${ML4DQM_COLUMNS.join(',')}`,
            { file: path, line: info.lines },
          );
        }
        columns = mapped;
        continue;
      }
      flush(info.lines);
      const row = convertRecord(record, columns, info.lines, options.dim);
      if (typeof row === 'string') report({ file: path, line: info.lines, reason: row });
      else yield row;
    }
    flush(Infinity);
    if (!columns)
      throw new InputError('E_CSV_HEADER', `${path}: empty file, expected an ML4DQM CSV header`, { file: path });
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = toDqmError(err);
    if (e.code === 'E_INTERNAL')
      throw new InputError('E_CSV_READ', `${path}: ${e.message}`, { file: path }, { cause: err });
    throw e;
  } finally {
    input.destroy();
    parser.destroy();
  }
}
