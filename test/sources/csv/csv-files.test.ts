/**
 * source.files of an ml4dqm-csv pipeline: globs told from plain paths (tinyglobby's answer), expanded
 * relative to the pipeline file, files only, sorted and deduplicated; entries matching nothing are
 * ConfigErrors naming the entry; the data directory named in the manifest is the deepest common one.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDynamicPattern } from 'tinyglobby';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandFiles, isGlob } from '../../../src/sources/csv/csv-files.js';
import { commonDirectory } from '../../../src/sources/csv/csv-source.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'dqm-csv-files-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('source.files expansion', () => {
  let tree: string;
  const origin = (): { file: string; dir: string } => ({ file: join(tree, 'p.yaml'), dir: tree });

  beforeAll(async () => {
    tree = await mkdtemp(join(work, 'tree-'));
    await mkdir(join(tree, 'a', 'b'), { recursive: true });
    await mkdir(join(tree, '.hidden'), { recursive: true });
    for (const f of ['x.csv', 'y.CSV', '.dot.csv', 'a/z.csv', 'a/b/w.csv', 'a/b/notes.txt', '.hidden/h.csv'])
      await writeFile(join(tree, f), '');
    await mkdir(join(tree, 'dir.csv'));
    await symlink(join(tree, 'x.csv'), join(tree, 'link.csv'));
  });

  it('tells globs from plain paths', async () => {
    for (const g of ['*.csv', 'a/**/x.csv', '?.csv', '[xy].csv', '{x,y}.csv', '@(x|y).csv', '!(x).csv'])
      expect(await isGlob(g), g).toBe(true);
    for (const p of ['x.csv', 'a/b/w.csv', '../data/sample.csv']) expect(await isGlob(p), p).toBe(false);
    // Paths with no glob character skip tinyglobby: the answer is still tinyglobby's.
    for (const p of ['a+b@c(1).csv', String.raw`\*.csv`, '{x}.csv', 'a!b.csv', '+(x).csv', 'x].csv', 'run 1.csv'])
      expect(await isGlob(p), p).toBe(isDynamicPattern(p));
  });

  it.each([
    ['?.csv', ['x.csv']],
    ['[xy].csv', ['x.csv']],
    ['[!x].CSV', ['y.CSV']],
    ['{x,link}.csv', ['link.csv', 'x.csv']],
    ['.*.csv', ['.dot.csv']],
  ])('%s matches %j', async (glob, names) => {
    expect(await expandFiles([glob], origin())).toEqual(names.map((n) => join(tree, n)));
  });

  it('expands globs relative to the pipeline directory, files only, sorted and deduplicated', async () => {
    const files = await expandFiles(['*.csv', 'x.csv', 'a/**/*.csv', '**/w.csv'], origin());
    expect(files).toEqual([
      join(tree, 'a/b/w.csv'),
      join(tree, 'a/z.csv'),
      join(tree, 'link.csv'),
      join(tree, 'x.csv'),
    ]);
  });

  it('takes absolute globs and `..` segments as they are', async () => {
    expect(await expandFiles([join(tree, 'a', '*', '*.txt')], origin())).toEqual([join(tree, 'a/b/notes.txt')]);
    expect(await expandFiles(['../' + join(tree.split('/').at(-1)!, '*.CSV')], origin())).toEqual([
      join(tree, 'y.CSV'),
    ]);
  });

  it.each([
    [['nothing/*.csv'], /source\.files: nothing\/\*\.csv matches no file \(relative to /],
    [['*.parquet'], /\*\.parquet matches no file/],
    [['missing.csv'], /source\.files: missing\.csv: no such file \(resolved to .*missing\.csv\)/],
    [['dir.csv'], /dir\.csv is not a file .*a glob such as dir\/\*\.csv/],
    [['[q-s].csv'], /\[q-s\]\.csv matches no file/],
  ])('%j is a ConfigError naming the entry', async (patterns, message) => {
    const err = await expandFiles(patterns, origin()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_SOURCE_FILES', kind: 'config' });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.startsWith(join(tree, 'p.yaml') + ': ')).toBe(true);
  });

  it('names the deepest directory holding every file', () => {
    expect(commonDirectory(['/d/a/x.csv'])).toBe('/d/a');
    expect(commonDirectory(['/d/a/x.csv', '/d/ab/y.csv', '/d/a/b/z.csv'])).toBe('/d');
    expect(commonDirectory(['/a/x.csv', '/b/y.csv'])).toBe('/');
  });
});
