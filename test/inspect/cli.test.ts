/**
 * `dqm-export inspect` through the CLI's main(): the text report, --json, --strict's exit code, the
 * HTML report (self-contained, one figure per chart), and bad inputs.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { chartCount } from '../../src/inspect/index.js';
import type { DatasetReport } from '../../src/inspect/index.js';
import { runCli } from '../cli/harness.js';
import { exportSeeded } from './export.js';

let root: string;

beforeAll(async () => {
  root = await exportSeeded([
    { name: 'h1d', dims: 1 },
    { name: 'h2d', dims: 2, layout: 'flat', format: 'arrow' },
  ]);
}, 240_000);

describe('dqm-export inspect', () => {
  it('prints state, provenance, shapes and check counts; exit 0 although checks fail', async () => {
    const r = await runCli(['inspect', join(root, 'h1d')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`dataset   ${join(root, 'h1d')}: complete`);
    expect(r.stdout).toMatch(/source {4}http:\/\/127\.0\.0\.1:\d+\/api\/lumisection_histograms_1d\//);
    expect(r.stdout).toContain('data nested float64');
    expect(r.stdout).toMatch(/hitResiduals\s+5\s+9\s+2\s+1\s+0\s+1\s+1\s+1\s+0\s+0\s+1002:4/);
    expect(r.stdout).toContain(
      'checks    4 failing: empty 2, NaN 0, negative 1, zero entries 2, missing LS 2, duplicates 0, shape mismatch 0',
    );
  });

  it('--json prints the counts for scripts; --strict exits 3 when a check fails', async () => {
    const r = await runCli(['inspect', join(root, 'h1d'), join(root, 'h2d'), '--json', '--strict']);
    expect(r.code).toBe(3);
    const json = JSON.parse(r.stdout) as { datasets: DatasetReport[] };
    expect(json.datasets.map((d) => [d.records, d.checks.emptyHistograms, d.checks.missingLumisections])).toEqual([
      [18, 2, 2],
      [10, 1, 0],
    ]);
    expect(json.datasets[1]!.layout).toBe('flat');
    expect(json.datasets[0]!.titles[0]).not.toHaveProperty('mean');
    const clean = await runCli(['inspect', join(root, 'h2d'), '--run', '1002', '--json', '--strict']);
    expect(clean.code).toBe(0);
  });

  it('--html writes one self-contained page with every chart', async () => {
    const file = join(root, 'report.html');
    const r = await runCli(['inspect', join(root, 'h1d'), join(root, 'h2d'), '--html', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`report    ${file}`);
    const html = await readFile(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|src="http|href="http|url\(http/i);
    const reports = (
      JSON.parse((await runCli(['inspect', join(root, 'h1d'), join(root, 'h2d'), '--json'])).stdout) as {
        datasets: DatasetReport[];
      }
    ).datasets;
    const figures = html.match(/<figure class="chart"[^>]*><svg/g) ?? [];
    expect(figures.length).toBe(chartCount(reports));
    expect(figures.length).toBe(3 * (2 + 3)); // 3 titles: the mean, 3 farthest lumisections, entries
    expect(html.match(/data:image\/png;base64,/g)?.length).toBe(4);
  });

  it('a path that is not a dataset directory: one line naming it, exit 1', async () => {
    const missing = join(root, 'nope');
    const r = await runCli(['inspect', missing]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `error E_INSPECT_DATASET: ${missing} is not a directory (expected a dataset directory written by dqm-export)`,
    );
    expect(r.stdout).toBe('');
  });

  it('a data file that cannot be decoded: one line naming it, exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dqm-inspect-bad-'));
    await mkdir(join(dir, 'run=1'));
    await writeFile(join(dir, 'run=1', 'part-0.parquet'), 'not parquet at all');
    const r = await runCli(['inspect', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`^error E_INSPECT_READ: cannot read ${join(dir, 'run=1', 'part-0.parquet')} as parquet: .+\\n$`),
    );
  });

  it('--run must be a run number', async () => {
    const r = await runCli(['inspect', join(root, 'h1d'), '--run', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error E_USAGE_NUMBER: --run');
    expect(r.stderr).toContain('got "abc"');
    const zero = await runCli(['inspect', join(root, 'h1d'), '--run', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('E_INSPECT_RUN');
  });
});
