/**
 * The DIALS `list` commands: what to ask for (a plan, plain data: filters, how many, `fields=`), then
 * the fetch through the DIALS source's own code, records printed as they arrive (`createRecordWriter`,
 * as the DQM Playground listings). Without `--limit` or `--all` one request: the server's page (DIALS
 * pages hold 10 records unless `page_size` says otherwise), or the whole `mes/` list. `--limit N`: one
 * request of `page_size=N` when N fits a page, else the cursor walk stopped at N. `--all`: the cursor
 * walk of the pipelines (`extractDials`: pages one after another, deduplicated on the natural key,
 * order checked, proven complete against the API's counts where it has them).
 */
import type { Argv } from 'yargs';
import { type DialsEndpoint, NATURAL_KEY } from '../../dials.js';
import { encodeFilters, type Filters } from '../../domain.js';
import { UsageError } from '../../errors.js';
import type { DialsClient } from '../../sources/dials/client.js';
import { defaultPageSize } from '../../sources/dials/source.js';
import { extractDials } from '../../sources/dials/walk.js';
import { numeric } from '../numbers.js';
import { stopQuietlyWhenStdoutCloses } from '../output/closed-pipe.js';
import type { DialsView } from '../output/dials-views.js';
import { resolveOutputFormat, type OutputFormat } from '../output/format.js';
import { createRecordWriter } from '../output/writer.js';
import { withListingOptions, type ListOutput } from '../query/list.js';
import { parseDialsFilters, parseFieldsArg } from './filters.js';

/** The most records DIALS sends in one page (a larger `page_size` is clamped to it). */
export const MAX_PAGE_SIZE = 500;

/** Parsed options of a DIALS `list` command. */
export interface DialsListArgs {
  /** Repeated `--filter key=value`. */
  filter?: string[];
  /** At most this many records. */
  limit?: number;
  /** Every record (the cursor walk). */
  all?: boolean;
  /** `--format`, unchecked. */
  format?: string;
  /** `--fields a,b`: only these record fields. */
  fields?: string;
  /** `--page-size`: records per request of a walk. */
  pageSize?: number;
}

/** How many records a listing fetches. */
export type DialsListMode =
  { kind: 'page' } | { kind: 'limit'; limit: number; pageSize: number } | { kind: 'all'; pageSize: number };

/** What a listing asks for, before any request. */
export interface DialsListPlan {
  endpoint: DialsEndpoint;
  filters: Filters;
  mode: DialsListMode;
  /** `fields=` sent (absent: whole records). */
  requestFields?: string[];
  /** Fields printed when the request had to add the natural key for a walk (absent: as received). */
  outputFields?: string[];
  format: OutputFormat;
}

/** Adds `--filter`, `--limit`, `--all`, `--fields`, `--page-size`, `--format` and the filter list. */
export function withDialsListOptions<T>(
  y: Argv<T>,
  endpoint: DialsEndpoint,
  filterHelp: string,
): Argv<T & DialsListArgs> {
  return withListingOptions(
    y,
    {
      filter: 'DIALS filter key=value (repeatable; order_by may repeat; see the list below)',
      limit: `Print at most N records (default: the server's first page, 10 records on DIALS)`,
      all: 'Print every record: the whole cursor walk, proven complete',
    },
    filterHelp,
  )
    .option('fields', {
      type: 'string',
      requiresArg: true,
      describe: 'Only these fields, comma-separated (fields=); a table never asks for data',
    })
    .option('page-size', {
      ...numeric('page-size'),
      requiresArg: true,
      describe: `Records per request of --all or a large --limit (1-${MAX_PAGE_SIZE}; default ${defaultPageSize(endpoint)})`,
    }) as unknown as Argv<T & DialsListArgs>;
}

function positiveInt(flag: string, value: number | undefined, max = Number.MAX_SAFE_INTEGER): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1 || value > max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer from 1 to ${max}`;
    throw new UsageError(
      flag === '--limit' ? 'E_USAGE_LIMIT' : 'E_USAGE_NUMBER',
      `${flag} expects ${range}, got ${String(value)}`,
      {
        field: flag.slice(2),
      },
    );
  }
}

/**
 * Checks the arguments and decides what to request (pure). A table never needs `data`, so it asks
 * for every other field; a walk needs the natural key of each record, so `--fields` without it gets
 * it added to the request and removed from the output.
 */
export function planDialsList(
  endpoint: DialsEndpoint,
  view: DialsView<object>,
  args: DialsListArgs,
  label: string,
  stdoutIsTTY: boolean,
): DialsListPlan {
  const filters = parseDialsFilters(endpoint, args.filter ?? [], label);
  positiveInt('--limit', args.limit);
  positiveInt('--page-size', args.pageSize, MAX_PAGE_SIZE);
  const format = resolveOutputFormat(args.format, stdoutIsTTY);
  const pageSize = args.pageSize ?? defaultPageSize(endpoint);
  const mode: DialsListMode = args.all
    ? { kind: 'all', pageSize }
    : args.limit !== undefined
      ? { kind: 'limit', limit: args.limit, pageSize: Math.min(args.limit, pageSize) }
      : { kind: 'page' };
  let requestFields: string[] | undefined;
  if (args.fields !== undefined) requestFields = parseFieldsArg(args.fields, view.fields, label);
  else if (format === 'table' && view.tableFields) requestFields = [...view.tableFields];
  let outputFields: string[] | undefined;
  if (walksCursor(endpoint, mode) && requestFields) {
    const missing = NATURAL_KEY[endpoint].filter((f) => !requestFields!.includes(f));
    if (missing.length) {
      outputFields = requestFields;
      requestFields = [...requestFields, ...missing];
    }
  }
  return { endpoint, filters, mode, requestFields, outputFields, format };
}

/**
 * True when the listing is the cursor walk (`--all`, or a `--limit` beyond one page), false when it
 * is one request (`mes/` is always one response).
 */
export function walksCursor(endpoint: DialsEndpoint, mode: DialsListMode): boolean {
  if (mode.kind === 'all') return true;
  return mode.kind === 'limit' && endpoint !== 'mes' && mode.limit > mode.pageSize;
}

/** The query of the first request of `plan` (as sent, before a cursor). */
export function firstRequestParams(plan: DialsListPlan): URLSearchParams {
  const params = encodeFilters(plan.filters);
  if (plan.requestFields) params.set('fields', plan.requestFields.join(','));
  if (plan.endpoint !== 'mes' && plan.mode.kind !== 'page') params.set('page_size', String(plan.mode.pageSize));
  return params;
}

/** Records in batches, and whether the server holds more than were printed (null: unknown). */
interface Fetched {
  batches: AsyncIterable<object[]>;
  more: () => boolean | null;
}

/** One request: a page of the cursor list, or the whole `mes/` list (cut to the limit). */
function fetchOnePage(client: DialsClient, plan: DialsListPlan): Fetched {
  let more: boolean | null = null;
  const limit = plan.mode.kind === 'limit' ? plan.mode.limit : Infinity;
  async function* batches(): AsyncGenerator<object[]> {
    const params = firstRequestParams(plan);
    const page =
      plan.endpoint === 'mes'
        ? await client.plainList<object>(plan.endpoint, params)
        : await client.list<object>(plan.endpoint, params);
    more = page.next !== null || page.records.length > limit;
    yield page.records.slice(0, limit);
  }
  return { batches: batches(), more: () => more };
}

/** The cursor walk of the pipelines over one slice (the whole filter set), up to the limit if any. */
function fetchWalk(client: DialsClient, plan: DialsListPlan): Fetched {
  let more: boolean | null = false;
  const limit = plan.mode.kind === 'limit' ? plan.mode.limit : Infinity;
  const pageSize = plan.mode.kind === 'page' ? defaultPageSize(plan.endpoint) : plan.mode.pageSize;
  async function* batches(): AsyncGenerator<object[]> {
    const slice = { key: 'all', endpoint: plan.endpoint, filters: plan.filters, partition: {} };
    let count = 0;
    const events = extractDials(client, [slice], {
      concurrency: 1,
      pageSize: () => pageSize,
      fields: plan.requestFields?.join(','),
    });
    for await (const event of events) {
      if (event.type !== 'batch') continue;
      const records = event.records as object[];
      const room = limit - count;
      count += Math.min(room, records.length);
      yield records.slice(0, room);
      if (count >= limit) {
        // Stopped at the limit: the walk may have had more (closing the generator aborts it).
        more = records.length > room ? true : null;
        return;
      }
    }
  }
  return { batches: batches(), more: () => more };
}

/** Only `fields` of a record, in the record's order. */
function project(record: object, fields: readonly string[]): object {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (fields.includes(k)) out[k] = v;
  return out;
}

/**
 * Runs `plan` with `client` and prints the records in the plan's format; a table gets a count on
 * stderr, with a hint when the server holds more.
 */
export async function runDialsList(
  client: DialsClient,
  plan: DialsListPlan,
  view: DialsView<object>,
  io: ListOutput = { stdout: process.stdout, stderr: process.stderr },
): Promise<void> {
  const fetched = walksCursor(plan.endpoint, plan.mode) ? fetchWalk(client, plan) : fetchOnePage(client, plan);
  // As `runList` does: records are formatted batch by batch, but their text reaches stdout only once
  // the walk is complete, so a walk that fails midway prints no partial list.
  const held: string[] = [];
  const writer = createRecordWriter<object>({
    format: plan.format,
    view,
    out: { write: (text: string) => void held.push(text) },
    maxWidth: io.stdout.columns,
  });
  const fields = plan.outputFields;
  for await (const batch of fetched.batches) writer.write(fields ? batch.map((r) => project(r, fields)) : batch);
  writer.end();
  if (io.stdout === process.stdout) stopQuietlyWhenStdoutCloses();
  for (const text of held) io.stdout.write(text);
  if (plan.format === 'table') {
    const shown = writer.count;
    const noun = shown === 1 ? view.noun : view.plural;
    const more = fetched.more();
    const hint =
      more === true ? '; more on the server: --limit N or --all' : more === null ? '; --all for every one' : '';
    io.stderr.write(`${shown} ${noun}${hint}\n`);
  }
}
