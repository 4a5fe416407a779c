/**
 * The shared shape of every `list` command: `--filter`, `--limit N` or `--all`, `--format`, and the
 * loop that fetches pages and hands them to a record writer. `--limit` reads pages one after the
 * other and stops as soon as it has enough; `--all` lets the client fetch every page concurrently
 * and reconcile the unordered histogram lists against `total`.
 */
import type { Argv } from 'yargs';
import { FILTERS, type Endpoint, type Filters } from '../../domain.js';
import { UsageError } from '../../errors.js';
import type { DqmClient, RecordOf } from '../../extract/types.js';
import { speculativePagesOn } from '../../extract/flow-limits.js';
import { OUTPUT_FORMATS, resolveOutputFormat } from '../output/format.js';
import type { RecordView } from '../output/views.js';
import { stopQuietlyWhenStdoutCloses } from '../output/closed-pipe.js';
import { createRecordWriter } from '../output/writer.js';
import { parseFilterArgs } from './filters.js';
import { numeric } from '../numbers.js';

/** Records a `list` prints when neither `--limit` nor `--all` is given: one server page. */
export const DEFAULT_LIMIT = 50;

/** Parsed options of a `list` command. */
export interface ListArgs {
  /** Repeated `--filter key=value`. */
  filter?: string[];
  /** At most this many records. */
  limit?: number;
  /** Every page. */
  all?: boolean;
  /** `--format`, unchecked. */
  format?: string;
}

/**
 * `--format`, shared with `histograms get`. Checked by `resolveOutputFormat` while yargs validates
 * the command line (so before credentials are looked for), not by yargs `choices`: its message would
 * take two lines and suggest nothing. Given twice, the last wins.
 */
export function withFormatOption<T>(y: Argv<T>): Argv<T & { format: string | undefined }> {
  return y
    .option('format', {
      type: 'string',
      coerce: (value: unknown) => (Array.isArray(value) ? value.at(-1) : value) as string,
      describe: `Output format: ${OUTPUT_FORMATS.join(', ')} (default: table on a terminal, jsonl otherwise)`,
    })
    .check((argv) => {
      resolveOutputFormat(argv.format as string | undefined, false); // throws the UsageError
      return true;
    }) as Argv<T & { format: string | undefined }>;
}

/** Help texts of the options every listing shares, worded for its source. */
export interface ListingHelp {
  /** `--filter`. */
  filter: string;
  /** `--limit`, with its default. */
  limit: string;
  /** `--all`. */
  all: string;
}

/**
 * Adds the options every listing (DQM Playground and DIALS) shares: `--format`, `--filter`,
 * `--limit` or `--all`, and `epilogue` (the filters, from `describeFilters`).
 */
export function withListingOptions<T>(y: Argv<T>, help: ListingHelp, epilogue: string): Argv<T & ListArgs> {
  return withFormatOption(y)
    .option('filter', { alias: 'f', type: 'string', array: true, requiresArg: true, describe: help.filter })
    .option('limit', { ...numeric('limit'), requiresArg: true, describe: help.limit })
    .option('all', { type: 'boolean', describe: help.all })
    .conflicts('limit', 'all')
    .epilogue(epilogue) as unknown as Argv<T & ListArgs>;
}

/** `title:` and one line per filter (name and help, aligned), for a listing's epilogue. */
export function describeFilters(specs: Record<string, { help: string }>, title: string): string {
  const width = Math.max(...Object.keys(specs).map((n) => n.length));
  const lines = Object.entries(specs).map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.help}`);
  return `${title}:\n${lines.join('\n')}`;
}

/**
 * Adds `--filter`, `--limit`, `--all`, `--format`, and an epilogue listing the filters of `endpoint`
 * (titled `label`, default the endpoint name).
 */
export function withListOptions<T>(y: Argv<T>, endpoint: Endpoint, label: string = endpoint): Argv<T & ListArgs> {
  return withListingOptions(
    y,
    {
      filter: 'Server-side filter key=value (repeatable; see the list below)',
      limit: `Print at most N records (default ${DEFAULT_LIMIT})`,
      all: 'Print every record, fetching pages concurrently',
    },
    describeFilters(FILTERS[endpoint], `Filters of ${label}`),
  );
}

/** Checks `--limit` (a positive integer) and the filters; returns what to fetch. */
export function planList(endpoint: Endpoint, args: ListArgs): { filters: Filters; limit: number | undefined } {
  const filters = parseFilterArgs(endpoint, args.filter ?? []);
  if (args.all) return { filters, limit: undefined };
  const limit = args.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new UsageError('E_USAGE_LIMIT', `--limit expects a positive integer, got ${String(args.limit)}`, {
      field: 'limit',
    });
  }
  return { filters, limit };
}

/** Where a list command writes. */
export interface ListOutput {
  /** The records; its `isTTY` picks the default format and `columns` the table width. */
  stdout: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** The table footer (count of total). */
  stderr: { write(s: string): unknown };
}

/**
 * Where a list command's records come from: given the checked filters and limit (undefined for
 * `--all`), hands the records to `onBatch` (a page or more at a time, in order) and returns the
 * server's total (null when unknown).
 */
export type RecordSource<T> = (
  filters: Filters,
  limit: number | undefined,
  onBatch: (records: readonly T[]) => void,
) => Promise<{ total: number | null }>;

/** The default source: pages in order up to the limit, or `listAll` (concurrent) batch by batch for `--all`. */
export function pagedSource<E extends Endpoint>(client: DqmClient, endpoint: E): RecordSource<RecordOf<E>> {
  return async (filters, limit, onBatch) => {
    if (limit === undefined) {
      let count = 0;
      await client.listAll(endpoint, filters, {
        onBatch: (records) => {
          count += records.length;
          onBatch(records);
        },
        // Every connection busy from the first round: at most concurrency - 1 requests past the end
        // of a short list (docs/decisions.md, "`histograms list --all`: the first round's pages
        // requested with page 1").
        speculativePages: speculativePagesOn() ? client.concurrency - 1 : 0,
      });
      return { total: count };
    }
    const { records, total } = await fetchUpTo(client, endpoint, filters, limit);
    onBatch(records);
    return { total };
  };
}

/**
 * Fetches the records `args` ask for and prints them. Records are formatted as their batches
 * arrive, so a long `--all` listing never holds its parsed records (for JSON lines, CSV and JSON,
 * only their text; the table needs every row), but nothing reaches stdout before the listing is
 * complete: a failure prints no partial list. For a table, a footer on stderr says how many records
 * of the server's total were shown and how to get the rest.
 */
export async function runList<T extends object>(
  endpoint: Endpoint,
  source: RecordSource<T>,
  view: RecordView<T>,
  args: ListArgs,
  io: ListOutput = { stdout: process.stdout, stderr: process.stderr },
): Promise<void> {
  const { filters, limit } = planList(endpoint, args);
  const format = resolveOutputFormat(args.format, Boolean(io.stdout.isTTY));
  // For the process's stdout the text is held as UTF-8 bytes, encoded batch by batch while pages are
  // still in flight: written as strings, ~10 MB of a 20,000-record listing was encoded only after
  // the last page, on the critical path (docs/decisions.md, "Sockets back to work before pages
  // are processed"). Other destinations (tests) get the strings.
  const stdout = io.stdout === process.stdout ? process.stdout : undefined;
  const held: string[] = [];
  const bytes: Buffer[] = [];
  const writer = createRecordWriter<T>({
    format,
    view,
    out: { write: (text: string) => void (stdout ? bytes.push(Buffer.from(text, 'utf8')) : held.push(text)) },
    maxWidth: io.stdout.columns,
  });
  const { total } = await source(filters, limit, (records) => writer.write(records));
  writer.end();
  if (stdout) {
    stopQuietlyWhenStdoutCloses();
    for (const chunk of bytes) stdout.write(chunk);
  }
  for (const text of held) io.stdout.write(text);
  if (format === 'table') {
    const shown = writer.count;
    const noun = shown === 1 ? view.noun : view.plural;
    const more = total !== null && total > shown ? ` of ${total}; --limit N or --all for more` : '';
    io.stderr.write(`${shown} ${noun}${more}\n`);
  }
}

/** Reads pages in order until `limit` records; returns them with the server's total. */
async function fetchUpTo<E extends Endpoint>(
  client: DqmClient,
  endpoint: E,
  filters: Filters,
  limit: number,
): Promise<{ records: RecordOf<E>[]; total: number | null }> {
  let page = await client.listPage(endpoint, filters, 1);
  const records: RecordOf<E>[] = [];
  for (;;) {
    records.push(...page.records.slice(0, limit - records.length));
    if (records.length >= limit || !page.next || page.records.length === 0) return { records, total: page.total };
    page = await client.listNext(endpoint, page.next);
  }
}
