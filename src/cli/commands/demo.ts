/**
 * `dqm-export demo` (what `npm start` runs): starts the bundled DQM Playground-compatible server on a
 * free port over the sample data, runs pipelines/demo.yaml against it, prints the summary and where
 * the files are, stops the server, and ends with the `inspect` summary of each dataset and the path
 * of their HTML report.
 */
import { dirname, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { writeFileAtomic } from '../../load/atomic.js';
import { PACKAGE_ROOT, SAMPLE_DATA_DIR } from '../../version.js';
import { executeRun, runOptions, type RunArgs } from './run.js';

/** Ends the demo with `inspect`: one line per dataset, and the HTML report next to them. */
async function inspectDemo(outputs: { name: string; output: string }[]): Promise<void> {
  if (outputs.length === 0) return;
  const { inspectDataset, htmlReport } = await import('../../inspect/index.js');
  const { shortSummary } = await import('../ui/inspect-report.js');
  const reports = [];
  process.stdout.write('\ninspect:\n');
  for (const o of outputs) {
    const report = await inspectDataset(o.output);
    process.stdout.write(`  ${shortSummary(report, o.name)}\n`);
    if (report.titles.length > 0) reports.push(report);
  }
  if (reports.length === 0) return;
  const file = join(dirname(outputs[0]!.output), 'report.html');
  await writeFileAtomic(file, await htmlReport(reports, { title: 'dqm-export inspect: demo dataset' }));
  process.stdout.write(`  report: ${file}\n`);
}

export const demoCommand: CommandModule<object, RunArgs> = {
  command: 'demo',
  describe: 'Run pipelines/demo.yaml against the embedded server on the bundled sample data',
  builder: (y: Argv) =>
    runOptions(y)
      .option('file', {
        type: 'string',
        default: join(PACKAGE_ROOT, 'pipelines', 'demo.yaml'),
        describe: 'Pipeline to run',
      })
      .example([['$0 demo --out /tmp/dqm', 'write the demo dataset under /tmp/dqm']]) as unknown as Argv<RunArgs>,
  handler: async (argv) => {
    const { startServer } = await import('../../server/index.js');
    const server = await startServer({ port: 0, dataDirs: [SAMPLE_DATA_DIR] });
    process.stderr.write(`embedded DQM Playground server on ${server.url} (sample data in ${SAMPLE_DATA_DIR})\n`);
    try {
      const env = { ...process.env, DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: server.userToken };
      const summary = await executeRun({ ...argv, out: argv.out ?? join(process.cwd(), 'out') }, env);
      argv.exitCode = summary.exitCode;
      await inspectDemo(summary.streams.map((st) => ({ name: st.stream, output: st.output })));
    } finally {
      await server.close();
    }
  },
};
