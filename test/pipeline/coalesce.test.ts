import { describe, expect, it } from 'vitest';
import { COALESCE_JSON_BYTES, COALESCE_MAX_RECORDS, isFull } from '../../src/pipeline/coalesce.js';

describe('page coalescing threshold', () => {
  it('holds small 1D pages (50 records, ~36 KB each) until 512 KiB of JSON', () => {
    const page = 35_720;
    let held = { records: [] as unknown[], bytes: 0 };
    let pages = 0;
    while (!isFull(held)) {
      held = { records: [...held.records, ...new Array(50).fill({})], bytes: held.bytes + page };
      pages++;
    }
    expect(pages).toBe(Math.ceil(COALESCE_JSON_BYTES / page));
    expect(held.records.length).toBe(pages * 50);
  });

  it('writes a 2D page of 50 x 72 x 56 bins (~1 MB) at once, as before coalescing', () => {
    expect(isFull({ records: new Array(50).fill({}), bytes: 1_006_895 })).toBe(true);
  });

  it('caps the records held whatever their size', () => {
    expect(isFull({ records: new Array(COALESCE_MAX_RECORDS - 1).fill({}), bytes: 10 })).toBe(false);
    expect(isFull({ records: new Array(COALESCE_MAX_RECORDS).fill({}), bytes: 10 })).toBe(true);
  });
});
