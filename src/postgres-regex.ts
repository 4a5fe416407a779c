/**
 * DIALS `__regex` filters go to PostgreSQL's `~` (Advanced Regular Expressions); a pattern PostgreSQL
 * cannot compile is an HTTP 500 after the request, so patterns are checked before the first one. The
 * check compiles a JavaScript translation of the pattern in `u` mode (strict about stray braces and
 * unknown escapes, like PostgreSQL) after mapping the ARE-only syntax to JavaScript equivalents, and
 * refuses the JavaScript-only syntax PostgreSQL rejects (named groups, `\k<...>`, `\p{...}`).
 */

/** JavaScript-only constructs PostgreSQL answers with "invalid regular expression". */
const JS_ONLY: ReadonlyArray<[RegExp, string]> = [
  [/\(\?<[A-Za-z_]/, 'named groups (?<name>...) are JavaScript syntax; PostgreSQL rejects them'],
  [/\(\?P/, 'named groups (?P<name>...) are Python syntax; PostgreSQL rejects them'],
  [/\\k</, 'named backreferences \\k<name> are JavaScript syntax; PostgreSQL rejects them'],
  [/\\[pP]\{/, 'Unicode property escapes \\p{...} are JavaScript syntax; PostgreSQL rejects them'],
  [
    /\(\?[imsx]+[:)]/,
    'inline flags (?i) are not PostgreSQL ARE syntax (put them first as (?i) only at the very start)',
  ],
];

/** Maps ARE-only syntax to something JavaScript compiles the same way, for the syntax check only. */
function toJs(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) {
      const next = pattern[i + 1];
      i++;
      if (/[myMY]/.test(next))
        out += '\\b'; // ARE word boundaries
      else if (next === 'A') out += '^';
      else if (next === 'Z') out += '$';
      else if (/[A-Za-z0-9]/.test(next)) out += '\\' + next;
      // ARE: a backslash before a non-alphanumeric is that character; JS `u` mode refuses some.
      else out += `\\u{${next.codePointAt(0)!.toString(16)}}`;
      continue;
    }
    if (ch === '[' && pattern[i + 1] === ':') {
      const end = pattern.indexOf(':]', i + 2);
      if (end > 0) {
        out += 'a'; // a POSIX class [:alpha:] inside a bracket expression
        i = end + 1;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

/** Null when PostgreSQL would accept `pattern`, else a one-line reason. */
export function postgresRegexIssue(pattern: string): string | null {
  const body =
    pattern.startsWith('(?') && /^\(\?[bceiqnpswx]+\)/.test(pattern)
      ? pattern.replace(/^\(\?[bceiqnpswx]+\)/, '')
      : pattern;
  for (const [re, why] of JS_ONLY) if (re.test(body)) return why;
  try {
    new RegExp(toJs(body), 'u');
  } catch (err) {
    return `not a valid PostgreSQL regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`;
  }
  return null;
}
