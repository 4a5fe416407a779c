/** The config hash: stable across what does not change the data, different when the data changes. */
import { describe, expect, it } from 'vitest';
import { configHash, parsePipelineText, streamConfigHash } from '../../src/config/index.js';

const base = (
  over: { token?: string; filter?: number; conc?: number; extra?: string; layout?: string } = {},
) => `version: 1
name: h
description: ${over.extra ?? 'one'}
source:
  type: dqm-playground
  url: prod
  token: ${over.token ?? 'token-one-1111'}
  concurrency: ${over.conc ?? 8}
streams:
  - name: h2d
    endpoint: lumisection_histograms_2d
    filters: {lumisection__run__run_number__gte: ${over.filter ?? 315000}}
    transform: {layout: ${over.layout ?? 'tensor'}}
    output: {path: h2d}
  - name: runs
    endpoint: runs
    output: {path: runs}
`;

const hash = (text: string) => configHash(parsePipelineText(text, 'h.yaml', { env: {} }));

describe('configHash', () => {
  it('is a hex sha256 and deterministic', () => {
    expect(hash(base())).toMatch(/^[0-9a-f]{64}$/);
    expect(hash(base())).toBe(hash(base()));
  });

  it('does not change with the token, transport tuning or the description', () => {
    const h = hash(base());
    expect(hash(base({ token: 'token-two-2222' }))).toBe(h);
    expect(hash(base().replace('  token: token-one-1111\n', ''))).toBe(h);
    expect(hash(base({ conc: 2 }))).toBe(h);
    expect(hash(base({ extra: 'two' }))).toBe(h);
  });

  it('does not change when a default is written out, or with key order and formatting', () => {
    const h = hash(base());
    expect(hash(base().replace('{layout: tensor}', '{layout: tensor, dtype: float64}'))).toBe(h);
    expect(hash(base().replace('output: {path: runs}', 'output:\n      mode: error\n      path: runs'))).toBe(h);
  });

  it('changes with filters, transforms, streams and the server', () => {
    const h = hash(base());
    expect(hash(base({ filter: 315001 }))).not.toBe(h);
    expect(hash(base({ layout: 'flat' }))).not.toBe(h);
    expect(hash(base().replace('url: prod', 'url: develop'))).not.toBe(h);
    expect(hash(base().replace('  - name: runs\n    endpoint: runs\n    output: {path: runs}\n', ''))).not.toBe(h);
  });

  it('streamConfigHash of one stream ignores the other streams', () => {
    const a = parsePipelineText(base(), 'h.yaml', { env: {} });
    const b = parsePipelineText(
      base().replace('output: {path: runs}', 'output: {path: runs, format: arrow}'),
      'h.yaml',
      { env: {} },
    );
    expect(streamConfigHash(a, 'h2d')).toBe(streamConfigHash(b, 'h2d'));
    expect(streamConfigHash(a, 'runs')).not.toBe(streamConfigHash(b, 'runs'));
    expect(() => streamConfigHash(a, 'nope')).toThrow('has no stream nope');
  });
});
