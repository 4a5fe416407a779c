/**
 * DIALS list filters, per endpoint, as its django-filter FilterSets declare them: numbers through
 * a DecimalField (`Enter a number.`, every bad field listed, in declaration order), exact text,
 * `__regex` as PostgreSQL `~`, `__in` comma lists; empty values, unknown parameters and unlisted
 * operators (`run_number__gt`) ignored; a repeated parameter read from its last value.
 */
import { parseDecimal } from '../filters.js';
import { pgRegex } from './regex.js';

/** Decoded query pairs, in order. */
export type QueryPairs = ReadonlyArray<[string, string]>;

type Op = 'eq' | 'gte' | 'lte' | 'in' | 'regex';

interface FilterDef {
  /** Query parameter. */
  name: string;
  /** Record field it tests. */
  field: string;
  op: Op;
  /** Numbers are validated (400); text is not. */
  numeric: boolean;
}

function num(field: string, ...ops: Array<'eq' | 'gte' | 'lte' | 'in'>): FilterDef[] {
  return ops.map((op) => ({ name: op === 'eq' ? field : `${field}__${op}`, field, op, numeric: true }));
}

function text(field: string, ...ops: Array<'eq' | 'regex'>): FilterDef[] {
  return ops.map((op) => ({ name: op === 'eq' ? field : `${field}__${op}`, field, op, numeric: false }));
}

const HISTOGRAM = [
  ...num('dataset_id', 'eq'),
  ...num('file_id', 'eq'),
  ...num('run_number', 'eq', 'lte', 'gte'),
  ...num('ls_number', 'eq', 'lte', 'gte'),
  ...num('me_id', 'eq'),
  ...num('entries', 'gte'),
  ...text('dataset', 'eq', 'regex'),
  ...text('me', 'eq', 'regex'),
  ...text('logical_file_name', 'eq', 'regex'),
];

/** The filters of each list endpoint. */
export const DIALS_FILTERS = {
  th1: HISTOGRAM,
  th2: HISTOGRAM,
  run: [...num('dataset_id', 'eq', 'in'), ...num('run_number', 'eq', 'lte', 'gte'), ...text('dataset', 'eq', 'regex')],
  lumisection: [
    ...num('dataset_id', 'eq', 'lte', 'gte'),
    ...num('run_number', 'eq', 'lte', 'gte'),
    ...num('ls_number', 'eq', 'lte', 'gte'),
    ...text('dataset', 'eq', 'regex'),
  ],
  'file-index': [
    ...num('dataset_id', 'eq'),
    ...text('logical_file_name', 'eq', 'regex'),
    ...text('status', 'eq'),
    { name: 'min_size', field: 'file_size', op: 'gte', numeric: true },
    ...text('dataset', 'eq', 'regex'),
  ],
  'dataset-index': text('dataset', 'eq', 'regex'),
  mes: [...text('me', 'eq', 'regex'), ...num('dim', 'eq')],
} satisfies Record<string, FilterDef[]>;

/** An endpoint with filters. */
export type FilteredEndpoint = keyof typeof DIALS_FILTERS;

/** A record predicate, or the 400 body (`{field: ["Enter a number."]}`). */
export type FilterResult<T> =
  | { test: (r: T) => boolean; /** No filter given: every record passes. */ none: boolean }
  | { errors: Record<string, string[]> };

interface Check {
  def: FilterDef;
  value: number | number[] | string;
}

/**
 * Validates the filters of `endpoint` in `pairs`. Throws SyntaxError for an invalid regex (the
 * real server's 500), which callers raise only after the checks that come first there.
 */
export function parseDialsFilters<T>(
  endpoint: FilteredEndpoint,
  pairs: QueryPairs,
  get: (r: T, field: string) => unknown,
): FilterResult<T> & { regexError?: SyntaxError } {
  const checks: Check[] = [];
  const errors: Record<string, string[]> = {};
  for (const def of DIALS_FILTERS[endpoint] as FilterDef[]) {
    let raw: string | undefined;
    for (const [k, v] of pairs) if (k === def.name) raw = v;
    if (raw === undefined || raw === '') continue;
    if (!def.numeric) {
      checks.push({ def, value: raw });
      continue;
    }
    if (def.op === 'in') {
      const items = raw.split(',').map((s) => parseDecimal(s));
      if (items.some((n) => n === undefined || !Number.isFinite(n))) errors[def.name] = ['Enter a number.'];
      else checks.push({ def, value: items as number[] });
      continue;
    }
    const n = parseDecimal(raw);
    if (n === undefined || !Number.isFinite(n)) errors[def.name] = ['Enter a number.'];
    else checks.push({ def, value: n });
  }
  if (Object.keys(errors).length) return { errors };
  let regexError: SyntaxError | undefined;
  const tests = checks.map(({ def, value }): ((r: T) => boolean) => {
    switch (def.op) {
      case 'eq':
        return (r) => get(r, def.field) === value;
      case 'gte':
        return (r) => (get(r, def.field) as number) >= (value as number);
      case 'lte':
        return (r) => (get(r, def.field) as number) <= (value as number);
      case 'in':
        return (r) => (value as number[]).includes(get(r, def.field) as number);
      case 'regex': {
        let re: RegExp;
        try {
          re = pgRegex(value as string);
        } catch (err) {
          regexError = err instanceof SyntaxError ? err : new SyntaxError(String(err));
          return () => false;
        }
        return (r) => re.test(String(get(r, def.field)));
      }
    }
  });
  return { test: (r) => tests.every((t) => t(r)), none: tests.length === 0, regexError };
}
