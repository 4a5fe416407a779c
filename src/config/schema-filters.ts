/**
 * `streams[].filters`: the keys are the real server's filter names for the stream's endpoint
 * (src/domain.ts FILTERS), because the server silently ignores unknown ones and would export
 * everything. Values are checked by the filter's kind and normalised: `__in` lists become number
 * arrays (a comma string is accepted), `title` always becomes a list of strings.
 */
import * as z from '../zod.js';
import type { FilterSpec, Filters } from '../domain.js';
import { postgresRegexIssue } from '../postgres-regex.js';
import { filterSpecsOf, type StreamEndpoint } from '../endpoints.js';
import {
  boolField,
  choice,
  expecting,
  intField,
  intFromText,
  lazyField,
  strictObject,
  text,
  textFromScalar,
  withJsonInput,
} from './fields.js';

const INT_LIST_TEXT = '^\\s*[+-]?\\d+(\\s*,\\s*[+-]?\\d+)*\\s*$';

/** `315705,315713` -> ['315705', '315713'] -> numbers; a single number -> [number]. */
function intListFromText(value: unknown): unknown {
  if (typeof value === 'string') return value.split(',').map((p) => intFromText(p.trim()));
  if (typeof value === 'number') return [value];
  return value;
}

/** A string or a list of them -> a list; numbers become their text (titles are text). */
function textListFromScalar(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(textFromScalar);
  const v = textFromScalar(value);
  return typeof v === 'string' ? [v] : v;
}

/** The value schema of one filter, by its kind. */
function filterValueSchema(key: string, spec: FilterSpec): z.ZodType {
  switch (spec.kind) {
    case 'int':
      return intField(0);
    case 'int-list':
      return withJsonInput(
        z.preprocess(
          intListFromText,
          z.array(intField(0), { error: expecting('integers (a list, or comma-separated text)') }).min(1, {
            error: 'expected at least one integer',
          }),
        ),
        {
          anyOf: [
            { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 1 },
            { type: 'string', pattern: INT_LIST_TEXT },
          ],
        },
      );
    case 'string':
      return z.preprocess(textFromScalar, text());
    case 'string-repeat':
      return withJsonInput(
        z.preprocess(
          textListFromScalar,
          z.array(text(), { error: expecting(`${key} text or a list of them`) }).min(1, {
            error: `expected at least one ${key}`,
          }),
        ),
        {
          anyOf: [
            { type: 'string', minLength: 1 },
            { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
          ],
        },
      );
    case 'bool':
      return boolField();
    case 'regex':
      return z.preprocess(
        textFromScalar,
        text().superRefine((v, ctx) => {
          const issue = postgresRegexIssue(v);
          if (issue) ctx.addIssue({ code: 'custom', message: `${issue} (the server would answer 500)` });
        }),
      );
    case 'order':
      return withJsonInput(
        z.preprocess(
          textListFromScalar,
          z
            .array(text(), { error: expecting('a field name or a list of them') })
            .min(1, { error: 'expected at least one field' }),
        ),
        {
          anyOf: [
            { type: 'string', minLength: 1 },
            { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
          ],
        },
      );
    case 'choice':
      return z.preprocess(textFromScalar, choice((spec.choices ?? []) as [string, ...string[]], `${key} values`));
  }
}

/** Drops absent filters so the result is a plain `Filters` record. */
function compact(filters: Record<string, unknown>): Filters {
  const out: Filters = {};
  for (const [k, v] of Object.entries(filters)) if (v !== undefined) out[k] = v as Filters[string];
  return out;
}

/**
 * The `filters` schema of one endpoint: a strict mapping of that endpoint's filter names. Each
 * filter's value schema is built when the filter is given (every kind's is a `z.preprocess`).
 */
export function filtersSchema(endpoint: StreamEndpoint) {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, spec] of Object.entries(filterSpecsOf(endpoint)))
    shape[key] = lazyField(() => filterValueSchema(key, spec), 'optional')
      .optional()
      .describe(spec.help);
  return strictObject(shape, { what: 'filter', where: `for ${endpoint}` }).transform(compact);
}
