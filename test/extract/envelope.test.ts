import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextPath, pageCount, pageSizeOf, parsePage } from '../../src/extract/envelope.js';

const capture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'captures', name), 'utf8')).body;

describe('parsePage', () => {
  it('reads the real envelope (total, float total_pages ignored)', () => {
    const p = parsePage(capture('50_runs.json'), 'u', 10, 0);
    expect(p.total).toBe(65);
    expect(p.perPage).toBe(50);
    expect(p.records).toHaveLength(50);
    expect(p.next).toBe('/api/runs/?page=2');
    expect(pageCount(p.total!, pageSizeOf(p)!)).toBe(2);
  });
  it('reads the stock DRF envelope (count, absolute next, no per_page)', () => {
    const body = {
      count: 120,
      next: 'http://internal:8000/api/runs/?page=2',
      previous: null,
      results: Array.from({ length: 50 }, (_, i) => ({ run_number: i })),
    };
    const p = parsePage(body, 'u', 10, 0);
    expect(p.total).toBe(120);
    expect(p.perPage).toBeNull();
    expect(pageSizeOf(p)).toBe(50);
    expect(pageCount(120, 50)).toBe(3);
  });
  it('has no total when the envelope has neither total nor count', () => {
    const p = parsePage({ next: null, results: [] }, 'u', 1, 0);
    expect(p.total).toBeNull();
    expect(pageSizeOf(p)).toBeNull();
  });
  it('rejects a body without results', () => {
    expect(() => parsePage({ detail: 'x' }, 'http://h/api/runs/', 1, 0)).toThrow(
      /list envelope.*http:\/\/h\/api\/runs\//,
    );
    expect(() => parsePage('oops', 'u', 1, 0)).toThrow(/list envelope/);
  });
  it.each([
    [65, 50, 2],
    [1, 50, 1],
    [0, 50, 1],
    [50, 50, 1],
    [51, 50, 2],
    [249, 50, 5],
  ])('pageCount(%i, %i) = %i (total_pages would be a float)', (total, perPage, pages) => {
    expect(pageCount(total, perPage)).toBe(pages);
  });
  it('a single last page gives no page size', () => {
    expect(pageSizeOf(parsePage(capture('57_runs_filter_run_number.json'), 'u', 1, 0))).toBe(50);
    expect(pageSizeOf(parsePage({ count: 3, next: null, results: [1, 2, 3] }, 'u', 1, 0))).toBeNull();
  });
});

describe('nextPath', () => {
  it.each([
    ['/api/runs/?page=2', 'http://127.0.0.1:8000', '/api/runs/?page=2'],
    ['http://internal:8000/api/runs/?page=2&run=1', 'https://public.example', '/api/runs/?page=2&run=1'],
    ['/api/runs/?page=2', 'https://h.example/prefix', '/prefix/api/runs/?page=2'],
    ['https://h.example/prefix/api/runs/?page=3', 'https://h.example/prefix', '/prefix/api/runs/?page=3'],
  ])('%s on %s -> %s', (next, base, expected) => {
    expect(nextPath(next, base)).toBe(expected);
  });
});
