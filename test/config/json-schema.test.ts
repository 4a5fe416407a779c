/** The JSON Schema of pipeline files: generated from the zod schema, and describing files as written. */
import { DIALS_ENDPOINTS } from '../../src/dials.js';
import { filterSpecsOf, type StreamEndpoint } from '../../src/endpoints.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { pipelineJsonSchema } from '../../src/config/index.js';
import { FILTERS } from '../../src/domain.js';
import { PACKAGE_ROOT } from '../../src/version.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const schema = pipelineJsonSchema() as Json;

describe('pipelineJsonSchema', () => {
  it('is a plain draft 2020-12 JSON document', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.title).toBe('dqm-export pipeline');
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  it('is strict at the top level and requires version, name, source and streams', () => {
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['version', 'name', 'source', 'streams']);
    expect(Object.keys(schema.properties)).toEqual([
      'version',
      'name',
      'description',
      'source',
      'prepare',
      'defaults',
      'streams',
    ]);
  });

  it("has one stream variant per endpoint, each with that endpoint's real filter names", () => {
    const variants = schema.properties.streams.items.oneOf as Json[];
    expect(variants.map((v) => v.properties.endpoint.const)).toEqual([...Object.keys(FILTERS), ...DIALS_ENDPOINTS]);
    for (const v of variants) {
      const filters = v.properties.filters;
      expect(filters.additionalProperties).toBe(false);
      expect(Object.keys(filters.properties)).toEqual(
        Object.keys(filterSpecsOf(v.properties.endpoint.const as StreamEndpoint)),
      );
    }
  });

  it('shows enums, defaults and interpolation-friendly numbers', () => {
    const h2d = (schema.properties.streams.items.oneOf as Json[]).find(
      (v) => v.properties.endpoint.const === 'lumisection_histograms_2d',
    )!;
    expect(h2d.properties.transform.properties.layout).toMatchObject({
      enum: ['nested', 'flat', 'tensor', 'array'],
      default: 'nested',
    });
    expect(h2d.properties.output.properties.format).toMatchObject({
      enum: ['parquet', 'arrow', 'arrows'],
      default: 'parquet',
    });
    const concurrency = schema.properties.source.oneOf[0].properties.concurrency;
    expect(concurrency.default).toBe(8);
    expect(concurrency.anyOf[0]).toEqual({ type: 'integer', minimum: 1, maximum: 64 });
    expect(concurrency.anyOf[1].type).toBe('string');
    expect(new RegExp(concurrency.anyOf[1].pattern).test('${CONC:-16}')).toBe(true);
    expect(h2d.properties.filters.properties.title.anyOf.map((s: Json) => s.type)).toEqual(['string', 'array']);
  });

  it('accepts the example pipelines as written and rejects unknown keys (checked by zod.fromJSONSchema)', () => {
    const validator = z.fromJSONSchema(schema as never);
    const dir = join(PACKAGE_ROOT, 'pipelines');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      const data = parse(readFileSync(join(dir, file), 'utf8'));
      const result = validator.safeParse(data);
      expect(result.error?.issues ?? [], file).toEqual([]);
      expect(validator.safeParse({ ...data, extra: 1 }).success).toBe(false);
      expect(validator.safeParse({ ...data, streams: [{ ...data.streams[0], endpoint: 'nope' }] }).success).toBe(false);
    }
  });
});
