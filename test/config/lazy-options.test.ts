/**
 * Options of a discriminated union built on first use (src/config/fields.ts, `lazyOption`): the
 * source types and the stream endpoints of the pipeline schema. zod must take the discriminator and
 * the optionality from what `lazyOption` gives, not by building the option; if a zod release reads
 * them another way, the first test fails (the schema would still parse the same, only slower).
 */
import { describe, expect, it, vi } from 'vitest';
import { z } from '../../src/zod.js';
import { lazyOption, strictObject } from '../../src/config/fields.js';

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
    for (const input of inputs) {
      const got = union.safeParse(input);
      const want = reference.safeParse(input);
      expect(got.success).toBe(want.success);
      expect(got.data).toEqual(want.data);
      expect(got.error?.issues).toEqual(want.error?.issues);
    }
  });

  it('gives the same JSON Schema as the union of the built options', () => {
    const lazy = variants();
    const eager = variants();
    const union = z.discriminatedUnion('kind', [lazyOption('kind', 'a', lazy.a), lazyOption('kind', 'b', lazy.b)]);
    const reference = z.discriminatedUnion('kind', [eager.a(), eager.b()]);
    expect(z.toJSONSchema(union, { io: 'input' })).toEqual(z.toJSONSchema(reference, { io: 'input' }));
  });
});
