#!/usr/bin/env node
/** The `dqm-export` executable: runs the CLI and sets the exit code. */
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { startEarlyEncoderWorker, takeEarlyEncoderWorker } from '../load/parquet/early-worker.js';
import { warmUp } from '../load/parquet/warm-up.js';
import { startEarlyCsvWorker, takeEarlyCsvWorker } from '../sources/csv/early-worker.js';
import { DEFAULT_READ_SETTINGS } from '../sources/csv/read-settings.js';
import { cacheKey, codeCacheDir, isFile, loadCommonJs, setCommandV8Flags } from './code-cache.js';
import { parseRunFast } from './fast-run.js';
import { holdYoungGenerationWhileLoading, youngGenerationHoldPays } from './loading-heap.js';
import type { MainOptions } from './main.js';
import { csvRunAhead, prewarmsEncoder } from './prewarm.js';

/** Set by scripts/bundle.mjs to a hash of bundle/cli.cjs; undefined in tsc's output. */
declare const DQM_EXPORT_BUILD: string | undefined;
/** Set by scripts/bundle.mjs to a hash of bundle/run.cjs (`run` without yargs); undefined in tsc's output. */
declare const DQM_EXPORT_RUN_BUILD: string | undefined;

// Node >= 22.1 keeps compiled module code on disk between runs (the unbundled tsc output and the
// worker scripts; a no-op where the runtime has no compile cache, e.g. Node 20). docs/decisions.md,
// "CLI start-up".
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

type Main = (argv: string[], options?: MainOptions) => Promise<number>;

/**
 * The CLI, from its command line. A function, not top-level code: bin.cjs (what the `dqm-export`
 * command runs) is CommonJS, which has no top-level await (docs/decisions.md, "CLI start-up: the
 * entry point is CommonJS").
 */
async function start(argv: string[]): Promise<void> {
  if (argv.length === 1 && argv[0] === '--version') {
    // What yargs prints for --version, without loading yargs and the command registry.
    const { VERSION } = await import('../version.js');
    process.stdout.write(VERSION + '\n');
  } else {
    const bundle = fileURLToPath(new URL('./bundle/cli.cjs', import.meta.url));
    if (typeof DQM_EXPORT_BUILD === 'string' && isFile(bundle)) {
      // The built CLI: one CommonJS bundle through a V8 code cache (docs/decisions.md, "CLI start-up:
      // a V8 code cache").
      const encoderScript = new URL('./bundle/parquet-worker.cjs', import.meta.url);
      const csvScript = new URL('./bundle/csv-worker.cjs', import.meta.url);
      const api = prewarmsEncoder(argv);
      const csv = api ? undefined : csvRunAhead(argv);
      if (csv) {
        // An ml4dqm-csv run or a convert: the CSV worker starts now and scans the files while this thread
        // loads the bundle; the source's worker pool adopts it. docs/decisions.md, "CSV exports: the
        // first file is scanned before the CLI loads".
        const resolveUrl = (specifier: string): string | undefined => {
          try {
            return import.meta.resolve(specifier);
          } catch {
            return undefined;
          }
        };
        startEarlyCsvWorker(csvScript, {
          ahead: csv.scan && {
            ...csv.scan,
            read: DEFAULT_READ_SETTINGS,
            yamlUrl: resolveUrl('yaml'),
            globUrl: resolveUrl('tinyglobby'),
          },
        });
      }
      if (api || csv?.encoder) {
        // The Parquet encoder worker (a Node environment, parquet-wasm, a warm-up encode: ~0.25 s) starts
        // on the second core now, while this thread loads the bundle; the shared pool (or a CSV stream's
        // first lane) adopts it. docs/decisions.md, "CLI start-up: the encoder worker warms up, and starts
        // before the bundle loads".
        startEarlyEncoderWorker(encoderScript, {
          // The worker resolves parquet-wasm itself, off this thread (3.5-6 ms of cold code here).
          packagesFrom: import.meta.url,
          warmUp: warmUp(),
        });
      }
      const key = cacheKey(argv);
      // `histograms list` runs without yargs (commands/histograms-fast.ts) and `histograms get` with it:
      // a cache made by one left the other compiling its path on every start (a cache is accepted as it
      // is, never topped up).
      const variant = csv ? 'csv' : argv[0] === 'histograms' && argv[1] === 'list' ? 'list' : undefined;
      // `run FILE [options]` as fast-run.ts reads it: run's own bundle (no yargs, no other command),
      // the same code as cli.cjs runs for it (docs/decisions.md, "CLI start-up: `run` has a bundle of its
      // own"). Never both in one process: the choice is made here, once.
      const runBundle = fileURLToPath(new URL('./bundle/run.cjs', import.meta.url));
      const runOnly = typeof DQM_EXPORT_RUN_BUILD === 'string' && parseRunFast(argv) !== undefined && isFile(runBundle);
      const loaded = await loadCommonJs({
        file: runOnly ? runBundle : bundle,
        buildId: runOnly ? DQM_EXPORT_RUN_BUILD : DQM_EXPORT_BUILD,
        key,
        variant,
        cacheDir: codeCacheDir(),
        importModule: (specifier) => import(specifier),
      });
      performance.mark('dqm-export:bundle loaded'); // a phase of bench/startup.ts
      // At exit, so the cache holds what the whole command compiled (also when it ends by a signal),
      // unless the command failed: its cache would hold the path to the error only, and a cache is
      // kept as it is (docs/decisions.md, "CLI start-up: no code cache from a command that failed").
      let failed = false;
      process.once('exit', () => {
        if (!failed) loaded.save();
      });
      // `run` of an HTTP source on Node 20: the young generation stays at its size while the command's
      // modules initialise (src/cli/loading-heap.ts), released where the command's flags are set.
      const release = runOnly && api && youngGenerationHoldPays() ? holdYoungGenerationWhileLoading() : undefined;
      // The command's V8 flags, once its modules are compiled (V8 rejects code caches made under other
      // flags, Node's own for its internal modules included): docs/decisions.md, "CLI start-up: V8
      // flags set once the command is loaded".
      const entry = (runOnly ? loaded.exports.runMain : loaded.exports.main) as Main;
      process.exitCode = await entry(argv, {
        commandLoaded: () => {
          release?.();
          setCommandV8Flags(key, variant);
        },
        commandFailed: () => {
          failed = true;
        },
      });
      // Workers started above that the command never adopted (a run that failed before its first
      // stream, a CSV pipeline without histogram streams): a 'message' listener keeps even an unref'd
      // worker's port alive, so the process would not exit.
      void takeEarlyEncoderWorker(encoderScript)?.terminate();
      void takeEarlyCsvWorker(csvScript)?.terminate();
    } else {
      const { main } = await import('./main.js');
      process.exitCode = await main(argv);
    }
    exitFlushed();
  }
}

void start(process.argv.slice(2));

/**
 * Ends the process once stdout and stderr have taken everything written to them. A command awaits
 * all its work before `main` returns (files synced and renamed, servers closed, the log written
 * synchronously); what is left is teardown: Node stopping the encoder and CSV worker threads and
 * freeing every heap, 60-100 ms of a one-record `run` (docs/decisions.md, "CLI: the process exits
 * once the command returned"). `process.exit` skips most of it; 'exit' handlers (the code cache's
 * save) still run. At once when nothing is buffered (files, and pipes and terminals on Linux, are
 * written synchronously): waiting a turn of the event loop even for nothing cost ~0.1 s.
 */
function exitFlushed(): void {
  const pending = [process.stdout, process.stderr].filter((stream) => stream.writableLength > 0);
  if (pending.length === 0) process.exit();
  // A write's callback runs once every earlier write to the stream is flushed (or has failed).
  const flushed = pending.map(
    (stream) =>
      new Promise<void>((resolve) => {
        stream.write('', () => resolve());
      }),
  );
  void Promise.all(flushed).then(() => process.exit());
}
