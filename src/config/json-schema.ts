/**
 * The JSON Schema of pipeline files, generated from the zod schema (so it cannot drift), for
 * editors (`# yaml-language-server: $schema=...`) and `dqm-export schema`. It describes the file as
 * written: defaults are shown but not required, and every number or boolean may also be a
 * `${VAR}` reference (interpolation happens before validation).
 */
import * as z from '../zod.js';
import { JSON_INPUT_OVERRIDES } from './fields.js';
import { pipelineSchema } from './schema.js';

/** Matches a value that still contains a `${VAR}` reference. */
const REFERENCE = { type: 'string', pattern: '\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}' };

/** JSON Schema (draft 2020-12) of a pipeline file, as a plain object. */
export function pipelineJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(pipelineSchema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: (ctx) => {
      const json = ctx.jsonSchema as Record<string, unknown>;
      const def = (ctx.zodSchema as unknown as { _zod: { def: { type: string; defaultValue?: unknown } } })._zod.def;
      // zod drops the default of a field whose inner schema is a preprocess; put it back.
      if (def.type === 'default' && json.default === undefined) json.default = def.defaultValue;
      const replacement = JSON_INPUT_OVERRIDES.get(ctx.zodSchema as unknown as z.ZodType);
      if (replacement) {
        for (const k of Object.keys(json)) if (k !== 'description' && k !== 'default') delete json[k];
        Object.assign(json, replacement);
        return;
      }
      if (json.type === 'integer' || json.type === 'number' || json.type === 'boolean') {
        const typed: Record<string, unknown> = {};
        for (const k of Object.keys(json)) {
          if (k === 'description' || k === 'default') continue;
          typed[k] = json[k];
          delete json[k];
        }
        if (typed.type === 'integer' && typed.minimum === Number.MIN_SAFE_INTEGER) delete typed.minimum;
        if (typed.type === 'integer' && typed.maximum === Number.MAX_SAFE_INTEGER) delete typed.maximum;
        json.anyOf = [typed, REFERENCE];
      }
    },
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    $id: 'https://github.com/dqm-export/dqm-export/pipeline.schema.json',
    title: 'dqm-export pipeline',
    description: 'A dqm-export pipeline file (YAML or JSON): version 1, a name, a source and one or more streams.',
    ...schema,
  };
}
