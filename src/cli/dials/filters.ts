/**
 * `--filter key=value` and `--fields a,b` of the DIALS listings, checked before any request by the
 * very schema that checks a pipeline's DIALS `filters:` (names with did-you-mean, integers, regexes
 * PostgreSQL can compile, `order_by` fields). DIALS silently ignores an unknown filter
 * (`run_number__gt` lists everything) or field, and answers a bad regex or `order_by` with a 500.
 */
import { checkOrderBy } from '../../config/schema-stream.js';
import { filtersSchema } from '../../config/schema-filters.js';
import { didYouMean } from '../../config/suggest.js';
import { DIALS_FILTERS, type DialsEndpoint } from '../../dials.js';
import type { Filters } from '../../domain.js';
import { UsageError } from '../../errors.js';

/**
 * Parses repeated `--filter key=value` into the Filters of `endpoint`; `order_by` may repeat, any
 * other key only once. `label` names the command in messages (`dials runs list`).
 */
export function parseDialsFilters(endpoint: DialsEndpoint, args: readonly string[], label: string): Filters {
  const specs = DIALS_FILTERS[endpoint];
  const raw: Record<string, string | string[]> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0)
      throw new UsageError('E_FILTER_SYNTAX', `--filter expects key=value, got ${JSON.stringify(arg)}`, {
        field: 'filter',
      });
    const key = arg.slice(0, eq).trim();
    const value = arg.slice(eq + 1);
    const previous = raw[key];
    if (specs[key]?.kind === 'order') raw[key] = [...(Array.isArray(previous) ? previous : []), value];
    else if (previous !== undefined)
      throw new UsageError('E_FILTER_REPEATED', `filter ${key} given twice to ${label}; only order_by may repeat`, {
        field: `filter.${key}`,
      });
    else raw[key] = value;
  }
  const parsed = filtersSchema(endpoint).safeParse(raw);
  if (!parsed.success) {
    const unknown = parsed.error.issues.find((i) => i.code === 'unrecognized_keys');
    if (unknown) {
      // One issue lists every unknown key, one message per line: the first is enough for one line.
      const first = unknown.message.split('\n')[0];
      throw new UsageError('E_FILTER_UNKNOWN', `--filter of ${label}: ${first}`, { field: 'filter' });
    }
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0] ?? '');
    throw new UsageError('E_FILTER_VALUE', `filter ${key} of ${label}: ${issue.message}`, { field: `filter.${key}` });
  }
  const filters = parsed.data;
  checkOrderBy(endpoint, filters, (_path, message) => {
    throw new UsageError('E_FILTER_VALUE', `filter order_by of ${label}: ${message}`, { field: 'filter.order_by' });
  });
  return filters;
}

/**
 * `--fields a,b`: names of the record's fields (`valid`), each checked, since DIALS drops an
 * unknown name without a word and a space inside the list (`a, b`) drops the field after it.
 */
export function parseFieldsArg(text: string, valid: readonly string[], label: string): string[] {
  const names = text.split(',').map((n) => n.trim());
  if (names.some((n) => n === ''))
    throw new UsageError('E_USAGE_FIELDS', `--fields of ${label} expects names separated by commas, got "${text}"`, {
      field: 'fields',
    });
  for (const name of names) {
    if (!valid.includes(name))
      throw new UsageError(
        'E_USAGE_FIELDS',
        `--fields of ${label}: unknown field ${JSON.stringify(name)}${didYouMean(name, valid)}; valid fields: ${valid.join(', ')}`,
        { field: 'fields' },
      );
  }
  return [...new Set(names)];
}
