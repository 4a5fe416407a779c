/**
 * The HTML report: one self-contained file (inline CSS, charts as inline SVG, maps as PNG data URLs;
 * no script, nothing fetched). Per dataset a header (state, provenance, check counts); per title the
 * mean and percentiles (1D) or the mean map (2D), `entries` along each run, and the lumisections
 * farthest from the mean next to it. Every chart is a `<figure class="chart">` holding one `<svg>`.
 */
import type { TopLevelSpec } from 'vega-lite';
import { distributionSpec, entriesSpec, heatmapSpec, outlier1dSpec } from './charts.js';
import { heatmapImage } from './heatmap-png.js';
import { renderSvg } from './render-svg.js';
import { CHECK_LABELS } from './checks.js';
import type { CheckCounts, DatasetReport, TitleReport } from './types.js';

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;padding:16px 24px;max-width:1700px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 8px}h2{font-size:17px;margin:28px 0 6px;border-bottom:2px solid #444}
h3{font-size:15px;margin:20px 0 6px;font-family:ui-monospace,monospace}
.state{display:inline-block;padding:1px 8px;border-radius:3px;font-weight:600;color:#fff}
.ok{background:#2e7d32}.bad{background:#c62828}.warn{color:#c62828}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}dt{color:#666}dd{margin:0;word-break:break-all}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}td.fail{background:#ffcdd2;font-weight:600}
.row{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start}
figure.chart{margin:0;background:#fff;border:1px solid #ddd;padding:4px}
section.title{background:#fff;border:1px solid #e0e0e0;padding:4px 12px 12px;margin:12px 0}
.note{color:#666;font-size:12px}
`;

/** One chart, rendered, in its figure. */
async function figure(kind: string, spec: TopLevelSpec): Promise<string> {
  return `<figure class="chart" data-chart="${escapeHtml(kind)}">${await renderSvg(spec)}</figure>`;
}

/** The charts of one title, in page order: the mean, the farthest lumisections next to it, then entries (a wide chart, on its own row). */
async function titleCharts(t: TitleReport): Promise<string[]> {
  const charts: string[] = [];
  if (t.dims === 1) charts.push(await figure('distribution', distributionSpec(t)));
  else
    charts.push(
      await figure(
        'mean-map',
        heatmapSpec(t, await heatmapImage(t.mean, t.xBins, t.yBins), `mean over ${t.inMean} lumisections`, 'mean'),
      ),
    );
  for (const o of t.outliers) {
    const title = `run ${o.run} LS ${o.lumisection}: d = ${o.distance.toPrecision(3)}`;
    charts.push(
      await figure(
        'outlier',
        t.dims === 1
          ? outlier1dSpec(t, o)
          : heatmapSpec(t, await heatmapImage(o.values, t.xBins, t.yBins), title, 'bins'),
      ),
    );
  }
  charts.push(await figure('entries', entriesSpec(t)));
  return charts;
}

/** How many charts the page draws for `report` (the browser test counts them). */
export function chartCount(reports: DatasetReport[]): number {
  return reports.reduce((n, r) => n + r.titles.reduce((m, t) => m + 2 + t.outliers.length, 0), 0);
}

function checksTable(rows: { name: string; checks: CheckCounts }[]): string {
  const keys = Object.keys(CHECK_LABELS) as (keyof CheckCounts)[];
  const head = `<tr><th>title</th>${keys.map((k) => `<th>${CHECK_LABELS[k]}</th>`).join('')}</tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr><td>${escapeHtml(r.name)}</td>${keys.map((k) => `<td${r.checks[k] > 0 ? ' class="fail"' : ''}>${r.checks[k]}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table>${head}${body}</table>`;
}

function datasetHeader(r: DatasetReport): string {
  const state = r.complete ? '<span class="state ok">complete</span>' : '<span class="state bad">INCOMPLETE</span>';
  const problems = r.problems.map((p) => `<li class="warn">${escapeHtml(p)}</li>`).join('');
  const p = r.provenance;
  const items: [string, string][] = [];
  if (p) {
    items.push(['source', `${p.sourceUrl} (${p.endpoint})`], ['filters', JSON.stringify(p.filters)]);
    items.push(
      ['exported', `${p.startedAt} .. ${p.finishedAt}, dqm-export ${p.toolVersion}`],
      ['config hash', p.configHash],
    );
  }
  items.push([
    'files',
    `${r.files} ${r.formats.join('/')}${r.partitionBy.length ? `, partitioned by ${r.partitionBy.join(', ')}` : ''}`,
  ]);
  if (r.layout) items.push(['data', `${r.layout}, ${r.dtype}`]);
  items.push(['records', `${r.records} in ${Object.keys(r.recordsPerRun).length} runs`]);
  const dl = items.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  const checks = r.titles.length
    ? checksTable(r.titles.map((t) => ({ name: t.title, checks: t.checks })))
    : '<p class="note">no histogram data column: no histogram checks</p>';
  return `<h2>${escapeHtml(r.root)} ${state}</h2>${problems ? `<ul>${problems}</ul>` : ''}<dl>${dl}</dl>${checks}`;
}

function titleHeading(t: TitleReport): string {
  const shapes = Object.keys(t.shapes).join(', ');
  return `<h3>${escapeHtml(t.title)}</h3><p class="note">${t.dims}D, ${escapeHtml(shapes)} bins, ${t.records} records in ${Object.keys(t.runs).length} runs; ${t.dims === 1 ? 'band: 5-95% and 25-75% of each bin, dashed: median, red: mean; ' : ''}d: L2 distance from the mean, both scaled to unit sum</p>`;
}

/** The whole page for one or more datasets. */
export async function htmlReport(
  reports: DatasetReport[],
  options: { title?: string; generatedAt?: string } = {},
): Promise<string> {
  const title = options.title ?? `dqm-export inspect: ${reports.map((r) => r.root).join(', ')}`;
  const parts: string[] = [];
  for (const r of reports) {
    parts.push(`<section class="dataset">${datasetHeader(r)}`);
    for (const t of r.titles) {
      parts.push(
        `<section class="title">${titleHeading(t)}<div class="row">${(await titleCharts(t)).join('')}</div></section>`,
      );
    }
    parts.push('</section>');
  }
  const generated = options.generatedAt ?? new Date().toISOString();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1><p class="note">generated ${escapeHtml(generated)} by dqm-export inspect</p>
${parts.join('\n')}
</body></html>
`;
}
