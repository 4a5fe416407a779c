/**
 * Confirmation before destructive commands. The question goes to stderr (stdout may be a pipe for
 * the data) and the answer comes from stdin; without a terminal there is nobody to ask, so the
 * command refuses unless `--yes` was given (scripts must say what they mean).
 */
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors.js';

/** The two streams a question needs. */
export interface PromptStreams {
  /** Where the answer is read from (process.stdin). */
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where the question is written (process.stderr). */
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Asks a yes/no question; only `y` or `yes` (any case) is a yes, and end of input is a no. */
export async function askYesNo(question: string, streams: PromptStreams): Promise<boolean> {
  const rl = createInterface({ input: streams.input, output: streams.output, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once('close', () => resolve(''));
      rl.question(`${question} [y/N] `).then(resolve, () => resolve(''));
    });
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

/**
 * Resolves to true when the action may proceed: at once with `yes`, or after a `y` answer on a
 * terminal; to false when the person answered no. `action` reads as a verb phrase ("delete 3 2D
 * histograms (ids 1, 2, 3)"). Throws a UsageError when stdin or stderr is not a terminal and `yes`
 * is false.
 */
export async function confirmAction(
  action: string,
  options: { yes: boolean; streams?: PromptStreams },
): Promise<boolean> {
  if (options.yes) return true;
  const streams = options.streams ?? { input: process.stdin, output: process.stderr };
  if (!streams.input.isTTY || !streams.output.isTTY) {
    throw new UsageError(
      'E_USAGE_CONFIRM',
      `refusing to ${action} without --yes: there is no terminal to ask for confirmation`,
    );
  }
  return askYesNo(`${action.charAt(0).toUpperCase()}${action.slice(1)}?`, streams);
}
