/**
 * Turns yargs' usage failures into messages that say what to do: an unknown option gets a
 * did-you-mean from the options of the command that was being parsed, and a missing positional is
 * named, with the command's usage line, and a value outside an option's choices (`--format jsnl`)
 * is named with the valid values and a did-you-mean, on one line. Pure: it reads the failure message and that command's help
 * text (the only place yargs exposes the options of the command in context).
 */
import { didYouMean } from '../config/suggest.js';

/** The `--flags` a help text lists (aliases included; `--no-x` stays as written). */
export function flagsOf(help: string): string[] {
  return [...new Set([...help.matchAll(/(?:^|[\s,[])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]))];
}

/** A help text's usage line (its first line), e.g. `dqm-export run <file>`. */
export function usageLineOf(help: string): string {
  return help.split('\n')[0].trim();
}

/**
 * The message for a yargs failure `message` in a command whose help is `help` (undefined when it
 * is not known; `argv` tells options from stray words): did-you-mean for unknown options, the missing positional and usage line for too few
 * arguments; any other message is returned as it is.
 */
export function explainUsageFailure(message: string, help: string | undefined, argv: readonly string[] = []): string {
  const choices = explainInvalidChoices(message);
  if (choices !== undefined) return choices;
  if (help === undefined) return message;
  const usage = usageLineOf(help);
  const unknown = /^Unknown arguments?: (.+)$/.exec(message);
  if (unknown) {
    const flags = flagsOf(help);
    const parts = unknown[1].split(', ').map((name) => {
      // yargs names `--no-progres` as `progres`: look for the negated spelling too.
      const typed = (flag: string) => argv.some((a) => a === flag || a.startsWith(`${flag}=`));
      const negated = typed(`--no-${name}`);
      const flag = negated ? `--no-${name}` : `${name.length > 1 ? '--' : '-'}${name}`;
      if (!negated && !typed(flag)) return `unexpected argument ${JSON.stringify(name)}`;
      const hint = didYouMean(name, flags).replace(/"([^"]+)"/g, negated ? '--no-$1' : '--$1');
      return `unknown option ${flag}${hint}`;
    });
    return `${parts.join('; ')}; usage: ${usage} [options] (see --help)`;
  }
  const few = /^Not enough non-option arguments: got (\d+), need at least (\d+)$/.exec(message);
  if (few) {
    const required = [...usage.matchAll(/<([^>]+)>/g)].map((m) => m[1]);
    const missing = required.slice(Number(few[1]));
    const what = missing.length
      ? missing.map((m) => `<${m}>`).join(' ')
      : `${Number(few[2]) - Number(few[1])} more argument(s)`;
    return `missing ${what}; usage: ${usage} [options] (see --help)`;
  }
  if (/^Missing required arguments?: /.test(message)) return `${message}; usage: ${usage} [options] (see --help)`;
  return message;
}

/** yargs' list of values (each `JSON.stringify`d, joined by `, `) as values; the text whole when it is no such list. */
function valuesOf(list: string): unknown[] {
  try {
    return JSON.parse(`[${list}]`) as unknown[];
  } catch {
    return [list];
  }
}

/** `unknown --flag value "v" (did you mean "w"?); valid values: a, b`: a value outside a flag's choices. */
export function unknownChoice(flag: string, value: unknown, valid: readonly string[]): string {
  return `unknown ${flag} value ${JSON.stringify(value)}${didYouMean(String(value), valid)}; valid values: ${valid.join(', ')}`;
}

/**
 * yargs' two-line (or more) "Invalid values:" failure, one line per option outside its choices, as
 * one line: `unknown --format value "jsnl" (did you mean "jsonl"?); valid values: table, json, ...`.
 * Undefined for any other message.
 */
export function explainInvalidChoices(message: string): string | undefined {
  if (!message.startsWith('Invalid values:')) return undefined;
  const lines = [...message.matchAll(/^\s*Argument: (.+?), Given: (.*), Choices: (.*)$/gm)];
  const parts = lines.flatMap(([, key, given, list]) => {
    const flag = `${key.length > 1 ? '--' : '-'}${key}`;
    const valid = valuesOf(list).map(String);
    return valuesOf(given).map((value) => unknownChoice(flag, value, valid));
  });
  return parts.length ? parts.join('; ') : undefined;
}
