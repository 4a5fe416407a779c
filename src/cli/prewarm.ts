/**
 * Whether a command line is a `run` that will encode Parquet in the shared encoder pool, decided
 * before anything is loaded: src/cli/bin.ts then starts the encoder worker before the CLI bundle
 * loads, and main.ts prewarms the pool (docs/decisions.md, "CLI start-up: the encoder worker warms
 * up, and starts before the bundle loads"). A guess on the command line and the pipeline file's text,
 * never a check: a wrong `true` costs an idle worker that `run` stops, a wrong `false` only the head
 * start (`run` prewarms again once its pipeline is loaded).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

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
  const file = runPipelineFile(argv);
  if (file === undefined) return false;
  try {
    return !readText(file).includes('ml4dqm-csv');
  } catch {
    return false;
  }
}

/** The pipeline file of `run FILE` (as written); undefined for `--help`, other commands, no file. */
function runPipelineFile(argv: readonly string[]): string | undefined {
  if (argv.includes('--help') || argv.includes('-h')) return undefined;
  const command = argv.findIndex((a) => !a.startsWith('-'));
  if (command < 0 || argv[command] !== 'run') return undefined;
  for (let i = command + 1; i < argv.length; i++) {
    if (!argv[i].startsWith('-')) return argv[i];
    if (VALUE_OPTIONS.has(argv[i])) i++;
  }
  return undefined;
}

/** What bin.js starts ahead for a `run` of an ml4dqm-csv pipeline, or a `convert`. */
export interface CsvRunAhead {
  /**
   * What the CSV worker scans ahead: the pipeline file's files (its absolute path), or `convert`'s
   * arguments (relative to the working directory). None for `--resume` (committed files are not read
   * again) nor `--plan` (a shard scans its own files), where the scans could be work the run does not do.
   */
  scan?: { pipeline: string } | { files: string[]; dir: string };
  /** Whether an encoder worker starts too (not when the text names Arrow: maybe no Parquet output). */
  encoder: boolean;
}

/** The words of `convert FILE...` that are files (option values skipped); undefined for another command. */
function convertFiles(argv: readonly string[]): string[] | undefined {
  if (argv.includes('--help') || argv.includes('-h')) return undefined;
  const command = argv.findIndex((a) => !a.startsWith('-'));
  if (command < 0 || argv[command] !== 'convert') return undefined;
  const files: string[] = [];
  for (let i = command + 1; i < argv.length; i++) {
    if (!argv[i].startsWith('-')) files.push(argv[i]);
    else if (VALUE_OPTIONS.has(argv[i])) i++;
    else if (argv[i] === '--') return undefined;
  }
  return files.length > 0 ? files : undefined;
}

/**
 * For `run FILE` when FILE can be read and names the ml4dqm-csv source, and for `convert FILE...`:
 * what to start before the CLI loads (src/sources/csv/early-worker.ts, scan-ahead.ts; docs/decisions.md,
 * "CSV exports: the first file is scanned before the CLI loads"). Undefined otherwise. A guess, like
 * `prewarmsEncoder`.
 */
export function csvRunAhead(
  argv: readonly string[],
  readText: (file: string) => string = (file) => readFileSync(file, 'utf8'),
  cwd: string = process.cwd(),
): CsvRunAhead | undefined {
  const option = (name: string): boolean => argv.some((a) => a === name || a.startsWith(`${name}=`));
  const converted = convertFiles(argv);
  if (converted) return { scan: option('--resume') ? undefined : { files: converted, dir: cwd }, encoder: true };
  const file = runPipelineFile(argv);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readText(file);
  } catch {
    return undefined;
  }
  if (!text.includes('ml4dqm-csv')) return undefined;
  return {
    scan: option('--resume') || option('--plan') ? undefined : { pipeline: resolve(cwd, file) },
    encoder: !/\barrow\b/i.test(text),
  };
}
