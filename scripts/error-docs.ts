/**
 * Writes docs/errors.md from the catalogue in src/error-codes.ts (`npm run docs:errors`). A test
 * compares the file with `renderErrorDocs()`, so the page cannot fall behind the catalogue.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CODE_FAMILIES, ERROR_CODES, type ErrorKind } from '../src/error-codes.js';
import { PACKAGE_ROOT } from '../src/version.js';

/** Where the page lives, relative to the package root. */
export const ERROR_DOCS_PATH = join('docs', 'errors.md');

const EXIT: Record<ErrorKind, number> = {
  config: 2,
  usage: 2,
  input: 1,
  auth: 1,
  transient: 1,
  server: 1,
  internal: 1,
};

const KINDS: Record<ErrorKind, string> = {
  config: 'the pipeline file or an option value is wrong',
  usage: 'the command line is wrong',
  input: 'input data or the output directory is not as expected',
  auth: 'credentials are missing or refused',
  transient: 'a retry may help (network, rate limits, timeouts); the retries are already spent',
  server: 'the server answered, and the answer is final',
  internal: 'a bug in dqm-export or a broken installation: please report it',
};

/** The page's Markdown. */
export function renderErrorDocs(): string {
  const row = (code: string, [kind, meaning]: readonly [ErrorKind, string]) =>
    `| \`${code}\` | ${kind} | ${EXIT[kind]} | ${meaning.replaceAll('|', '\\|')} |`;
  const codes = Object.entries(ERROR_CODES).sort(([a], [b]) => (a < b ? -1 : 1));
  return [
    '# Error codes',
    '',
    '<!-- Generated from src/error-codes.ts by `npm run docs:errors`; do not edit by hand. -->',
    '',
    'Every failure is reported as one line, `error E_CODE: message`, where the message names the file,',
    'field or URL at fault and what was expected. The code is stable: match on it in scripts. Its kind',
    'decides the exit code (2 for `config` and `usage`, 1 otherwise; `run` exits 3 when records were',
    'rejected but everything else succeeded).',
    '',
    '| Kind | Exit code | Meaning |',
    '| --- | --- | --- |',
    ...(Object.keys(KINDS) as ErrorKind[]).map((k) => `| ${k} | ${EXIT[k]} | ${KINDS[k]} |`),
    '',
    '| Code | Kind | Exit code | Meaning |',
    '| --- | --- | --- | --- |',
    ...codes.map(([code, entry]) => row(code, entry)),
    ...Object.entries(ERROR_CODE_FAMILIES).map(([code, entry]) => row(code, entry)),
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(join(PACKAGE_ROOT, ERROR_DOCS_PATH), renderErrorDocs());
  console.log(`wrote ${ERROR_DOCS_PATH}`);
}
