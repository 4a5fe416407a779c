/**
 * The crash-point hook itself (src/crash-points.ts): the spec parser, and a child process
 * that dies by SIGKILL exactly at the armed occurrence of the armed point and nowhere else.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CRASH_ENV, parseCrashSpec } from '../src/crash-points.js';
import { PACKAGE_ROOT } from '../src/version.js';

const MODULE = pathToFileURL(join(PACKAGE_ROOT, 'dist', 'src', 'crash-points.js')).href;

/** Runs a child that passes `fetch` and `rename` five times each, printing the round after each pair. */
function child(spec: string | undefined) {
  const script = `import { crashPoint } from ${JSON.stringify(MODULE)};
for (let i = 1; i <= 5; i++) { crashPoint('fetch'); crashPoint('rename'); console.log(i); }`;
  const env = { ...process.env };
  if (spec === undefined) delete env[CRASH_ENV];
  else env[CRASH_ENV] = spec;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
}

describe('parseCrashSpec', () => {
  it('is disarmed without a value', () => {
    expect(parseCrashSpec(undefined)).toBeNull();
    expect(parseCrashSpec(' ')).toBeNull();
  });

  it('reads <point>:<n>', () => {
    expect(parseCrashSpec('rename:3')).toEqual({ point: 'rename', occurrence: 3 });
    expect(parseCrashSpec('row-group:12')).toEqual({ point: 'row-group', occurrence: 12 });
  });

  it.each(['rename', 'rename:0', 'rename:-1', 'rename:1x', 'nowhere:1', 'RENAME:1', ':1'])(
    'refuses %j with E_CRASH_SPEC',
    (value) => {
      expect(() => parseCrashSpec(value)).toThrow(expect.objectContaining({ code: 'E_CRASH_SPEC' }));
    },
  );
});

describe('crashPoint in a process', () => {
  it('kills with SIGKILL at the armed occurrence, before any later output', () => {
    const r = child('rename:3');
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('1\n2\n');
  });

  it('counts only the armed point', () => {
    const r = child('fetch:1');
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toBe('');
  });

  it('does nothing when disarmed or when the occurrence is never reached', () => {
    for (const spec of [undefined, 'rename:6']) {
      const r = child(spec);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('1\n2\n3\n4\n5\n');
    }
  });

  it('fails loudly on a malformed value instead of ignoring it', () => {
    const r = child('rename:zero');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('E_CRASH_SPEC');
  });
});
