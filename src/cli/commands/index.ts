/**
 * The command registry: each command lives in its own module and is listed here once.
 * A command handler sets `argv.exitCode` (or throws a DqmExportError) instead of calling process.exit,
 * so open files and sockets are closed in order.
 */
import type { CommandModule } from 'yargs';
import { demoCommand } from './demo.js';
import { filesCommand } from './files.js';
import { finalizeCommand } from './finalize.js';
import { histogramsCommand } from './histograms.js';
import { inspectCommand } from './inspect.js';
import { lumisectionsCommand } from './lumisections.js';
import { planCommand } from './plan.js';
import { runCommand } from './run.js';
import { runsCommand } from './runs.js';
import { schemaCommand } from './schema.js';
import { serveCommand } from './serve.js';
import { validateCommand } from './validate.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  runsCommand,
  lumisectionsCommand,
  histogramsCommand,
  filesCommand,
  validateCommand,
  schemaCommand,
  serveCommand,
  planCommand,
  runCommand,
  finalizeCommand,
  demoCommand,
  inspectCommand,
];
