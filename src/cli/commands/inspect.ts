/**
 * `dqm-export inspect DATASET_DIR...`: what a dataset holds and what is wrong with it, on the
 * terminal (or as JSON), and with --html as a self-contained page of charts. Failing checks and an
 * incomplete dataset are findings (exit 0) unless --strict makes them exit 3.
 */
import { resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { ExitCode, UsageError } from '../../errors.js';
import { writeFileAtomic } from '../../load/atomic.js';
import type { DatasetReport } from '../../inspect/index.js';
import { numericList } from '../numbers.js';

/** Options of `inspect`. */
export interface InspectArgs {
  /** Dataset directories. */
  datasets: string[];
  /** Write the HTML report here. */
  html?: string;
  /** Only these titles. */
  title?: string[];
  /** Only these runs. */
  run?: number[];
  /** JSON on stdout instead of the text report. */
  json: boolean;
  /** Exit 3 when a check fails or a dataset is incomplete. */
  strict: boolean;
  exitCode?: number;
}

/** Inspects each dataset, prints the text (or JSON) report, writes the HTML report if asked; returns the reports. */
export async function executeInspect(
  args: InspectArgs,
  out: NodeJS.WritableStream = process.stdout,
): Promise<DatasetReport[]> {
  const { inspectDataset, jsonReport, htmlReport } = await import('../../inspect/index.js');
  const { terminalReport } = await import('../ui/inspect-report.js');
  const runs = args.run ?? [];
  const bad = runs.find((r) => !Number.isInteger(r) || r <= 0);
  if (bad !== undefined)
    throw new UsageError('E_INSPECT_RUN', `--run expects a positive run number, got ${String(bad)}`, { field: 'run' });
  const reports: DatasetReport[] = [];
  for (const dir of args.datasets) reports.push(await inspectDataset(resolve(dir), { titles: args.title, runs }));
  if (args.json) out.write(JSON.stringify(jsonReport(reports), null, 2) + '\n');
  else {
    const width = (out as { columns?: number }).columns;
    out.write(reports.map((r) => terminalReport(r, width)).join('\n'));
  }
  if (args.html) {
    const file = resolve(args.html);
    await writeFileAtomic(file, await htmlReport(reports));
    if (!args.json) out.write(`report    ${file}\n`);
  }
  return reports;
}

/** 3 when `strict` and any dataset is incomplete or has a failing check, else 0. */
export function inspectExitCode(reports: DatasetReport[], strict: boolean): number {
  if (!strict) return ExitCode.ok;
  const failing = reports.some((r) => !r.complete || Object.values(r.checks).some((n) => n > 0));
  return failing ? ExitCode.rejects : ExitCode.ok;
}

export const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect <datasets..>',
  describe:
    'Check a dataset (records, shapes, provenance, empty/NaN/negative/missing/duplicate histograms); --html for a report',
  builder: (y: Argv) =>
    y
      .positional('datasets', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Dataset directories written by dqm-export',
      })
      .option('html', { type: 'string', describe: 'Also write a self-contained HTML report with charts to this file' })
      .option('title', { type: 'string', array: true, describe: 'Only this histogram title (repeatable)' })
      .option('run', { ...numericList('run'), array: true, describe: 'Only this run (repeatable)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print the report as JSON (for scripts)' })
      .option('strict', {
        type: 'boolean',
        default: false,
        describe: 'Exit 3 when a check fails or the dataset is incomplete',
      })
      .example([
        ['$0 inspect out/demo/h2d', 'records, shapes, provenance and check counts'],
        ['$0 inspect out/demo/h1d out/demo/h2d --html report.html', 'one page with the charts of both'],
        ['$0 inspect out/demo/h2d --run 315705 --json --strict', 'one run, as JSON; exit 3 if anything is wrong'],
      ]) as unknown as Argv<InspectArgs>,
  handler: async (argv) => {
    const reports = await executeInspect(argv);
    argv.exitCode = inspectExitCode(reports, argv.strict);
  },
};
