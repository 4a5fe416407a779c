/** Unit tests of inspect's pure parts: lumisection tables, bin scans, the percentile sketch, the distance, the farthest list, paths, the map PNG. */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { formatOfName, partitionOfPath } from '../../src/inspect/dataset.js';
import { heatmapImage } from '../../src/inspect/heatmap-png.js';
import { LumisectionTable } from '../../src/inspect/lumisection-table.js';
import { FarthestRecords, PercentileSketch, shapeDistance, unitSum } from '../../src/inspect/second-pass.js';
import { countMissingLumisections, scanBins, TitleStats } from '../../src/inspect/title-stats.js';

describe('LumisectionTable', () => {
  it('counts records per lumisection in any order, duplicates, gaps and entries', () => {
    const t = new LumisectionTable();
    const before = [50, 3, 7, 3, 200, 1].map((ls) => t.add(ls, ls * 10));
    expect(before).toEqual([0, 0, 0, 1, 0, 0]);
    expect([t.min, t.max, t.distinct, t.records]).toEqual([1, 200, 5, 6]);
    expect(t.missingIn(1, 200)).toBe(200 - 5);
    expect(t.missingIn(0, 3)).toBe(2); // 0 and 2
    expect(t.entryPoints()).toEqual([
      [1, 10],
      [3, 30],
      [7, 70],
      [50, 500],
      [200, 2000],
    ]);
  });

  it('refuses a run whose lumisection numbers span more than a million', () => {
    const t = new LumisectionTable();
    t.add(1, null);
    expect(() => t.add(2_000_000, null)).toThrow(/E_INSPECT_LUMISECTION|span 1\.\.2000000/);
  });
});

describe('scanBins', () => {
  it.each([
    [[0, 0, 0], { nonFinite: false, negative: false, empty: true }],
    [[0, -1, 2], { nonFinite: false, negative: true, empty: false }],
    [[0, NaN, 0], { nonFinite: true, negative: false, empty: false }],
    [[Infinity, 1, 0], { nonFinite: true, negative: false, empty: false }],
    [[1, 2, 3], { nonFinite: false, negative: false, empty: false }],
  ])('%j', (values, expected) => {
    expect(scanBins(Float64Array.from(values))).toEqual(expected);
  });
});

describe('countMissingLumisections', () => {
  it("uses each run's range over all titles and skips titles absent from a run", () => {
    const add = (t: TitleStats, run: number, ls: number) =>
      t.add({
        run,
        lumisection: ls,
        entries: 1,
        values: Float64Array.of(1),
        shape: [1, 1],
        ranges: { x: null, y: null },
      });
    const a = new TitleStats('a', 1);
    const b = new TitleStats('b', 1);
    [1, 2, 3, 4].forEach((ls) => add(a, 10, ls));
    [2, 3].forEach((ls) => add(b, 10, ls));
    [5, 9].forEach((ls) => add(a, 11, ls));
    countMissingLumisections([a, b]);
    expect(a.checks.missingLumisections).toBe(0 + 3); // run 11: 6, 7, 8
    expect(b.checks.missingLumisections).toBe(2); // run 10: 1 and 4; b has no run 11
  });
});

describe('PercentileSketch', () => {
  it('is exact for a constant bin and within (max - min) / buckets otherwise', () => {
    const rows = Array.from({ length: 101 }, (_, i) => Float64Array.of(7, i));
    const min = Float64Array.of(7, 0);
    const max = Float64Array.of(7, 100);
    const sketch = new PercentileSketch(min, max, 64);
    rows.forEach((r) => sketch.add(r));
    for (const p of [5, 25, 50, 75, 95]) {
      const [constant, ramp] = sketch.curve(p).values;
      expect(constant).toBe(7);
      expect(Math.abs(ramp! - p)).toBeLessThanOrEqual(100 / 64 + 1);
    }
  });
});

describe('shapeDistance and FarthestRecords', () => {
  it('compares shapes, not scale', () => {
    const ref = unitSum([1, 2, 1])!;
    expect(shapeDistance(Float64Array.of(10, 20, 10), ref)).toBeCloseTo(0, 12);
    expect(shapeDistance(Float64Array.of(0, 0, 4), ref)).toBeCloseTo(Math.sqrt(0.25 ** 2 + 0.5 ** 2 + 0.75 ** 2), 12);
    expect(shapeDistance(Float64Array.of(0, 0, 0), ref)).toBeNull();
    expect(unitSum([0, 0])).toBeNull();
  });

  it('keeps the k farthest, farthest first, ties by run then lumisection', () => {
    const keep = new FarthestRecords(unitSum([1, 1])!, 2);
    keep.offer(1, 5, null, Float64Array.of(1, 1));
    keep.offer(2, 1, null, Float64Array.of(1, 0));
    keep.offer(1, 9, null, Float64Array.of(0, 1));
    keep.offer(1, 3, null, Float64Array.of(0, 1));
    keep.offer(3, 1, null, Float64Array.of(0, 0));
    expect(keep.result().map((o) => [o.run, o.lumisection])).toEqual([
      [1, 3],
      [1, 9],
    ]);
  });
});

describe('dataset paths', () => {
  it('reads hive partitions and data file names', () => {
    expect(partitionOfPath('run=315705/title=a%2Fb/part-0.parquet')).toEqual({ run: '315705', title: 'a/b' });
    expect(partitionOfPath('part-0.arrow')).toEqual({});
    expect(
      ['a.parquet', 'a.arrow', 'a.arrows', '.tmp-a.parquet', '_SUCCESS', 'manifest.json'].map(formatOfName),
    ).toEqual(['parquet', 'arrow', 'arrows', null, null, null]);
  });
});

describe('heatmapImage', () => {
  it('puts the highest y bin on the top row and colours the scale ends', async () => {
    // 2 x 2, row-major with y outer: y=0 row [0, 1], y=1 row [2, 3].
    const image = await heatmapImage([0, 1, 2, 3], 2, 2);
    expect(image.domain).toEqual([0, 3]);
    const png = PNG.sync.read(Buffer.from(image.url.replace('data:image/png;base64,', ''), 'base64'));
    expect([png.width, png.height]).toEqual([2, 2]);
    const pixel = (x: number, y: number) => Array.from(png.data.subarray((y * 2 + x) * 4, (y * 2 + x) * 4 + 4));
    expect(pixel(1, 0)).toEqual([253, 231, 37, 255]); // value 3 (max): viridis yellow, top right
    expect(pixel(0, 1)).toEqual([68, 1, 84, 255]); // value 0 (min): viridis purple, bottom left
  });

  it('colours the lower-left corner cells by their values, like any other cell', async () => {
    // The sample 2D data has a dead 7 x 9 block at low x and low y (zeros in the CSV itself), which
    // the report shows as a dark square. Here the same block holds the largest and a middle value.
    const [xBins, yBins] = [56, 72];
    const read = async (values: number[]) => {
      const image = await heatmapImage(values, xBins, yBins);
      const png = PNG.sync.read(Buffer.from(image.url.replace('data:image/png;base64,', ''), 'base64'));
      // Image row 0 is the highest y bin: bin (ix, iy) is pixel (ix, yBins - 1 - iy).
      return (ix: number, iy: number) =>
        Array.from(png.data.subarray(((yBins - 1 - iy) * xBins + ix) * 4, ((yBins - 1 - iy) * xBins + ix) * 4 + 4));
    };
    const withCorner = (corner: number) =>
      Array.from({ length: xBins * yBins }, (_, i) => (i % xBins < 7 && Math.floor(i / xBins) < 9 ? corner : 10));
    const high = await read(withCorner(100));
    expect(high(0, 0)).toEqual([253, 231, 37, 255]); // the maximum: viridis yellow
    expect(high(6, 8)).toEqual([253, 231, 37, 255]);
    expect(high(7, 9)).toEqual([68, 1, 84, 255]); // the background is the minimum here
    const low = await read(withCorner(0));
    expect(low(0, 0)).toEqual([68, 1, 84, 255]); // zeros are the minimum: the dark square
    expect(low(7, 0)).toEqual([253, 231, 37, 255]);
    const nan = await read(withCorner(Number.NaN));
    expect(nan(0, 0)[3]).toBe(0); // a non-finite bin is transparent, never a colour
  });
});
