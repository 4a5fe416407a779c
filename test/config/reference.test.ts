/**
 * docs/pipeline-reference.md stays complete: every key the pipeline schema accepts (filters aside:
 * they are the server's, listed by `dqm-export schema`) is described there, and every enum value
 * of the schema is named.
 */
import { STREAM_ENDPOINTS, filterSpecsOf } from '../../src/endpoints.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipelineJsonSchema } from '../../src/config/index.js';
import { PACKAGE_ROOT } from '../../src/version.js';

type Node = Record<string, unknown>;

/** Dotted key paths (`streams[].output.mode` -> `output.mode`) and enum values in a JSON Schema. */
function collect(node: unknown, path: string[], keys: Set<string>, values: Set<string>): void {
  if (!node || typeof node !== 'object') return;
  const o = node as Node;
  for (const v of (o.enum as unknown[] | undefined) ?? []) values.add(String(v));
  if (o.const !== undefined) values.add(String(o.const));
  const props = o.properties as Record<string, unknown> | undefined;
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      const p = [...path, k];
      keys.add(p.join('.'));
      if (k !== 'filters') collect(v, p, keys, values);
    }
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'])
    for (const x of (o[key] as unknown[] | undefined) ?? []) collect(x, path, keys, values);
  if (o.items) collect(o.items, path, keys, values);
}

describe('docs/pipeline-reference.md', () => {
  const doc = readFileSync(join(PACKAGE_ROOT, 'docs', 'pipeline-reference.md'), 'utf8');
  const keys = new Set<string>();
  const values = new Set<string>();
  collect(pipelineJsonSchema(), [], keys, values);

  it('describes every key of the schema', () => {
    expect(keys.size).toBeGreaterThan(40);
    // A key is described by a table row naming it by its last one or two segments.
    const missing = [...keys].filter((k) => {
      const parts = k.split('.');
      const short = parts.slice(-2).join('.');
      const last = parts.at(-1)!;
      return !doc.includes(`| \`${short}\``) && !doc.includes(`| \`${last}\``);
    });
    expect(missing).toEqual([]);
  });

  it('names every allowed value', () => {
    const missing = [...values].filter((v) => !doc.includes(`\`${v}\``));
    expect(missing).toEqual([]);
  });

  it('names only filters the schema accepts, as examples of the filters key', () => {
    const row = doc.split('\n').find((l) => l.startsWith('| `filters` |'));
    expect(row).toBeDefined();
    const examples = [...row!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((name) => name !== 'filters');
    expect(examples.length).toBeGreaterThan(3);
    const accepted = new Set(STREAM_ENDPOINTS.flatMap((e) => Object.keys(filterSpecsOf(e))));
    expect(examples.filter((name) => !accepted.has(name) && !name.startsWith('__'))).toEqual([]);
  });
});
