/**
 * Whether a command line is a `run` that will encode Parquet in the shared encoder pool, decided
 * before anything is loaded: src/cli/bin.ts then starts the encoder worker before the CLI bundle
 * loads, and main.ts prewarms the pool (docs/decisions.md, "CLI start-up: the encoder worker warms
 * up, and starts before the bundle loads"). A guess on the command line and the pipeline file's text,
 * never a check: a wrong `true` costs an idle worker that `run` stops, a wrong `false` only the head
 * start (`run` prewarms again once its pipeline is loaded).
 */
import { readFileSync } from 'node:fs';

/** Options of `run` that take a value: the word after one is not the pipeline file. */
const VALUE_OPTIONS = new Set([
  '--concurrency',
  '--out',
  '--log-level',
  '--log-file',
  '--ca-file',
  '--plan',
  '--shard',
  '--shards',
]);

/**
 * True for `run FILE` when FILE can be read and does not name the ml4dqm-csv source (CSV sources
 * encode in a pool of their own, src/sources/csv: a prewarmed shared worker was ~0.2 s of CPU thrown
 * away per CSV run). False for `--help`, other commands, a missing or unreadable file (the run fails
 * at once).
 */
export function prewarmsEncoder(
  argv: readonly string[],
  readText: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): boolean {
  if (argv.includes('--help') || argv.includes('-h')) return false;
  const command = argv.findIndex((a) => !a.startsWith('-'));
  if (command < 0 || argv[command] !== 'run') return false;
  let file: string | undefined;
  for (let i = command + 1; i < argv.length && file === undefined; i++) {
    if (!argv[i].startsWith('-')) file = argv[i];
    else if (VALUE_OPTIONS.has(argv[i])) i++;
  }
  if (file === undefined) return false;
  try {
    return !readText(file).includes('ml4dqm-csv');
  } catch {
    return false;
  }
}
