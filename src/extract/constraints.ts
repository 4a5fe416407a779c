/**
 * Run and lumisection constraints read from (and written back to) real filter names. Planning uses
 * them to pick runs client-side (`/api/runs/` only filters `run_number` exactly), and repair uses
 * them to split a scope into narrower ones without leaving the original constraint.
 */
import type { Endpoint, FilterValue, Filters } from '../domain.js';
import { ConfigError } from '../errors.js';

/** Filter names expressing one numeric dimension on one endpoint. */
export interface DimensionKeys {
  eq: string;
  gte?: string;
  lte?: string;
  in?: string;
}

/** A numeric constraint; every present part must hold. */
export interface NumberConstraint {
  eq?: number;
  gte?: number;
  lte?: number;
  in?: number[];
}

const HISTOGRAM_RUN: DimensionKeys = {
  eq: 'lumisection__run__run_number',
  gte: 'lumisection__run__run_number__gte',
  lte: 'lumisection__run__run_number__lte',
  in: 'lumisection__run__run_number__in',
};
const HISTOGRAM_LS: DimensionKeys = {
  eq: 'lumisection__ls_number',
  gte: 'lumisection__ls_number__gte',
  lte: 'lumisection__ls_number__lte',
  in: 'lumisection__ls_number__in',
};

/** The run dimension of each endpoint (null: the endpoint has no run filter). */
export function runKeys(endpoint: Endpoint): DimensionKeys | null {
  if (endpoint === 'lumisection_histograms_1d' || endpoint === 'lumisection_histograms_2d') return HISTOGRAM_RUN;
  if (endpoint === 'lumisections') return { eq: 'run' };
  if (endpoint === 'runs') return { eq: 'run_number' };
  return null;
}

/** The lumisection dimension of each endpoint (null: none). */
export function lsKeys(endpoint: Endpoint): DimensionKeys | null {
  if (endpoint === 'lumisection_histograms_1d' || endpoint === 'lumisection_histograms_2d') return HISTOGRAM_LS;
  if (endpoint === 'lumisections') return { eq: 'ls_number' };
  return null;
}

function toInt(field: string, value: string | number | boolean): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new ConfigError('E_BAD_FILTER', `filter ${field}: expected an integer, got ${JSON.stringify(value)}`, {
      field,
    });
  }
  return n;
}

function toIntList(field: string, value: FilterValue): number[] {
  const parts = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [value];
  return parts.map((v) => toInt(field, typeof v === 'string' ? v.trim() : v));
}

/** Reads the constraint on one dimension from filters (values as numbers, or numeric strings). */
export function constraintOf(filters: Filters, keys: DimensionKeys): NumberConstraint {
  const c: NumberConstraint = {};
  const scalar = (key: string | undefined): number | undefined => {
    if (!key || filters[key] === undefined) return undefined;
    const v = filters[key];
    if (Array.isArray(v))
      throw new ConfigError('E_BAD_FILTER', `filter ${key}: expected one integer, got a list`, { field: key });
    return toInt(key, v as string | number | boolean);
  };
  const eq = scalar(keys.eq);
  const gte = scalar(keys.gte);
  const lte = scalar(keys.lte);
  if (eq !== undefined) c.eq = eq;
  if (gte !== undefined) c.gte = gte;
  if (lte !== undefined) c.lte = lte;
  if (keys.in && filters[keys.in] !== undefined) c.in = toIntList(keys.in, filters[keys.in]);
  return c;
}

/** True when `n` satisfies every part of `c`. */
export function satisfies(c: NumberConstraint, n: number): boolean {
  return (
    (c.eq === undefined || n === c.eq) &&
    (c.gte === undefined || n >= c.gte) &&
    (c.lte === undefined || n <= c.lte) &&
    (c.in === undefined || c.in.includes(n))
  );
}

/** True when the constraint admits at most one value. */
export function isSingle(c: NumberConstraint): boolean {
  return (
    c.eq !== undefined || (c.in !== undefined && new Set(c.in).size <= 1) || (c.gte !== undefined && c.gte === c.lte)
  );
}

/** `filters` without any key of the dimension. */
export function withoutDimension(filters: Filters, keys: DimensionKeys): Filters {
  const out: Filters = { ...filters };
  for (const key of [keys.eq, keys.gte, keys.lte, keys.in]) if (key) delete out[key];
  return out;
}

/**
 * `filters` restricted to exactly `values` on the dimension: an exact filter for one value, a
 * gte/lte range when the values are the whole sorted `universe` slice between two bounds and the
 * dimension has a range (compact URLs), else an `__in` list.
 */
export function restrictTo(
  filters: Filters,
  keys: DimensionKeys,
  values: readonly number[],
  contiguous: boolean,
): Filters {
  const out = withoutDimension(filters, keys);
  if (values.length === 1) {
    out[keys.eq] = values[0];
  } else if (contiguous && keys.gte && keys.lte) {
    out[keys.gte] = values[0];
    out[keys.lte] = values[values.length - 1];
  } else if (keys.in) {
    out[keys.in] = [...values];
  } else {
    throw new ConfigError('E_BAD_FILTER', `cannot restrict ${keys.eq} to ${values.length} values on this endpoint`, {
      field: keys.eq,
    });
  }
  return out;
}
