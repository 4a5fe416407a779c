/**
 * `histograms list` read without yargs, for the command lines a script types (`histograms list --dim
 * 1 --all --format jsonl --url ... --concurrency 16`): yargs (its modules evaluated, the parser built,
 * string widths of every option measured) is ~50-60 ms of the main thread before the listing's
 * first request (docs/decisions.md, "`histograms list` without yargs"). As src/cli/fast-run.ts does
 * for `run`: never a second parser. A command line this does not recognise completely, with values
 * yargs would take the same way, gives undefined and goes through yargs as before (help, usage
 * errors, repeated or unknown options, `--flag=false` forms, a filter flag followed by more than one
 * value, `--token`). The result equals what yargs hands the list handler for the options it reads
 * (test/cli/histograms-fast.test.ts compares the two on a corpus of command lines).
 */
import { SETTINGS } from '../../settings.js';
import type { ConnectionArgs } from '../connection.js';
import { OUTPUT_FORMATS } from '../output/format.js';
import type { ListArgs } from '../query/list.js';

/** What the `histograms list` handler reads. */
export type HistogramsListArgs = ConnectionArgs & ListArgs & { dim: 1 | 2 };

type Kind = 'string' | 'number' | 'boolean' | 'dim' | 'format' | 'filter';

/** The options of `histograms list` (connection, listing and --dim), plus the global --verbose. */
const OPTIONS: Readonly<Record<string, Kind>> = {
  dim: 'dim',
  all: 'boolean',
  limit: 'number',
  format: 'format',
  filter: 'filter',
  url: 'string',
  'token-file': 'string',
  'ca-file': 'string',
  'allow-insecure-http': 'boolean',
  retries: 'number',
  concurrency: 'number',
  verbose: 'boolean',
};

/** Short aliases: `-f` (filter) and `-v` (verbose), each in its plain form only. */
const ALIASES: Readonly<Record<string, string>> = { '-f': 'filter', '-v': 'verbose' };

/** The handler's names of the kebab-case options (yargs gives both spellings; the handler reads these). */
const CAMEL: Readonly<Record<string, string>> = {
  'token-file': 'tokenFile',
  'ca-file': 'caFile',
  'allow-insecure-http': 'allowInsecureHttp',
};

/** A plain decimal integer: what yargs and `numeric()` both turn into the same number. */
const DECIMAL = /^[0-9]{1,9}$/;

/** A word yargs would take as a value, not a flag. */
const isValue = (word: string | undefined): word is string =>
  word !== undefined && word !== '' && !word.startsWith('-');

/**
 * The arguments yargs would give the `histograms list` handler for `argv`, when `argv` is
 * `histograms list` with only that command's options in their plain forms (`--name value`,
 * `--name=value`, `--flag`, `--no-flag`), each at most once, `--filter` / `-f` repeatable with one
 * value each; undefined for anything else.
 */
export function parseHistogramsListFast(argv: readonly string[]): HistogramsListArgs | undefined {
  if (argv[0] !== 'histograms' || argv[1] !== 'list') return undefined;
  const set: Record<string, unknown> = { concurrency: SETTINGS.concurrency.default };
  const seen = new Set<string>();
  const filters: string[] = [];
  for (let i = 2; i < argv.length; i++) {
    const word = argv[i];
    const alias = ALIASES[word];
    const eq = alias ? -1 : word.indexOf('=');
    if (!alias && !word.startsWith('--')) return undefined; // a positional, `-x` bundles: yargs
    let name = alias ?? (eq < 0 ? word.slice(2) : word.slice(2, eq));
    let negated = false;
    if (!(name in OPTIONS) && name.startsWith('no-') && OPTIONS[name.slice(3)] === 'boolean' && eq < 0) {
      name = name.slice(3);
      negated = true;
    }
    const kind = OPTIONS[name];
    if (kind === undefined || (seen.has(name) && kind !== 'filter')) return undefined;
    seen.add(name);
    if (kind === 'boolean') {
      if (eq >= 0) return undefined; // `--flag=false` and the like: yargs' rules
      // yargs reads a following `true` / `false` as the flag's value: leave those to it.
      const next = argv[i + 1];
      if (next === 'true' || next === 'false') return undefined;
      if (name !== 'verbose') set[CAMEL[name] ?? name] = !negated;
      continue;
    }
    const value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
    if (!isValue(value)) return undefined;
    if (kind === 'filter') {
      // `--filter` is an array option: yargs takes every following plain word as another value.
      if (isValue(argv[i + 1])) return undefined;
      filters.push(value);
    } else if (kind === 'number') {
      if (!DECIMAL.test(value)) return undefined;
      set[name] = Number(value);
    } else if (kind === 'dim') {
      if (value !== '1' && value !== '2') return undefined;
      set.dim = Number(value);
    } else if (kind === 'format') {
      if (!(OUTPUT_FORMATS as readonly string[]).includes(value)) return undefined;
      set.format = value;
    } else {
      set[CAMEL[name] ?? name] = value;
    }
  }
  // --dim is required, and --limit conflicts with --all: yargs says so.
  if (set.dim === undefined || (seen.has('limit') && seen.has('all'))) return undefined;
  if (filters.length > 0) set.filter = filters;
  return set as unknown as HistogramsListArgs;
}
