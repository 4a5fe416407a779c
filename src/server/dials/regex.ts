/**
 * PostgreSQL's `~` (advanced regular expressions: case-sensitive, unanchored) as a JavaScript
 * RegExp. Most syntax is shared; the differences that matter are translated: `\m` `\M` `\y` `\Y`
 * word boundaries, `\A` `\Z`, `\b` (backspace in PostgreSQL), `[[:class:]]` brackets, and a
 * leading `(?i)`-style option group. Escapes PostgreSQL rejects (`\q`, ...) are errors here too.
 */

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: 'A-Za-z0-9_',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

/** Escapes shared by both dialects (outside brackets), kept as they are. */
const SAME = new Set([
  'd',
  'D',
  's',
  'S',
  'w',
  'W',
  'n',
  'r',
  't',
  'f',
  'v',
  'x',
  'u',
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
]);

const OUTSIDE: Record<string, string> = {
  m: '\\b(?=\\w)',
  M: '\\b(?<=\\w)',
  y: '\\b',
  Y: '\\B',
  A: '^',
  Z: '$',
  b: '\\x08',
  B: '\\\\',
  a: '\\x07',
  e: '\\x1b',
};

/** Translates a PostgreSQL ARE; throws SyntaxError where PostgreSQL would refuse the pattern. */
export function pgRegex(pattern: string): RegExp {
  let flags = '';
  let src = pattern;
  const options = /^\(\?([bceimnpqstwx]+)\)/.exec(src);
  if (options) {
    if (options[1].includes('i')) flags += 'i';
    if (/[bceqx]/.test(options[1])) throw new SyntaxError(`unsupported regex options (?${options[1]})`);
    src = src.slice(options[0].length);
  }
  let out = '';
  let inBracket = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (inBracket) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        const name = end === -1 ? undefined : src.slice(i + 2, end);
        if (name === undefined || !(name in POSIX_CLASSES))
          throw new SyntaxError(`invalid character class [:${name ?? ''}`);
        out += POSIX_CLASSES[name];
        i = end + 1;
      } else if (c === ']' && !out.endsWith('[') && !out.endsWith('[^')) {
        out += c;
        inBracket = false;
      } else if (c === '\\') {
        const n = src[i + 1];
        if (n === undefined) throw new SyntaxError('trailing backslash');
        out += /[A-Za-z0-9]/.test(n) && !SAME.has(n) && n !== 'b' ? invalidEscape(n) : n === 'b' ? '\\x08' : '\\' + n;
        i++;
      } else {
        out += c === '/' ? '\\/' : c;
      }
      continue;
    }
    if (c === '[') {
      inBracket = true;
      out += c;
      if (src[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (src[i + 1] === ']') {
        out += '\\]';
        i++;
      }
    } else if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new SyntaxError('trailing backslash');
      if (n in OUTSIDE) out += OUTSIDE[n];
      else if (SAME.has(n)) out += '\\' + n;
      else if (/[A-Za-z]/.test(n)) invalidEscape(n);
      else out += '\\' + n;
      i++;
    } else {
      out += c;
    }
  }
  if (inBracket) throw new SyntaxError('brackets [] not balanced');
  return new RegExp(out, flags);
}

function invalidEscape(n: string): never {
  throw new SyntaxError(`invalid escape \\${n} sequence`);
}
