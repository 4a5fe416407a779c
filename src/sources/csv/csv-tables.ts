/**
 * The in-memory tables of an ml4dqm-csv source: the shared CsvStore (src/tables), filled the way its
 * start-up parse fills it (src/server/data.ts, ingest.ts): files registered in the given order, then
 * parsed one after the other, each as `dim` or as its first row's metype says. So ids,
 * `source_data_file` and every field are what `dqm-export serve` would serve for the same files.
 *
 * One difference, on purpose: where the server's parse stops at the first bad row and quietly
 * serves the rows before it, this fails with the file and line, so an export never presents part of
 * a file as the whole of it.
 */
import { stat } from 'node:fs/promises';
import { DqmExportError, InputError } from '../../errors.js';
import {
  CsvStore,
  DataFileTable,
  ParseStop,
  preparedRows,
  type DataFileRecord,
  type Tables,
} from '../../tables/index.js';

/** Options of `loadCsvTables`. */
export interface LoadCsvOptions {
  /** Parse every file as this dimensionality (`source.dimensionality`); default: each file's first row decides. */
  dim?: 1 | 2;
}

/** Why a parse stopped, as a typed error naming the file (and line, for a bad row). */
function parseFailure(path: string, err: unknown): DqmExportError {
  // The CSV reader wraps what its row handler throws (E_CSV_READ, cause: the ParseStop).
  const stop =
    err instanceof ParseStop
      ? err
      : (err as { cause?: unknown } | undefined)?.cause instanceof ParseStop
        ? ((err as Error).cause as ParseStop)
        : undefined;
  if (stop) {
    const m = /^line (\d+): (.*)$/s.exec(stop.message);
    const line = m ? Number(m[1]) : undefined;
    const reason = m ? m[2] : stop.message;
    return new InputError(
      'E_CSV_ROW',
      `${path}${line === undefined ? '' : `:${line}`}: ${reason}; fix or remove the row (a DQM Playground server would stop parsing this file there and serve only the rows before it)`,
      { file: path, line },
      { cause: err },
    );
  }
  // The CSV reader's own errors (E_CSV_HEADER, E_CSV_READ) already name the file.
  if (err instanceof DqmExportError) return err;
  const e = err as NodeJS.ErrnoException;
  return new InputError(
    'E_CSV_READ',
    `${path}: cannot read the file (${e.code ?? e.message})`,
    { file: path },
    { cause: err },
  );
}

/**
 * Parses `files` (absolute paths, in the order the server would register them) into the server's
 * tables. Throws InputError (E_CSV_ROW, E_CSV_HEADER, E_CSV_READ) naming the file at fault.
 */
export async function loadCsvTables(files: readonly string[], options: LoadCsvOptions = {}): Promise<Tables> {
  const table = new DataFileTable();
  const store = new CsvStore(table);
  const registered: DataFileRecord[] = [];
  for (const path of files) {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      throw parseFailure(path, err);
    }
    const record = table.register(path, size);
    if (record) registered.push(record);
  }
  for (const file of registered) {
    try {
      // remember: false, the memo would hold a second copy of every row for the process' lifetime.
      for await (const row of preparedRows(file.filepath, options.dim, { remember: false })) {
        store.addRow(row, file.id);
      }
    } catch (err) {
      throw parseFailure(file.filepath, err);
    }
  }
  // Read-only: nothing may add or delete records behind the extractor's back.
  return {
    files: table,
    runs: store.runs,
    lumisections: store.lumisections,
    h1d: store.h1d,
    h2d: store.h2d,
    readOnly: true,
  };
}
