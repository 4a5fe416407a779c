/**
 * Query-string filters, validated the way django-filter does on the real server: numbers through a
 * DecimalField ("Enter a number."), `title` as a choice among existing titles, `source_data_file`
 * as a model choice, `__in` lists passed unchecked to PostgreSQL (so a bad item is a 500 HTML page),
 * empty values ignored, unknown parameters ignored, a repeated parameter read from its last value.
 * Errors are reported per field in the FilterSet's declaration order.
 */
import { htmlServerError, jsonReply, type Reply } from './http.js';
import type {
  DataFileLookup,
  DataFileQuery,
  HistogramQuery,
  IntConstraint,
  LumisectionQuery,
  RunQuery,
} from '../tables/model.js';

/** Decoded query pairs, in order. */
export type QueryPairs = ReadonlyArray<[string, string]>;

type FilterKind = 'number' | 'in' | 'title' | 'model' | 'string' | 'choice' | 'bool' | 'datetime';

interface FilterDef {
  name: string;
  kind: FilterKind;
  choices?: readonly string[];
}

const DECIMAL = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/;
const PG_INTEGER = /^\s*[+-]?\d+\s*$/;
const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** Django DecimalField: the number, or undefined for "Enter a number.". */
export function parseDecimal(value: string): number | undefined {
  const v = value.trim();
  if (!DECIMAL.test(v)) return undefined;
  return Number(v.replace(/_/g, ''));
}

/** Django DateTimeField (ISO-ish, UTC by default) to epoch microseconds, or undefined. */
export function parseDateTimeMicros(value: string): number | undefined {
  const m = DATETIME.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  if (Number.isNaN(ms) || new Date(ms).getUTCDate() !== +d) return undefined;
  let offsetMinutes = 0;
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  return (ms - offsetMinutes * 60_000) * 1000 + Number(frac.padEnd(6, '0'));
}

interface Parsed {
  values: Map<string, unknown>;
  errors: Array<[string, string]>;
  /** An `__in` item PostgreSQL would refuse: the real server answers 500. */
  serverError: boolean;
}

interface ParseContext {
  hasTitle?: (title: string) => boolean;
  modelExists?: (id: number) => boolean;
}

function parseFilters(defs: readonly FilterDef[], pairs: QueryPairs, ctx: ParseContext): Parsed {
  const out: Parsed = { values: new Map(), errors: [], serverError: false };
  for (const def of defs) {
    const all = pairs.filter(([k]) => k === def.name).map(([, v]) => v);
    if (all.length === 0) continue;
    if (def.kind === 'title') {
      const bad = all.find((t) => !ctx.hasTitle?.(t));
      if (bad !== undefined)
        out.errors.push([def.name, `Select a valid choice. ${bad} is not one of the available choices.`]);
      else out.values.set(def.name, all);
      continue;
    }
    const raw = all[all.length - 1];
    if (raw === '') continue;
    switch (def.kind) {
      case 'number': {
        const n = parseDecimal(raw);
        if (n === undefined || !Number.isFinite(n)) out.errors.push([def.name, 'Enter a number.']);
        else out.values.set(def.name, n);
        break;
      }
      case 'in': {
        const items = raw.split(',');
        if (items.some((item) => !PG_INTEGER.test(item))) out.serverError = true;
        else out.values.set(def.name, items.map(Number));
        break;
      }
      case 'model': {
        const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
        if (!ctx.modelExists?.(n))
          out.errors.push([def.name, 'Select a valid choice. That choice is not one of the available choices.']);
        else out.values.set(def.name, n);
        break;
      }
      case 'choice':
        if (!def.choices!.includes(raw))
          out.errors.push([def.name, `Select a valid choice. ${raw} is not one of the available choices.`]);
        else out.values.set(def.name, raw);
        break;
      case 'bool': {
        // django-filter's BooleanWidget: anything else means "no filter".
        const b = ({ true: true, '1': true, false: false, '0': false } as Record<string, boolean>)[raw.toLowerCase()];
        if (b !== undefined) out.values.set(def.name, b);
        break;
      }
      case 'datetime': {
        const t = parseDateTimeMicros(raw);
        if (t === undefined) out.errors.push([def.name, 'Enter a valid date/time.']);
        else out.values.set(def.name, t);
        break;
      }
      case 'string':
        out.values.set(def.name, raw);
        break;
    }
  }
  return out;
}

/** The failure reply for a parse, if any: 400 with field errors, else 500 for a bad `__in` item. */
function failure(parsed: Parsed, allow: string): Reply | undefined {
  if (parsed.errors.length) {
    const body = '{' + parsed.errors.map(([k, msg]) => `${JSON.stringify(k)}:[${JSON.stringify(msg)}]`).join(',') + '}';
    return jsonReply(400, body, allow);
  }
  if (parsed.serverError) return htmlServerError();
  return undefined;
}

const HISTOGRAM_FILTERS: readonly FilterDef[] = [
  { name: 'lumisection__run__run_number', kind: 'number' },
  { name: 'lumisection__run__run_number__gte', kind: 'number' },
  { name: 'lumisection__run__run_number__lte', kind: 'number' },
  { name: 'lumisection__ls_number', kind: 'number' },
  { name: 'lumisection__ls_number__gte', kind: 'number' },
  { name: 'lumisection__ls_number__lte', kind: 'number' },
  { name: 'entries__gte', kind: 'number' },
  { name: 'entries__lte', kind: 'number' },
  { name: 'source_data_file', kind: 'model' },
  { name: 'title', kind: 'title' },
  { name: 'lumisection__ls_number__in', kind: 'in' },
  { name: 'lumisection__run__run_number__in', kind: 'in' },
  { name: 'source_data_file__filepath__contains', kind: 'string' },
];

const RUN_FILTERS: readonly FilterDef[] = [
  { name: 'run_number', kind: 'number' },
  { name: 'run_date', kind: 'datetime' },
  { name: 'year', kind: 'number' },
  { name: 'period', kind: 'string' },
  { name: 'date', kind: 'datetime' },
  { name: 'oms_fill', kind: 'number' },
  { name: 'oms_lumisections', kind: 'number' },
  { name: 'oms_initial_lumi', kind: 'number' },
  { name: 'oms_end_lumi', kind: 'number' },
];

const LUMISECTION_FILTERS: readonly FilterDef[] = [
  { name: 'run', kind: 'number' },
  { name: 'ls_number', kind: 'number' },
  { name: 'date', kind: 'datetime' },
  { name: 'oms_zerobias_rate', kind: 'number' },
];

const DATA_FILE_FILTERS: readonly FilterDef[] = [
  { name: 'id', kind: 'number' },
  { name: 'data_era', kind: 'string' },
  { name: 'data_dimensionality', kind: 'choice', choices: ['1', '2'] },
  { name: 'granularity', kind: 'choice', choices: ['run', 'lum'] },
  { name: 'processing_complete', kind: 'bool' },
  { name: 'entries_total__gt', kind: 'number' },
  { name: 'entries_total__lt', kind: 'number' },
  { name: 'filepath__contains', kind: 'string' },
];

/** Names of every filter the server understands, per endpoint (tests check them against domain.ts). */
export const FILTER_NAMES = {
  histograms: HISTOGRAM_FILTERS.map((f) => f.name),
  runs: RUN_FILTERS.map((f) => f.name),
  lumisections: LUMISECTION_FILTERS.map((f) => f.name),
  histogram_data_files: DATA_FILE_FILTERS.map((f) => f.name),
};

function constraint(values: Map<string, unknown>, base: string): IntConstraint {
  const c: IntConstraint = {};
  if (values.has(base)) c.eq = values.get(base) as number;
  if (values.has(`${base}__gte`)) c.gte = values.get(`${base}__gte`) as number;
  if (values.has(`${base}__lte`)) c.lte = values.get(`${base}__lte`) as number;
  if (values.has(`${base}__in`)) c.in = values.get(`${base}__in`) as number[];
  return c;
}

/** Validates histogram list filters into a query, or the error reply. */
export function histogramQuery(
  pairs: QueryPairs,
  hasTitle: (title: string) => boolean,
  files: DataFileLookup,
  allow: string,
): HistogramQuery | Reply {
  const parsed = parseFilters(HISTOGRAM_FILTERS, pairs, { hasTitle, modelExists: (id) => files.exists(id) });
  const fail = failure(parsed, allow);
  if (fail) return fail;
  const v = parsed.values;
  const query: HistogramQuery = {
    run: constraint(v, 'lumisection__run__run_number'),
    ls: constraint(v, 'lumisection__ls_number'),
    entries: constraint(v, 'entries'),
  };
  if (v.has('title')) query.titles = v.get('title') as string[];
  if (v.has('source_data_file') || v.has('source_data_file__filepath__contains')) {
    let ids = v.has('source_data_file') ? [v.get('source_data_file') as number] : undefined;
    if (v.has('source_data_file__filepath__contains')) {
      const matching = files.idsWithPathContaining(v.get('source_data_file__filepath__contains') as string);
      ids = ids ? ids.filter((id) => matching.includes(id)) : matching;
    }
    query.sourceFiles = new Set(ids);
  }
  return query;
}

/** Validates runs filters. Fields this server leaves null (year, period, OMS...) match nothing. */
export function runQuery(pairs: QueryPairs, allow: string): RunQuery | Reply {
  const parsed = parseFilters(RUN_FILTERS, pairs, {});
  const fail = failure(parsed, allow);
  if (fail) return fail;
  const v = parsed.values;
  const nullFields = ['run_date', 'year', 'period', 'oms_fill', 'oms_lumisections', 'oms_initial_lumi', 'oms_end_lumi'];
  return {
    runNumber: v.get('run_number') as number | undefined,
    date: v.get('date') as number | undefined,
    never: nullFields.some((f) => v.has(f)),
  };
}

/** Validates lumisections filters (`run` is the run number). */
export function lumisectionQuery(pairs: QueryPairs, allow: string): LumisectionQuery | Reply {
  const parsed = parseFilters(LUMISECTION_FILTERS, pairs, {});
  const fail = failure(parsed, allow);
  if (fail) return fail;
  const v = parsed.values;
  return {
    run: v.get('run') as number | undefined,
    ls: v.get('ls_number') as number | undefined,
    date: v.get('date') as number | undefined,
    never: v.has('oms_zerobias_rate'),
  };
}

/** Validates histogram_data_files filters. */
export function dataFileQuery(pairs: QueryPairs, allow: string): DataFileQuery | Reply {
  const parsed = parseFilters(DATA_FILE_FILTERS, pairs, {});
  const fail = failure(parsed, allow);
  if (fail) return fail;
  const v = parsed.values;
  return {
    id: v.get('id') as number | undefined,
    dataEra: v.get('data_era') as string | undefined,
    dimensionality: v.has('data_dimensionality') ? (Number(v.get('data_dimensionality')) as 1 | 2) : undefined,
    granularity: v.get('granularity') as 'run' | 'lum' | undefined,
    complete: v.get('processing_complete') as boolean | undefined,
    entriesTotalGt: v.get('entries_total__gt') as number | undefined,
    entriesTotalLt: v.get('entries_total__lt') as number | undefined,
    pathContains: v.get('filepath__contains') as string | undefined,
  };
}

/** True if `reply` is a Reply rather than a query (handlers' narrowing helper). */
export function isReply(x: unknown): x is Reply {
  return typeof x === 'object' && x !== null && 'status' in x && 'body' in x && Buffer.isBuffer((x as Reply).body);
}
