/**
 * Options of a discriminated union built on first use (src/config/fields.ts, `lazyOption`): the
 * source types and the stream endpoints of the pipeline schema. zod must take the discriminator and
 * the optionality from what `lazyOption` gives, not by building the option; if a zod release reads
 * them another way, the first test fails (the schema would still parse the same, only slower).
 */
import { describe, expect, it, vi } from 'vitest';
import * as z from '../../src/zod.js';
import { InternalError } from '../../src/errors.js';
import { intField, lazyField, lazyOption, strictObject, withDefault } from '../../src/config/fields.js';

function variants() {
  const builders = {
    a: vi.fn(() => strictObject({ kind: z.literal('a'), n: z.number() })),
    b: vi.fn(() => strictObject({ kind: z.literal('b'), s: z.string() }).superRefine(() => {})),
  };
  return builders;
}

const inputs: unknown[] = [
  { kind: 'a', n: 1 },
  { kind: 'b', s: 'x' },
  { kind: 'b', s: 1 },
  { kind: 'a', n: 1, extra: true },
  { kind: 'c' },
  {},
  'text',
];

/** `schema` parses every input as `reference` does: same success, data and issues. */
function expectSameParses(schema: z.ZodType, reference: z.ZodType, values: unknown[]): void {
  for (const input of values) {
    const got = schema.safeParse(input);
    const want = reference.safeParse(input);
    expect(got.success).toBe(want.success);
    expect(got.data).toEqual(want.data);
    expect(got.error?.issues).toEqual(want.error?.issues);
  }
}

describe('lazyOption', () => {
  it('builds an option only when a value with its discriminator is parsed, inside an object too', () => {
    const b = variants();
    const union = z.discriminatedUnion('kind', [lazyOption('kind', 'a', b.a), lazyOption('kind', 'b', b.b)]);
    const doc = strictObject({ item: union, other: z.string().optional() });
    expect(doc.safeParse({ item: { kind: 'a', n: 2 } }).success).toBe(true);
    expect(b.a).toHaveBeenCalledTimes(1);
    expect(b.b).not.toHaveBeenCalled();
    expect(doc.safeParse({ item: { kind: 'z' } }).success).toBe(false);
    expect(b.b).not.toHaveBeenCalled();
    doc.parse({ item: { kind: 'b', s: 'y' } });
    expect(b.b).toHaveBeenCalledTimes(1);
    expect(b.a).toHaveBeenCalledTimes(1);
  });

  it('parses and reports issues exactly as the union of the built options', () => {
    const lazy = variants();
    const eager = variants();
    const union = z.discriminatedUnion('kind', [lazyOption('kind', 'a', lazy.a), lazyOption('kind', 'b', lazy.b)]);
    const reference = z.discriminatedUnion('kind', [eager.a(), eager.b()]);
    expectSameParses(union, reference, inputs);
  });

  it('gives the same JSON Schema as the union of the built options', () => {
    const lazy = variants();
    const eager = variants();
    const union = z.discriminatedUnion('kind', [lazyOption('kind', 'a', lazy.a), lazyOption('kind', 'b', lazy.b)]);
    const reference = z.discriminatedUnion('kind', [eager.a(), eager.b()]);
    expect(z.toJSONSchema(union, { io: 'input' })).toEqual(z.toJSONSchema(reference, { io: 'input' }));
  });
});

/** A document with lazy fields under `.optional()` and a default, and the same document built eagerly. */
function fieldDocuments() {
  const build = {
    list: vi.fn(() => z.array(z.string()).min(1)),
    count: vi.fn(() => z.preprocess((v) => (v === 'ten' ? 10 : v), z.int().min(1))),
  };
  const lazy = strictObject({
    list: lazyField(build.list).optional(),
    count: withDefault(lazyField(build.count, 'optional'), 3),
    name: z.string(),
  });
  const eager = strictObject({
    list: z.array(z.string()).min(1).optional(),
    count: withDefault(
      z.preprocess((v) => (v === 'ten' ? 10 : v), z.int().min(1)),
      3,
    ),
    name: z.string(),
  });
  return { build, lazy, eager };
}

const fieldInputs: unknown[] = [
  { name: 'a' },
  { name: 'a', list: ['x'], count: 'ten' },
  { name: 'a', list: [], count: 0 },
  { list: 'x' },
  { name: 'a', count: undefined, extra: 1 },
  null,
];

describe('lazyField', () => {
  it('builds a field only when a value reaches it: never for an absent optional or defaulted key', () => {
    const { build, lazy } = fieldDocuments();
    expect(lazy.parse({ name: 'a' })).toEqual({ name: 'a', count: 3 });
    expect(build.list).not.toHaveBeenCalled();
    expect(build.count).not.toHaveBeenCalled();
    lazy.parse({ name: 'a', count: 4 });
    expect(build.count).toHaveBeenCalledTimes(1);
    expect(build.list).not.toHaveBeenCalled();
  });

  it('parses and reports issues exactly as the eagerly built document', () => {
    const { lazy, eager } = fieldDocuments();
    expectSameParses(lazy, eager, fieldInputs);
  });

  it('gives the same JSON Schema as the eagerly built document', () => {
    const { lazy, eager } = fieldDocuments();
    expect(z.toJSONSchema(lazy, { io: 'input' })).toEqual(z.toJSONSchema(eager, { io: 'input' }));
  });

  it('refuses a built schema whose optionality is not the one given (it would change what parses)', () => {
    const wrong = strictObject({ a: lazyField(() => z.string().optional()) });
    expect(() => wrong.parse({ a: 'x' })).toThrow(InternalError);
    const preprocess = strictObject({ a: lazyField(() => z.preprocess((v) => v, z.string())) });
    expect(() => preprocess.parse({ a: 'x' })).toThrow(/optin is optional, not undefined/);
  });

  it('intField: text and range as before, one schema until a value reaches it', () => {
    const field = strictObject({ n: withDefault(intField(1, 10), 5) });
    expect(field.parse({})).toEqual({ n: 5 });
    expect(field.parse({ n: ' 7 ' })).toEqual({ n: 7 });
    expect(field.safeParse({ n: 11 }).error?.issues[0].message).toBe('must be an integer from 1 to 10, got 11');
  });
});
