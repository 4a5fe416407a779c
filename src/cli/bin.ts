#!/usr/bin/env node
/** The `dqm-export` executable: runs the CLI and sets the exit code. */
import module from 'node:module';

// Node >= 22.1 keeps compiled module code on disk between runs (cuts module loading on every start;
// a no-op where the runtime has no compile cache, e.g. Node 20). docs/decisions.md, "CLI start-up".
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const argv = process.argv.slice(2);
if (argv.length === 1 && argv[0] === '--version') {
  // What yargs prints for --version, without loading yargs and the command registry.
  const { VERSION } = await import('../version.js');
  process.stdout.write(VERSION + '\n');
} else {
  const { main } = await import('./main.js');
  process.exitCode = await main(argv);
}
