/**
 * `--filter key=value` arguments, checked against the endpoint's real filter names and value kinds
 * before any request. The real server silently ignores unknown parameters (so `run=315705` on a
 * histogram list filters nothing) and answers a bad value inside an `__in` list with a 500 HTML
 * page: both are caught here with a message that lists the valid names.
 */
import type { FilterSpec, Filters } from '../../domain.js';
import { UsageError } from '../../errors.js';
import { postgresRegexIssue } from '../../postgres-regex.js';
import { filterSpecsOf, type StreamEndpoint as Endpoint } from '../../endpoints.js';

/**
 * Parses repeated `--filter key=value` arguments into the Filters of `endpoint`. `title` may
 * repeat; `__in` values are comma-separated numbers; int filters must be integers; choice and bool
 * filters must be one of their values. Throws a UsageError naming the filter and what was expected.
 */
export function parseFilterArgs(endpoint: Endpoint, args: readonly string[]): Filters {
  const specs = filterSpecsOf(endpoint);
  const filters: Filters = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      throw new UsageError('E_FILTER_SYNTAX', `--filter expects key=value, got ${JSON.stringify(arg)}`, {
        field: 'filter',
      });
    }
    const key = arg.slice(0, eq).trim();
    const raw = arg.slice(eq + 1);
    const spec = specs[key];
    if (!spec) throw unknownFilter(endpoint, key);
    const value = parseFilterValue(endpoint, key, spec, raw);
    if (spec.kind === 'string-repeat' || spec.kind === 'order') {
      const previous = filters[key];
      filters[key] = [...(Array.isArray(previous) ? previous : []), value as string];
    } else if (key in filters) {
      throw new UsageError('E_FILTER_REPEATED', `filter ${key} given twice; only title and order_by may repeat`, {
        field: `filter.${key}`,
      });
    } else {
      filters[key] = value;
    }
  }
  return filters;
}

function parseFilterValue(
  endpoint: Endpoint,
  key: string,
  spec: FilterSpec,
  raw: string,
): string | number | boolean | number[] {
  const bad = (expected: string): UsageError =>
    new UsageError('E_FILTER_VALUE', `filter ${key} of ${endpoint} expects ${expected}, got ${JSON.stringify(raw)}`, {
      field: `filter.${key}`,
    });
  const value = raw.trim();
  switch (spec.kind) {
    case 'int':
      if (!INT.test(value)) throw bad('an integer');
      return Number(value);
    case 'int-list': {
      const parts = value.split(',').map((p) => p.trim());
      if (parts.length === 0 || parts.some((p) => !INT.test(p)))
        throw bad('comma-separated integers (e.g. 315705,315713)');
      return parts.map(Number);
    }
    case 'bool': {
      const v = value.toLowerCase();
      if (v === 'true' || v === 'false') return v === 'true';
      throw bad('true or false');
    }
    case 'choice':
      if (!spec.choices?.includes(value)) throw bad(`one of ${(spec.choices ?? []).join(', ')}`);
      return value;
    case 'string':
    case 'string-repeat':
      if (raw === '') throw bad('a non-empty value');
      return raw;
    case 'regex': {
      const issue = raw === '' ? 'a non-empty value' : postgresRegexIssue(raw);
      if (issue)
        throw new UsageError('E_FILTER_VALUE', `filter ${key} of ${endpoint}: ${issue}, got ${JSON.stringify(raw)}`, {
          field: `filter.${key}`,
        });
      return raw;
    }
    case 'order':
      if (raw === '') throw bad('a field name');
      return raw;
  }
}

const INT = /^-?\d{1,15}$/;

function unknownFilter(endpoint: Endpoint, key: string): UsageError {
  const names = Object.keys(filterSpecsOf(endpoint));
  const hints = suggestFilters(key, names);
  const hint = hints.length ? ` (did you mean ${hints.join(' or ')}?)` : '';
  return new UsageError(
    'E_FILTER_UNKNOWN',
    `unknown filter ${key} for ${endpoint}${hint}; valid filters are: ${names.join(', ')}`,
    { field: `filter.${key}` },
  );
}

/**
 * Up to three close names: by edit distance (typos), or related names: one that contains the key as
 * a `__` segment (`run` -> `lumisection__run__run_number`, what a histogram list needs) or that the
 * key extends (`run_number` -> `run` on lumisections).
 */
export function suggestFilters(key: string, names: readonly string[]): string[] {
  const k = key.toLowerCase();
  const scored = names
    .map((name) => {
      const n = name.toLowerCase();
      const d = levenshtein(k, n);
      const segments = n.split('__');
      const related =
        segments.includes(k) ||
        (k.length >= 3 && segments.some((s) => s.startsWith(k))) ||
        (n.length >= 3 && k.startsWith(n + '_'));
      // Typos within a third of the length by distance; a related name ranks just after a one-letter typo.
      const score = related ? 1.5 + n.length / 1000 : d <= Math.max(2, Math.floor(n.length / 3)) ? d : Infinity;
      return { name, score };
    })
    .filter((s) => Number.isFinite(s.score))
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return scored.slice(0, 3).map((s) => s.name);
}

/** Edit distance (insertions, deletions, substitutions), two rows of memory. */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
