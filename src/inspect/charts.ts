/**
 * The report's charts as Vega-Lite specifications: plain data built by pure functions from a
 * `TitleReport`, rendered to SVG elsewhere (render-svg.ts). 2D maps are an `image` mark (a PNG of the
 * bins, heatmap-png.ts) placed on quantitative axes, with the colour legend drawn by Vega-Lite from
 * the same scheme, instead of 4032 rectangles per map.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Outlier, TitleReport } from './types.js';

/** Colour scheme of every 2D map (also used to colour the PNG pixels). */
export const HEATMAP_SCHEME = 'viridis';

/** Most points an entries chart draws; longer series are thinned by an even stride. */
export const MAX_ENTRY_POINTS = 4000;

const CONFIG = {
  font: 'system-ui, sans-serif',
  mark: { aria: false },
  axis: { labelFontSize: 10, titleFontSize: 11, aria: false },
  legend: { labelFontSize: 10, titleFontSize: 10, aria: false },
  title: { fontSize: 12, anchor: 'start' as const },
  view: { stroke: '#ccc' },
};

/** Bin centres along x from the title's range (bin indexes when the range is unknown). */
export function binCentres(t: Pick<TitleReport, 'xBins' | 'xRange'>): number[] {
  const [lo, hi] = t.xRange ?? [0, t.xBins];
  const w = (hi - lo) / t.xBins;
  return Array.from({ length: t.xBins }, (_, i) => lo + (i + 0.5) * w);
}

const round = (v: number): number => (Number.isFinite(v) ? Number(v.toPrecision(5)) : 0);

/** 1D: the per-bin mean with the 5-95 and 25-75 percentile bands and the median. */
export function distributionSpec(t: TitleReport): TopLevelSpec {
  const x = binCentres(t);
  const p = (q: number) => t.percentiles.find((c) => c.p === q)?.values ?? t.mean;
  const [p5, p25, p50, p75, p95] = [p(5), p(25), p(50), p(75), p(95)];
  const values = x.map((xi, i) => ({
    x: round(xi),
    mean: round(t.mean[i]!),
    p5: round(p5[i]!),
    p25: round(p25[i]!),
    p50: round(p50[i]!),
    p75: round(p75[i]!),
    p95: round(p95[i]!),
  }));
  const xEnc = { field: 'x', type: 'quantitative' as const, title: 'x', scale: { nice: false, zero: false } };
  return {
    config: CONFIG,
    title: `mean and percentiles, ${t.inMean} LS`,
    width: 300,
    height: 200,
    data: { values },
    layer: [
      {
        mark: { type: 'area', color: '#9ecae1', opacity: 0.5 },
        encoding: { x: xEnc, y: { field: 'p5', type: 'quantitative', title: 'bin content' }, y2: { field: 'p95' } },
      },
      {
        mark: { type: 'area', color: '#4292c6', opacity: 0.5 },
        encoding: { x: xEnc, y: { field: 'p25', type: 'quantitative' }, y2: { field: 'p75' } },
      },
      {
        mark: { type: 'line', color: '#08306b', strokeDash: [4, 2] },
        encoding: { x: xEnc, y: { field: 'p50', type: 'quantitative' } },
      },
      { mark: { type: 'line', color: '#d62728' }, encoding: { x: xEnc, y: { field: 'mean', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
}

/** 1D: one far lumisection against the mean scaled to the same sum. */
export function outlier1dSpec(t: TitleReport, o: Outlier): TopLevelSpec {
  const x = binCentres(t);
  const sumAbs = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + Math.abs(v), 0);
  const scale = sumAbs(t.mean) > 0 ? sumAbs(o.values) / sumAbs(t.mean) : 0;
  const label = `LS ${o.lumisection}`;
  const values = x.flatMap((xi, i) => [
    { x: round(xi), y: round(o.values[i]!), series: label },
    { x: round(xi), y: round(t.mean[i]! * scale), series: 'mean, same sum' },
  ]);
  return {
    config: CONFIG,
    title: `run ${o.run} ${label}: d = ${o.distance.toPrecision(3)}`,
    width: 180,
    height: 140,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'x', scale: { nice: false, zero: false } },
      y: { field: 'y', type: 'quantitative', title: null },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        scale: { domain: [label, 'mean, same sum'], range: ['#d62728', '#7f7f7f'] },
        legend: { orient: 'bottom' },
      },
    },
  } as TopLevelSpec;
}

/** Inputs of a 2D map: the PNG of the bins (top row = highest y) and its colour range. */
export interface MapImage {
  /** `data:image/png;base64,...`. */
  url: string;
  /** Value at the bottom and top of the colour scale. */
  domain: [number, number];
}

/** 2D: a map of bins on the title's axis ranges, with a colour legend. */
export function heatmapSpec(t: TitleReport, image: MapImage, title: string, legend: string): TopLevelSpec {
  const [x0, x1] = t.xRange ?? [0, t.xBins];
  const [y0, y1] = t.yRange ?? [0, t.yBins];
  const width = 180;
  const height = Math.round(Math.min(300, Math.max(120, (width * t.yBins) / t.xBins)));
  return {
    config: CONFIG,
    title,
    width,
    height,
    layer: [
      {
        data: { values: [{ x: x0, x2: x1, y: y1, y2: y0, url: image.url }] },
        mark: { type: 'image', aspect: false, smooth: false },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'x', scale: { domain: [x0, x1], nice: false, zero: false } },
          x2: { field: 'x2' },
          y: { field: 'y', type: 'quantitative', title: 'y', scale: { domain: [y0, y1], nice: false, zero: false } },
          y2: { field: 'y2' },
          url: { field: 'url', type: 'nominal' },
        },
      },
      {
        data: { values: [{ v: image.domain[0] }, { v: image.domain[1] }] },
        mark: { type: 'point', opacity: 0 },
        encoding: {
          color: {
            field: 'v',
            type: 'quantitative',
            title: legend,
            scale: { scheme: HEATMAP_SCHEME, domain: image.domain },
          },
        },
      },
    ],
  } as TopLevelSpec;
}

/** `entries` per lumisection along each run (one colour per run; thinned past MAX_ENTRY_POINTS). */
export function entriesSpec(t: TitleReport): TopLevelSpec {
  const total = t.entries.reduce((n, r) => n + r.points.length, 0);
  const stride = Math.max(1, Math.ceil(total / MAX_ENTRY_POINTS));
  const manyRuns = t.entries.length > 12;
  let index = 0;
  const values = t.entries.flatMap((r) =>
    r.points
      .filter((_, i) => i % stride === 0)
      .map(([ls, entries]) => ({ run: String(r.run), ls, entries, index: index++ })),
  );
  return {
    config: CONFIG,
    title: stride > 1 ? `entries per lumisection (every ${stride}th shown)` : 'entries per lumisection',
    width: 600,
    height: 140,
    data: { values },
    mark: { type: 'line', point: { size: 12 } },
    encoding: {
      x: manyRuns
        ? { field: 'index', type: 'quantitative', title: 'lumisections, run after run' }
        : { field: 'ls', type: 'quantitative', title: 'lumisection' },
      y: { field: 'entries', type: 'quantitative', title: 'entries' },
      color: { field: 'run', type: 'nominal', title: 'run', legend: manyRuns ? null : { orient: 'right' } },
    },
  } as TopLevelSpec;
}
