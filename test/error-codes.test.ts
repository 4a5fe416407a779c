/**
 * The error-code catalogue (src/error-codes.ts): every code the sources name is in it, every entry is
 * used, the error classes accept only catalogue codes of their kind, and docs/errors.md is current.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderErrorDocs, ERROR_DOCS_PATH } from '../scripts/error-docs.js';
import { ERROR_CODES, kindOfCode } from '../src/error-codes.js';
import { ConfigError, DqmExportError, ServerError, TransientError, toDqmError } from '../src/errors.js';
import { PACKAGE_ROOT } from '../src/version.js';

function sources(dir: string): string[] {
  return readdirSync(join(PACKAGE_ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Placeholders in comments, not codes. */
const PLACEHOLDERS = new Set(['E_CODE']);

/** `E_...` tokens in the sources (code and comments); prefixes like `E_FS_` and `E_HTTP_` excluded. */
function codesNamedIn(files: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of files) {
    if (file.endsWith('error-codes.ts')) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(/\bE_[A-Z0-9_]*[A-Z0-9]\b(?![_<*$])/g)) {
      if (!found.has(m[0]) && !PLACEHOLDERS.has(m[0])) found.set(m[0], file);
    }
  }
  return found;
}

describe('error-code catalogue', () => {
  const named = codesNamedIn(sources('src'));

  it('lists every code the sources name', () => {
    const missing = [...named]
      .filter(([code]) => kindOfCode(code) === undefined)
      .map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  it('has no entry the sources never name (E_FS_<errno> are built from the errno)', () => {
    // Codes built from a value: E_FS_<errno> (errors.ts), E_DIALS_DEVICE_<state> (sources/dials/login.ts).
    const unused = Object.keys(ERROR_CODES).filter((code) => !named.has(code) && !/^E_(FS|DIALS_DEVICE)_/.test(code));
    expect(unused).toEqual([]);
  });

  it('gives each code its kind, so the error classes cannot disagree with it', () => {
    expect(new ConfigError('E_BAD_URL', 'x').kind).toBe(kindOfCode('E_BAD_URL'));
    expect(new ServerError('E_HTTP_503', 'x').kind).toBe(kindOfCode('E_HTTP_503'));
    expect(toDqmError(Object.assign(new Error('full'), { code: 'ENOSPC' })).code).toBe('E_FS_ENOSPC');
    expect(kindOfCode('E_FS_ENOSPC')).toBe('input');
    expect(kindOfCode('E_NOT_A_CODE')).toBeUndefined();
    // The compiler is the real check (npm run typecheck); these lines must stay type errors.
    // @ts-expect-error a code that is not in the catalogue
    expect(new ConfigError('E_NOT_IN_CATALOGUE', 'x').code).toBe('E_NOT_IN_CATALOGUE');
    // @ts-expect-error a catalogue code of another kind
    expect(new TransientError('E_BAD_URL', 'x').kind).toBe('transient');
    // @ts-expect-error the base class too accepts catalogue codes only
    expect(new DqmExportError('E_MADE_UP', 'server', 'x').code).toBe('E_MADE_UP');
  });

  it('is documented in docs/errors.md, generated and current (npm run docs:errors)', () => {
    expect(readFileSync(join(PACKAGE_ROOT, ERROR_DOCS_PATH), 'utf8')).toBe(renderErrorDocs());
  });
});
