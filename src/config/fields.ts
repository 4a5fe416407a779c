/**
 * Building blocks of the pipeline schema: strict objects whose unknown keys get a did-you-mean,
 * integers and booleans that also accept their text form (what `${VAR}` interpolation produces),
 * and names. The messages say what was expected; positions are added later from the YAML nodes.
 */
import { InternalError } from '../errors.js';
import * as z from '../zod.js';
import { didYouMean } from './suggest.js';

/**
 * Separates the per-key messages of one `unrecognized_keys` issue: zod reports all unknown keys of
 * an object in one issue; the issue formatter splits it back so each key gets its own line:col.
 */
export const UNKNOWN_KEY_SEPARATOR = '\n';

const INT_TEXT = /^\s*[+-]?\d{1,15}\s*$/;

/**
 * Schema-driven coercion: wherever an integer is expected, a decimal integer written as text is
 * accepted. Interpolation always yields text, so `concurrency: ${CONC:-16}` must validate; doing it
 * by schema rather than by re-typing interpolated scalars keeps an all-digit token a string.
 */
export function intFromText(value: unknown): unknown {
  return typeof value === 'string' && INT_TEXT.test(value) ? Number(value) : value;
}

/** Same as intFromText for booleans: `true` / `false` in any case. */
function boolFromText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const t = value.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : value;
}

/**
 * JSON Schema fragments for fields whose accepted input is wider than what zod's generator can
 * see through a preprocess (a single title or a list; `315705,315713` or a list of runs). Read by
 * pipelineJsonSchema(), so editors accept everything the loader accepts.
 */
export const JSON_INPUT_OVERRIDES = new WeakMap<z.ZodType, Record<string, unknown>>();

/** Records `json` as the JSON Schema of `schema`'s input; returns `schema`. */
export function withJsonInput<T extends z.ZodType>(schema: T, json: Record<string, unknown>): T {
  JSON_INPUT_OVERRIDES.set(schema, json);
  return schema;
}

/** Describes a bad value for a message: strings quoted and truncated, containers by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

/** The message of a required field that is absent. */
export const MISSING = 'missing required field';

/** An error function that says "missing required field" for an absent value, else `message(input)`. */
export function orMissing(message: (input: unknown) => string) {
  return (iss: { input?: unknown }) => (iss.input === undefined ? MISSING : message(iss.input));
}

/** `expected <what>, got <value>` (or missing). */
export function expecting(what: string) {
  return orMissing((input) => `expected ${what}, got ${describeValue(input)}`);
}

/** An integer in [min, max]; numeric text is accepted (see intFromText). */
export function intField(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  const bound = orMissing((input) => `must be an integer ${range}, got ${describeValue(input)}`);
  return lazyField(
    () => z.preprocess(intFromText, z.int({ error: bound }).min(min, { error: bound }).max(max, { error: bound })),
    'optional',
  );
}

/** 1 or 2 (histogram dimensionality); `"2"` is accepted. */
export function dimensionField() {
  return z.preprocess(intFromText, z.union([z.literal(1), z.literal(2)], { error: expecting('1 or 2') }));
}

/** true or false; the text forms `true` / `false` are accepted (see intFromText). */
export function boolField() {
  return lazyField(() => z.preprocess(boolFromText, z.boolean({ error: expecting('true or false') })), 'optional');
}

/** Coerces a number or boolean written where text is expected (`period: 2018`) to its text. */
export function textFromScalar(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

/** A field with a default (typed against the schema's output; pipelineJsonSchema shows it). */
export function withDefault<T extends z.ZodType>(schema: T, value: z.output<T>) {
  return schema.default(value as never);
}

/** A non-empty string. */
export function text(what = 'a non-empty string') {
  return z.string({ error: expecting(what) }).min(1, { error: `expected ${what}, got ""` });
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Pipeline and stream names: used in file names and journals, so identifier-like. */
export function nameField(what: string) {
  const message = orMissing(
    (input) =>
      `${what} must start with a letter and use only letters, digits, _ and - (at most 64), got ${describeValue(input)}`,
  );
  return z.string({ error: message }).regex(NAME, { error: message });
}

const COLUMN = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** A column name as written to Parquet/Arrow: letters, digits and _, not starting with a digit. */
export function columnField() {
  const message = orMissing(
    (input) => `column names use only letters, digits and _ and do not start with a digit, got ${describeValue(input)}`,
  );
  return z.string({ error: message }).regex(COLUMN, { error: message });
}

/** An enum whose bad values get the valid list and a did-you-mean; `what` is the plural label. */
export function choice<const T extends readonly [string, ...string[]]>(values: T, what = 'values') {
  return z.enum(values, { error: orMissing((input) => choiceMessage(input, values, what)) });
}

/** `got "tensr" (did you mean "tensor"?); valid layouts: nested, flat, tensor, array`; `what` is plural. */
export function choiceMessage(input: unknown, values: readonly string[], what = 'values'): string {
  const hint = typeof input === 'string' ? didYouMean(input, values) : '';
  return `got ${describeValue(input)}${hint}; valid ${what}: ${values.join(', ')}`;
}

/** The message for one unknown key: the did-you-mean first, then every valid key. */
export function unknownKeyMessage(key: string, known: readonly string[], what = 'key', where = ''): string {
  const place = where ? ` ${where}` : '';
  return `unknown ${what} ${JSON.stringify(key)}${place}${didYouMean(key, known)}; valid ${what}s: ${known.join(', ')}`;
}

/**
 * A strict object: unknown keys are errors (a typo must not silently fall back to a default), each
 * with a did-you-mean against the known keys. `what` names the keys in messages ("filter").
 */
export function strictObject<T extends z.ZodRawShape>(shape: T, options: { what?: string; where?: string } = {}) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        return iss.keys
          .map((k) => unknownKeyMessage(k, known, options.what, options.where))
          .join(UNKNOWN_KEY_SEPARATOR);
      }
      if (iss.code === 'invalid_type') return expecting('a mapping')(iss);
      return undefined;
    },
  });
}

/**
 * A schema built the first time it is needed: when it parses a value, or the JSON Schema is made.
 * zod reads some properties of every schema in an object or union before parsing with it (an
 * option's discriminator values, `propValues`; a field's optionality, `optin` and `optout`), and a
 * `z.lazy` answers those from its inner schema, which builds it: so they are given here, and checked
 * against the built schema (a wrong one would change what parses).
 */
function lazyWith<T extends z.ZodType>(build: () => T, given: Record<string, unknown>): z.ZodLazy<T> {
  const option = z.lazy(() => {
    const built = build();
    for (const name of ['optin', 'optout'] as const)
      if (built._zod[name] !== given[name])
        throw new InternalError(
          'E_INTERNAL',
          `lazy schema: the built schema's ${name} is ${String(built._zod[name])}, not ${String(given[name])} as given`,
        );
    return built;
  });
  for (const [name, v] of Object.entries(given))
    Object.defineProperty(option._zod, name, { configurable: true, writable: true, value: v });
  return option;
}

/**
 * One option of a discriminated union on `key`, built the first time it is needed: when a value with
 * `key: value` is parsed, or the JSON Schema is made (an object schema has no optionality). A pipeline
 * uses one source type and one or two of the twelve endpoints, and building the others' schemas was
 * most of the zod work of `run`'s start-up (docs/decisions.md, "CLI start-up: the pipeline schema
 * builds only the source type and endpoints a pipeline uses"). test/config/lazy-options.test.ts
 * checks that the options stay unbuilt and that zod still reads these three from the option.
 */
export function lazyOption<T extends z.ZodType>(key: string, value: string, build: () => T): z.ZodLazy<T> {
  return lazyWith(build, { propValues: { [key]: new Set([value]) }, optin: undefined, optout: undefined });
}

/**
 * A field's schema built the first time a value reaches it. Under `.optional()` or a default (or
 * `optionalLazy`, `defaultLazy`), an absent key never does: a pipeline names few of its ~100
 * optional fields, and building the others' schemas was most of what `run`'s start-up spent in
 * zod (docs/decisions.md, "CLI start-up: optional fields' schemas built when present"). The built
 * schema must have no optionality of its own (`.optional()`, a default: put those outside), except
 * the `optin: 'optional'` of a `z.preprocess` (zod lets its function see an absent value), given as
 * `optin`.
 */
export function lazyField<T extends z.ZodType>(build: () => T, optin?: 'optional'): z.ZodLazy<T> {
  return lazyWith(build, { optin, optout: undefined });
}
