/**
 * A fresh clone's first two commands: `npm ci` builds the CLI once (the `prepare` script), `npm start`
 * only runs it, and the README says how to call the command that is not on PATH.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/version.js';

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  bin: Record<string, string>;
};
const readme = readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8');

describe('package scripts', () => {
  it('npm ci builds (prepare), npm start does not rebuild', () => {
    expect(pkg.scripts.prepare).toMatch(/npm run build/);
    expect(pkg.scripts.prestart).toBeUndefined();
    expect(pkg.scripts.start).not.toMatch(/tsc|npm run build/);
    expect(pkg.scripts.start).toContain(pkg.bin['dqm-export']);
  });

  it('npm test still builds what the tests spawn', () => {
    expect(pkg.scripts.test).toMatch(/npm run build/);
  });
});

describe('README quick start', () => {
  const quick = /## Quick start\n\n```sh\n([\s\S]*?)```\n([\s\S]*?)\n## /.exec(readme);

  it('is exactly two commands', () => {
    expect(quick).not.toBeNull();
    const commands = quick![1].split('\n').filter((l) => l.trim() !== '');
    expect(commands.map((l) => l.replace(/\s*#.*$/, ''))).toEqual(['npm ci && npm start', 'npm test']);
  });

  it('says how to call dqm-export before any command uses it', () => {
    // The introduction names `dqm-export serve` in passing; commands are given from the quick start on.
    const start = readme.indexOf('## Quick start');
    const firstUse = start + readme.slice(start).search(/`dqm-export [a-z]/);
    expect(readme.indexOf('npx dqm-export')).toBeGreaterThan(start);
    expect(readme.indexOf('npx dqm-export')).toBeLessThan(firstUse);
    expect(quick![2]).toContain('npm link');
  });
});

describe('README exit codes', () => {
  it('one table gives every exit code; an existing output is a conflict to fix (2), like an invalid file', () => {
    const table = readme.slice(readme.indexOf('| exit | meaning | retry? |')).split('\n\n')[0];
    const rows = [...table.matchAll(/^\| (\d) \| (.*)$/gm)].map((m) => [Number(m[1]), m[2]] as const);
    expect(rows.map(([code]) => code)).toEqual([0, 1, 2, 3]);
    const two = rows.find(([code]) => code === 2)![1];
    for (const code of ['E_CONFIG_INVALID', 'E_USAGE', 'E_OUTPUT_EXISTS', 'E_OUTPUT_FOREIGN'])
      expect(two).toContain(code);
  });
});
