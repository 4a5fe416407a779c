/**
 * Checks of scalar record fields against their column kind. A check returns the value to store, or an
 * `Invalid` naming what was expected, so the caller can build a reject without try/catch in the loop.
 */
import type { ColumnDef } from './columns.js';
import type { DataFileContent } from './scalar-columns.js';
import { parseTimestampMicros } from './timestamp.js';

/** Why a field was refused. */
export class Invalid {
  constructor(readonly reason: string) {}
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function checkContents(value: unknown): DataFileContent[] | Invalid {
  if (!Array.isArray(value))
    return new Invalid(`expected a list of {granularity, data_dimensionality}, got ${describe(value)}`);
  const out: DataFileContent[] = [];
  for (let i = 0; i < value.length; i++) {
    const entry = value[i] as Record<string, unknown> | null;
    const g = entry?.granularity;
    const d = entry?.data_dimensionality;
    if (typeof g !== 'string' || typeof d !== 'number' || !Number.isInteger(d) || d < -128 || d > 127) {
      return new Invalid(`entry ${i}: expected {granularity: string, data_dimensionality: integer}`);
    }
    out.push({ granularity: g, data_dimensionality: d });
  }
  return out;
}

/**
 * Checks one scalar field. Numbers must be finite; integer kinds refuse fractions and out-of-range
 * values (a run number that does not fit int32 is an error, not a wrap-around); timestamps must carry
 * a zone. `undefined` (field missing) is always invalid, `null` only for nullable columns.
 */
export function checkField(def: ColumnDef, value: unknown): unknown {
  if (value === undefined) return new Invalid('missing');
  if (value === null) return def.nullable ? null : new Invalid('null is not allowed');
  switch (def.kind) {
    case 'int32':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
        return new Invalid(`expected an int32 integer, got ${describe(value)}`);
      }
      return value;
    case 'int64':
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        return new Invalid(`expected an integer, got ${describe(value)}`);
      return value;
    case 'float64':
      if (typeof value !== 'number' || !Number.isFinite(value))
        return new Invalid(`expected a finite number, got ${describe(value)}`);
      return value;
    case 'utf8':
    case 'dict':
      if (typeof value !== 'string') return new Invalid(`expected a string, got ${describe(value)}`);
      return value;
    case 'timestamp': {
      if (typeof value !== 'string') return new Invalid(`expected an ISO 8601 date-time, got ${describe(value)}`);
      const micros = parseTimestampMicros(value);
      return micros === null
        ? new Invalid(`expected an ISO 8601 date-time with a zone, got ${describe(value)}`)
        : micros;
    }
    case 'contents':
      return checkContents(value);
    case 'hist1d':
    case 'hist2d':
      return value; // checked with the shape, in histogram-data.ts
  }
}
