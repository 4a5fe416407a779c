/** DRF pagination: page numbers and link rebuilding. */
import { describe, expect, it } from 'vitest';
import { rebuildQuery, renderPage, resolvePage } from '../../src/server/pagination.js';

describe('resolvePage', () => {
  it.each([
    [undefined, 1],
    ['1', 1],
    [' 2 ', 2],
    ['+2', 2],
    ['last', 2],
    ['3', undefined],
    ['0', undefined],
    ['-1', undefined],
    ['abc', undefined],
    ['', undefined],
    ['1.0', undefined],
  ])('page=%j of 65 rows -> %j', (value, page) => expect(resolvePage(value, 65, 50)).toBe(page));

  it('an empty list has page 1', () => expect(resolvePage('1', 0, 50)).toBe(1));
});

describe('rebuildQuery', () => {
  it('replaces or drops page, sorts keys, keeps repeated values in order, quotes like quote_plus', () => {
    const pairs: Array<[string, string]> = [
      ['title', 'b'],
      ['foo', 'x y'],
      ['title', 'a'],
      ['page', '3'],
      ['lumisection__run__run_number__in', '1,2'],
    ];
    expect(rebuildQuery(pairs, 'page', '4')).toBe(
      'foo=x+y&lumisection__run__run_number__in=1%2C2&page=4&title=b&title=a',
    );
    expect(rebuildQuery(pairs, 'page', undefined)).toBe(
      'foo=x+y&lumisection__run__run_number__in=1%2C2&title=b&title=a',
    );
    expect(rebuildQuery([['q', "a/b!*'()~._-"]], 'page', '2')).toBe('page=2&q=a%2Fb%21%2A%27%28%29~._-');
  });
});

describe('renderPage', () => {
  const listing = { total: 3, append: (k: number, parts: Buffer[]) => parts.push(Buffer.from(`{"k":${k}}`)) };

  it('renders the envelope and the records in order', () => {
    const body = renderPage(listing, '/api/x/', [], { perPage: 2, envelope: 'total' })!.toString();
    expect(body).toBe(
      '{"next":"/api/x/?page=2","previous":null,"total":3,"per_page":2,"total_pages":1.5,"results":[{"k":0},{"k":1}]}',
    );
    const last = renderPage(listing, '/api/x/', [['page', 'last']], { perPage: 2, envelope: 'count' })!.toString();
    expect(last).toBe('{"count":3,"next":null,"previous":"/api/x/","results":[{"k":2}]}');
  });

  it('applies an order and rejects invalid pages', () => {
    const body = renderPage(listing, '/p/', [], { perPage: 5, envelope: 'count', order: (k) => 2 - k })!.toString();
    expect(body).toContain('"results":[{"k":2},{"k":1},{"k":0}]');
    expect(renderPage(listing, '/p/', [['page', '9']], { perPage: 5, envelope: 'count' })).toBeUndefined();
  });
});
