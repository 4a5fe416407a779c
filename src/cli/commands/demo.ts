/**
 * `dqm-export demo` (what `npm start` runs): starts the bundled DQM Playground-compatible server on a
 * free port over the sample data, runs pipelines/demo.yaml against it, prints the summary and where
 * the files are, and stops the server.
 */
import { join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { PACKAGE_ROOT, SAMPLE_DATA_DIR } from '../../version.js';
import { executeRun, runOptions, type RunArgs } from './run.js';

export const demoCommand: CommandModule<object, RunArgs> = {
  command: 'demo',
  describe: 'Run pipelines/demo.yaml against the embedded server on the bundled sample data',
  builder: (y: Argv) =>
    runOptions(y)
      .option('file', { type: 'string', default: join(PACKAGE_ROOT, 'pipelines', 'demo.yaml'), describe: 'Pipeline to run' })
      .example([['$0 demo --out /tmp/dqm', 'write the demo dataset under /tmp/dqm']]) as unknown as Argv<RunArgs>,
  handler: async (argv) => {
    const { startServer } = await import('../../server/index.js');
    const server = await startServer({ port: 0, dataDirs: [SAMPLE_DATA_DIR] });
    process.stderr.write(`embedded DQM Playground server on ${server.url} (sample data in ${SAMPLE_DATA_DIR})\n`);
    try {
      const env = { ...process.env, DQM_PLAYGROUND_URL: server.url, DQM_PLAYGROUND_TOKEN: server.userToken };
      const summary = await executeRun({ ...argv, out: argv.out ?? join(process.cwd(), 'out') }, env);
      argv.exitCode = summary.exitCode;
    } finally {
      await server.close();
    }
  },
};
