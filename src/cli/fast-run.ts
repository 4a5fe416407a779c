/**
 * `run FILE [options]` read without yargs, for the command lines a batch job or a shard task types:
 * loading yargs (its ~20 modules evaluated at start-up, then the parser built and run) is ~50 ms of
 * the main thread before `run`'s first request, on a start-up of ~0.35 s (docs/decisions.md, "CLI
 * start-up: `run` without yargs"). Never a second parser: a command line this does not recognise
 * completely, with values yargs would take the same way, gives undefined and goes through yargs as
 * before (help, usage errors, repeated or unknown options, `--flag=false` forms, `--`). The result
 * equals what yargs hands `run`'s handler for the options it reads (test/cli/fast-run.test.ts
 * compares the two on a corpus of command lines).
 */
import type { RunArgs } from './commands/run.js';

type Kind = 'string' | 'number' | 'boolean' | 'level';

/** `run`'s options (src/cli/commands/run.ts: runOptions and shardOptions), plus the global --verbose. */
const OPTIONS: Readonly<Record<string, Kind>> = {
  resume: 'boolean',
  concurrency: 'number',
  out: 'string',
  'log-level': 'level',
  'log-file': 'string',
  progress: 'boolean',
  'allow-insecure-http': 'boolean',
  'ca-file': 'string',
  plan: 'string',
  shard: 'string',
  shards: 'number',
  verbose: 'boolean',
};

const LEVELS: ReadonlySet<string> = new Set(['trace', 'debug', 'info', 'warn', 'error', 'silent']);

/** A plain decimal integer: what yargs and `numeric()` both turn into the same number. */
const DECIMAL = /^[0-9]{1,9}$/;

/**
 * The arguments yargs would give `run`'s handler for `argv`, when `argv` is `run` with one pipeline
 * file and only options of `run` in their plain forms (`--name value`, `--name=value`, `--flag`,
 * `--no-flag`), each at most once; undefined for anything else.
 */
export function parseRunFast(argv: readonly string[]): RunArgs | undefined {
  if (argv[0] !== 'run') return undefined;
  const args: RunArgs = { file: '', resume: false, 'log-level': 'info', progress: true };
  const set = args as unknown as Record<string, unknown>;
  const seen = new Set<string>();
  let file: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i];
    if (word === '-v') {
      if (seen.has('verbose')) return undefined;
      seen.add('verbose');
      continue;
    }
    if (!word.startsWith('--')) {
      if (word.startsWith('-') || file !== undefined || word === '') return undefined;
      file = word;
      continue;
    }
    const eq = word.indexOf('=');
    let name = eq < 0 ? word.slice(2) : word.slice(2, eq);
    let negated = false;
    if (!(name in OPTIONS) && name.startsWith('no-') && OPTIONS[name.slice(3)] === 'boolean' && eq < 0) {
      name = name.slice(3);
      negated = true;
    }
    const kind = OPTIONS[name];
    if (kind === undefined || seen.has(name)) return undefined;
    seen.add(name);
    if (kind === 'boolean') {
      if (eq >= 0) return undefined; // `--flag=false` and the like: yargs' rules
      // yargs reads a following `true` / `false` as the flag's value: leave those to it.
      const next = argv[i + 1];
      if (next === 'true' || next === 'false') return undefined;
      if (name !== 'verbose') set[name] = !negated;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = word.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    if (kind === 'number') {
      if (!DECIMAL.test(value)) return undefined;
      set[name] = Number(value);
    } else if (kind === 'level') {
      if (!LEVELS.has(value)) return undefined;
      set[name] = value;
    } else {
      set[name] = value;
    }
  }
  if (file === undefined) return undefined;
  args.file = file;
  return args;
}
