/**
 * The terminal form of an inspection (`dqm-export inspect`, and the end of `demo`). Pure functions
 * of `DatasetReport`: a few header lines (state, provenance, files, records per run) and one table
 * row per title with the check counts, through the CLI's table renderer.
 */
import {
  CHECK_LABELS,
  failingChecks,
  type CheckCounts,
  type DatasetReport,
  type TitleReport,
} from '../../inspect/index.js';
import { renderTable, type Column } from '../output/table.js';
import { formatBytes } from './summary-table.js';

function runsLine(perRun: Record<string, number>): string {
  const runs = Object.entries(perRun);
  if (runs.length === 0) return 'no run column';
  if (runs.length <= 8) return runs.map(([run, n]) => `${run}: ${n}`).join(', ');
  const counts = runs.map(([, n]) => n).sort((a, b) => a - b);
  return `${runs[0]![0]}..${runs[runs.length - 1]![0]}, ${counts[0]}..${counts[counts.length - 1]} records per run (median ${counts[counts.length >> 1]})`;
}

const TITLE_COLUMNS: Column<TitleReport>[] = [
  { header: 'title', value: (t) => t.title, shrink: 'middle', minWidth: 20 },
  { header: 'shape', value: (t) => Object.keys(t.shapes).join(',') },
  { header: 'records', value: (t) => t.records, align: 'right' },
  { header: 'runs', value: (t) => Object.keys(t.runs).length, align: 'right' },
  ...(Object.keys(CHECK_LABELS) as (keyof CheckCounts)[]).map((k): Column<TitleReport> => ({
    header: CHECK_LABELS[k],
    value: (t) => t.checks[k],
    align: 'right',
  })),
  { header: 'farthest from mean (run:LS)', value: (t) => t.outliers.map((o) => `${o.run}:${o.lumisection}`).join(' ') },
];

/** The terminal report of one dataset (lines end in `\n`); `width` is the terminal width, if known. */
export function terminalReport(r: DatasetReport, width?: number): string {
  const lines: string[] = [];
  const state = r.complete ? 'complete' : 'INCOMPLETE';
  lines.push(`dataset   ${r.root}: ${state}`);
  for (const p of r.problems) lines.push(`  ! ${p}`);
  const p = r.provenance;
  if (p) {
    lines.push(`source    ${p.sourceUrl} (${p.endpoint})`);
    lines.push(`filters   ${JSON.stringify(p.filters)}`);
    lines.push(
      `exported  ${p.startedAt} .. ${p.finishedAt} by dqm-export ${p.toolVersion}, config hash ${p.configHash.slice(0, 12)}`,
    );
  }
  const partitioned = r.partitionBy.length ? `, partitioned by ${r.partitionBy.join(', ')}` : '';
  const data = r.layout ? `; data ${r.layout} ${r.dtype}` : '';
  lines.push(`files     ${r.files} ${r.formats.join('/') || '-'}, ${formatBytes(r.bytes)}${partitioned}${data}`);
  lines.push(`records   ${r.records} in ${Object.keys(r.recordsPerRun).length} runs (${runsLine(r.recordsPerRun)})`);
  if (r.titles.length === 0) {
    lines.push(`columns   ${r.columns.join(', ')} (no histogram data column: no histogram checks)`);
    return lines.join('\n') + '\n';
  }
  lines.push('');
  lines.push(renderTable(TITLE_COLUMNS, r.titles, { maxWidth: width }).trimEnd());
  lines.push('');
  const failing = failingChecks(r.checks);
  const counts = (Object.keys(CHECK_LABELS) as (keyof CheckCounts)[])
    .map((k) => `${CHECK_LABELS[k]} ${r.checks[k]}`)
    .join(', ');
  lines.push(`checks    ${failing === 0 ? 'all pass' : `${failing} failing`}: ${counts}`);
  return lines.join('\n') + '\n';
}

/** One line per dataset: `h2d: complete, 240 records, 2 titles (56x72 bins, float32 tensor), 3 runs; checks all pass`. */
export function shortSummary(r: DatasetReport, name: string): string {
  const state = r.complete ? 'complete' : 'INCOMPLETE';
  const runs = Object.keys(r.recordsPerRun).length;
  if (r.titles.length === 0) return `${name}: ${state}, ${r.records} records`;
  const shapes = [...new Set(r.titles.flatMap((t) => Object.keys(t.shapes)))].join(', ');
  const failing = failingChecks(r.checks);
  const checks =
    failing === 0
      ? 'checks all pass'
      : `${failing} checks failing (${(Object.keys(CHECK_LABELS) as (keyof CheckCounts)[])
          .filter((k) => r.checks[k] > 0)
          .map((k) => `${CHECK_LABELS[k]} ${r.checks[k]}`)
          .join(', ')})`;
  return `${name}: ${state}, ${r.records} records, ${r.titles.length} titles (${shapes} bins, ${r.dtype} ${r.layout}), ${runs} runs; ${checks}`;
}
