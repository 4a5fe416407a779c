/** DIALS pipeline files: valid ones parse with their defaults; the traps are config errors before any request. */
import { describe, expect, it } from 'vitest';
import { parsePipelineText } from '../../src/config/index.js';

const head = (source = '') =>
  `version: 1\nname: d\nsource:\n  type: dials\n  url: prod\n  workspace: tracker\n${source}streams:\n`;

function error(text: string): string {
  try {
    parsePipelineText(text, 'd.yaml', { env: {} });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('dials pipeline files', () => {
  it('parse with defaults (url prod, workspace tracker, slice by run for th1/th2)', () => {
    const p = parsePipelineText(
      `${head()}  - name: h\n    endpoint: th2\n    filters: {me__regex: 'PXLayer_[0-9]+', order_by: [-run_number, ls_number]}\n    output: {path: h}\n`,
      'd.yaml',
      { env: {} },
    );
    expect(p.source).toMatchObject({ type: 'dials', url: 'prod', workspace: 'tracker', concurrency: 8 });
    expect(p.streams[0]).toMatchObject({
      endpoint: 'th2',
      slice: { by: 'run' },
      filters: { me__regex: 'PXLayer_[0-9]+', order_by: ['-run_number', 'ls_number'] },
    });
  });

  it('run_number__gt is an error with a suggestion (the server would ignore it and return everything)', () => {
    expect(
      error(`${head()}  - name: h\n    endpoint: th1\n    filters: {run_number__gt: 380000}\n    output: {path: h}\n`),
    ).toMatch(/run_number__gt.*did you mean.*run_number__gte/s);
  });

  it('a regex PostgreSQL would answer with 500 is refused', () => {
    expect(
      error(`${head()}  - name: h\n    endpoint: th1\n    filters: {me__regex: '(['}\n    output: {path: h}\n`),
    ).toMatch(/me__regex.*not a valid PostgreSQL regular expression/s);
  });

  it('order_by: unknown fields and comma lists are refused', () => {
    expect(
      error(`${head()}  - name: h\n    endpoint: th1\n    filters: {order_by: [-entrie]}\n    output: {path: h}\n`),
    ).toMatch(/cannot order th1 by entrie.*did you mean "entries"/s);
    expect(
      error(
        `${head()}  - name: h\n    endpoint: th1\n    filters: {order_by: 'run_number,ls_number'}\n    output: {path: h}\n`,
      ),
    ).toMatch(/one field per order_by entry/);
  });

  it('endpoints must belong to the source', () => {
    expect(error(`${head()}  - name: h\n    endpoint: runs\n    output: {path: h}\n`)).toMatch(
      /a dials source has no endpoint runs.*did you mean "run"/s,
    );
  });

  it('workspace names are lower case; token and token_file exclude each other', () => {
    expect(
      error(
        head().replace('workspace: tracker', 'workspace: Tracker') +
          `  - name: h\n    endpoint: run\n    output: {path: h}\n`,
      ),
    ).toMatch(/lower-case workspace/);
    expect(
      error(head('  token: a\n  token_file: b\n') + `  - name: h\n    endpoint: run\n    output: {path: h}\n`),
    ).toMatch(/either token or token_file/);
  });
});
