/**
 * A 2D histogram as a small PNG (one pixel per bin, pngjs), coloured with the Vega scheme the chart's
 * legend uses, so a 72 x 56 map is a few kilobytes instead of thousands of SVG rectangles.
 */
import { PNG } from 'pngjs';
import { HEATMAP_SCHEME, type MapImage } from './charts.js';

/** Parses `rgb(r, g, b)` or `#rrggbb` as Vega's interpolators return them. */
function parseColour(text: string): [number, number, number] {
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(text);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const hex = /^#([0-9a-f]{6})$/i.exec(text);
  if (hex) return [0, 2, 4].map((i) => parseInt(hex[1]!.slice(i, i + 2), 16)) as [number, number, number];
  return [0, 0, 0];
}

/** 256 colours of the heatmap scheme, as RGB triples. */
let palette: [number, number, number][] | null = null;
async function colours(): Promise<[number, number, number][]> {
  if (palette) return palette;
  // import(), not a static import: vega is an ES module with top-level await, which the CLI's
  // CommonJS bundle could not require() (docs/decisions.md, "CLI start-up: a V8 code cache").
  const { scheme } = await import('vega');
  const interpolate = scheme(HEATMAP_SCHEME) as (t: number) => string;
  palette = Array.from({ length: 256 }, (_, i) => parseColour(interpolate(i / 255)));
  return palette;
}

/**
 * Encodes `values` (row-major, y outer, `yBins` rows of `xBins`) as a PNG data URL. The top image
 * row is the highest y bin, as on the chart's axis. Non-finite bins are drawn transparent.
 */
export async function heatmapImage(values: ArrayLike<number>, xBins: number, yBins: number): Promise<MapImage> {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(hi >= lo)) [lo, hi] = [0, 1];
  const span = hi > lo ? hi - lo : 1;
  const png = new PNG({ width: xBins, height: yBins });
  const pal = await colours();
  for (let iy = 0; iy < yBins; iy++) {
    for (let ix = 0; ix < xBins; ix++) {
      const v = values[iy * xBins + ix]!;
      const px = ((yBins - 1 - iy) * xBins + ix) * 4;
      if (!Number.isFinite(v)) continue;
      const [r, g, b] = pal[Math.round(((v - lo) / span) * 255)]!;
      png.data[px] = r;
      png.data[px + 1] = g;
      png.data[px + 2] = b;
      png.data[px + 3] = 255;
    }
  }
  return { url: 'data:image/png;base64,' + PNG.sync.write(png).toString('base64'), domain: [lo, hi] };
}
