/**
 * Output formats of the listing commands. The default follows the usual CLI convention: a table
 * for a person at a terminal, JSON lines for a pipe or a file (one record per line, streamable,
 * `jq`-friendly).
 */
import { UsageError } from '../../errors.js';
import { unknownChoice } from '../usage-hints.js';

/** Every value `--format` accepts on the listing commands. */
export const OUTPUT_FORMATS = ['table', 'json', 'jsonl', 'csv'] as const;

/** One of OUTPUT_FORMATS. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * The format to write: `requested` when given (checked), otherwise `table` when stdout is a
 * terminal and `jsonl` when it is not.
 */
export function resolveOutputFormat(requested: string | undefined, stdoutIsTTY: boolean): OutputFormat {
  if (requested === undefined || requested === '') return stdoutIsTTY ? 'table' : 'jsonl';
  if ((OUTPUT_FORMATS as readonly string[]).includes(requested)) return requested as OutputFormat;
  throw new UsageError('E_USAGE_FORMAT', unknownChoice('--format', requested, OUTPUT_FORMATS), { field: 'format' });
}
