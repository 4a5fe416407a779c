/**
 * Discovery and parsing of data files, as the real server does them: `discover` registers the CSV
 * files found under the data directories (path order, each once); `start_parsing` reads one in the
 * background, row after row, so `entries_processed` grows while clients poll. Like the real
 * server's parsing thread, a parse stops at the first bad row and the file stays below 100 %.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { countCsvRows } from '../csv/index.js';
import { InputError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DataFileRecord } from '../tables/datafiles.js';
import { preparedRows } from '../tables/parsed-files.js';
import { now } from '../tables/records.js';
import type { CsvStore } from '../tables/store.js';

/** Rows parsed between two yields to the event loop, so requests are served while parsing. */
const ROWS_PER_YIELD = 8;

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.csv')) out.push(path);
  }
}

/** Checks that every data directory can be listed; throws InputError E_SERVE_DATA_DIR otherwise. */
export async function checkDataDirs(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    try {
      const s = await stat(dir);
      if (!s.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      await readdir(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      throw new InputError(
        'E_SERVE_DATA_DIR',
        `data directory ${dir} is not a readable directory (${code}); give --data DIR with ML4DQM CSV files`,
        {
          file: dir,
        },
      );
    }
  }
}

/** Registers and parses data files into a CsvStore. */
export class Ingestor {
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly store: CsvStore,
    private readonly dataDirs: readonly string[],
    private readonly logger: Logger,
    /** Pause after each parsed row, so tests can watch progress. */
    private readonly parseDelayMs = 0,
  ) {}

  /** Registers CSV files not registered yet, in path order; returns the new records. */
  async discover(): Promise<DataFileRecord[]> {
    const found: string[] = [];
    for (const dir of this.dataDirs) {
      try {
        await walk(resolve(dir), found);
      } catch (err) {
        this.logger.warn({ dir, err: (err as Error).message }, 'discover: cannot list data directory');
      }
    }
    const added: DataFileRecord[] = [];
    for (const path of [...new Set(found)].sort()) {
      let size: number;
      try {
        size = (await stat(path)).size;
      } catch {
        continue;
      }
      const record = this.store.files.register(path, size);
      if (record) added.push(record);
    }
    return added;
  }

  /** True if start_parsing must refuse the file ("already parsed"): parsed, or being parsed. */
  static isParsedOrParsing(file: DataFileRecord): boolean {
    return file.state === 'parsed' || file.state === 'parsing';
  }

  /**
   * Parses `file` in the background as `dim` (or each file's own dimensionality, from its first
   * row's metype). The promise settles when parsing ends; it never rejects: failures are recorded
   * on the file and logged.
   */
  parse(file: DataFileRecord, dim?: 1 | 2): Promise<void> {
    const task = this.run(file, dim).finally(() => this.running.delete(task));
    this.running.add(task);
    return task;
  }

  /** Stops parsing (at the next row) and waits for every parse to end. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running]);
  }

  private async run(file: DataFileRecord, forcedDim: 1 | 2 | undefined): Promise<void> {
    file.state = 'parsing';
    file.error = undefined;
    file.entriesProcessed = 0;
    let dim = forcedDim;
    try {
      file.entriesTotal = await countCsvRows(file.filepath);
      file.modified = now();
      let n = 0;
      for await (const row of preparedRows(file.filepath, forcedDim)) {
        if (this.closed) return;
        dim = row.dim;
        this.store.addRow(row, file.id);
        file.entriesProcessed++;
        if (this.parseDelayMs > 0) await sleep(this.parseDelayMs);
        else if (++n % ROWS_PER_YIELD === 0) await yieldToEventLoop();
      }
      file.contents = [{ granularity: 'lum', dim: dim ?? 1 }];
      file.state = 'parsed';
      file.modified = now();
    } catch (err) {
      file.state = 'failed';
      file.error = err instanceof Error ? err.message : String(err);
      file.modified = now();
      this.logger.warn(
        { file: file.filepath, id: file.id, error: file.error },
        'parsing failed; the file stays incomplete',
      );
    }
  }
}
