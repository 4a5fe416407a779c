/**
 * A record writer per output format, one interface: `write(records)` as pages arrive, `end()` once.
 * JSON lines and CSV stream (a long `--all` listing starts printing with the first page); the table
 * must see every row to align its columns, and JSON closes its array at the end.
 */
import { csvRow } from './csv.js';
import type { OutputFormat } from './format.js';
import { renderTable } from './table.js';
import type { RecordView } from './views.js';

/**
 * JSON lines are written in pieces of about this many characters, not one string per `write`: a
 * `histograms list --all` of 20,000 1D records was one 10 MB string, whose UTF-8 encoding alone cost
 * 3-4x what 64 KB pieces cost (cache misses, a 10 MB buffer; BENCHMARKS.md, "CPU per record").
 */
export const JSONL_WRITE_CHARS = 64 * 1024;

/** Where text goes: process.stdout, or a collecting stub in tests. */
export interface TextOut {
  write(chunk: string): unknown;
}

/** Receives records in order and prints them in one format. */
export interface RecordWriter<T> {
  /** Adds records (a page). */
  write(records: readonly T[]): void;
  /** Finishes the output (table body, closing bracket). Call once. */
  end(): void;
  /** Records written so far. */
  readonly count: number;
}

/** Options of createRecordWriter. */
export interface RecordWriterOptions<T> {
  /** Output format (already resolved: see resolveOutputFormat). */
  format: OutputFormat;
  /** Table columns and CSV field order of the record type. */
  view: RecordView<T>;
  /** Destination of the text. */
  out: TextOut;
  /** Terminal width for the table (long titles and paths are shortened to fit). */
  maxWidth?: number;
  /** One record, not a list (`histograms get`): JSON prints the object rather than an array. */
  single?: boolean;
}

/** Creates the writer for `options.format`. */
export function createRecordWriter<T extends object>(options: RecordWriterOptions<T>): RecordWriter<T> {
  const { format, view, out } = options;
  let count = 0;
  switch (format) {
    case 'jsonl':
      return {
        write(records) {
          let lines: string[] = [];
          let chars = 0;
          for (const r of records) {
            const line = JSON.stringify(r);
            lines.push(line);
            chars += line.length + 1;
            if (chars >= JSONL_WRITE_CHARS) {
              out.write(lines.join('\n') + '\n');
              lines = [];
              chars = 0;
            }
          }
          if (lines.length > 0) out.write(lines.join('\n') + '\n');
          count += records.length;
        },
        end() {},
        get count() {
          return count;
        },
      };
    case 'json': {
      if (options.single) {
        let only: T | undefined;
        return {
          write(records) {
            if (records.length) only = records[records.length - 1];
            count += records.length;
          },
          end() {
            out.write(JSON.stringify(only ?? null, null, 2) + '\n');
          },
          get count() {
            return count;
          },
        };
      }
      // One record per line inside the array: valid JSON, streamable, and still diffable.
      return {
        write(records) {
          for (const r of records) {
            out.write((count === 0 ? '[\n' : ',\n') + JSON.stringify(r));
            count++;
          }
        },
        end() {
          out.write(count === 0 ? '[]\n' : '\n]\n');
        },
        get count() {
          return count;
        },
      };
    }
    case 'csv': {
      let header: string[] | undefined;
      const start = (first: T | undefined): string[] => {
        const extra = first ? Object.keys(first).filter((k) => !view.fields.includes(k)) : [];
        const known = first ? view.fields.filter((k) => k in first) : view.fields;
        header = [...known, ...extra];
        out.write(csvRow(header));
        return header;
      };
      return {
        write(records) {
          for (const r of records) {
            const h = header ?? start(r);
            out.write(csvRow(h.map((k) => (r as Record<string, unknown>)[k] as never)));
            count++;
          }
        },
        end() {
          if (!header) start(undefined);
        },
        get count() {
          return count;
        },
      };
    }
    case 'table': {
      const rows: T[] = [];
      return {
        write(records) {
          rows.push(...records);
          count += records.length;
        },
        end() {
          out.write(renderTable(view.table, rows, { maxWidth: options.maxWidth }));
        },
        get count() {
          return count;
        },
      };
    }
  }
}
