/** Positions in pipeline files: from a zod path back to the YAML node. */
import { describe, expect, it } from 'vitest';
import { locate, parseSourceDocument } from '../../src/config/document.js';
import { ConfigError } from '../../src/errors.js';

const TEXT = `name: x
source:
  type: a
streams:
  - name: s
    output: {path: p}
  - [1, 2]
`;

describe('locate', () => {
  const src = parseSourceDocument(TEXT, 'd.yaml');

  it('points at values, or at keys when asked', () => {
    expect(locate(src, ['source', 'type'])).toEqual({ line: 3, column: 9 });
    expect(locate(src, ['source', 'type'], { key: true })).toEqual({ line: 3, column: 3 });
    expect(locate(src, ['streams', 0, 'output', 'path'])).toEqual({ line: 6, column: 20 });
    expect(locate(src, ['streams', 1, 1])).toEqual({ line: 7, column: 9 });
  });

  it('falls back to the deepest existing ancestor for paths that are not in the file', () => {
    expect(locate(src, ['streams', 0, 'endpoint'])).toEqual({ line: 5, column: 5 });
    expect(locate(src, ['streams', 0, 'output', 'format'])).toEqual({ line: 6, column: 13 });
    expect(locate(src, ['streams', 9])).toEqual({ line: 5, column: 3 });
    expect(locate(src, [])).toEqual({ line: 1, column: 1 });
  });
});

describe('parseSourceDocument', () => {
  it('reports every syntax error with its position and never quotes the source', () => {
    let err: unknown;
    try {
      parseSourceDocument('a: [1, 2\ntoken: "s3cr3t-value\n', 'e.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.code).toBe('E_CONFIG_YAML');
    for (const line of e.message.split('\n').slice(1)) expect(line).toMatch(/^e\.yaml:\d+:\d+: /);
    expect(e.message).not.toContain('s3cr3t-value');
  });
});
