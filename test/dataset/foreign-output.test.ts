/**
 * An output directory that is not a dqm-export dataset (a user's own files, no manifest) is never
 * cleaned: every mode that would delete or add files refuses it with one line naming the directory
 * and what was expected, and exits non-zero; a dqm-export dataset keeps a file it did not write.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_DATA_DIR } from '../../src/version.js';
import { runCli } from '../cli/harness.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const FOREIGN = { 'notes.txt': 'my notes\n', 'results.parquet': 'not ours\n', 'sub/model.pt': 'weights\n' };

/** A pipeline of one 1D histogram stream over the sample CSV files, writing `out/mine` in `mode`. */
async function setup(
  mode: 'error' | 'overwrite' | 'append',
  incremental = false,
): Promise<{ dir: string; root: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'dqm-foreign-'));
  dirs.push(dir);
  const root = join(dir, 'out', 'mine');
  for (const [rel, text] of Object.entries(FOREIGN)) {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  await writeFile(
    join(dir, 'p.yaml'),
    [
      'version: 1',
      'name: foreign',
      'source:',
      '  type: ml4dqm-csv',
      `  files: ["${join(SAMPLE_DATA_DIR, '*1D_synthetic.csv')}"]`,
      'streams:',
      '  - name: h1d',
      '    endpoint: lumisection_histograms_1d',
      '    slice: {by: run}',
      ...(incremental ? ['    incremental: {cursor: run}'] : []),
      `    output: {path: out/mine, partition_by: [run], mode: ${mode}}`,
      '',
    ].join('\n'),
  );
  return { dir, root };
}

async function expectForeignIntact(root: string): Promise<void> {
  for (const [rel, text] of Object.entries(FOREIGN)) expect(await readFile(join(root, rel), 'utf8'), rel).toBe(text);
}

async function files(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1));
}

describe('a directory with foreign files and no manifest', () => {
  const cases: Array<{
    name: string;
    mode: 'error' | 'overwrite' | 'append';
    args?: string[];
    incremental?: boolean;
    code: string;
  }> = [
    { name: 'run (mode error)', mode: 'error', code: 'E_OUTPUT_EXISTS' },
    { name: 'run (mode overwrite)', mode: 'overwrite', code: 'E_OUTPUT_FOREIGN' },
    { name: 'run --resume', mode: 'overwrite', args: ['--resume'], code: 'E_OUTPUT_FOREIGN' },
    { name: 'append', mode: 'append', code: 'E_OUTPUT_FOREIGN' },
    { name: 'append --resume', mode: 'append', args: ['--resume'], code: 'E_OUTPUT_FOREIGN' },
    { name: 'incremental', mode: 'append', incremental: true, code: 'E_OUTPUT_FOREIGN' },
  ];
  for (const c of cases) {
    it(`${c.name} refuses it, names it, exits 2 and deletes nothing`, async () => {
      const { dir, root } = await setup(c.mode, c.incremental);
      const res = await runCli(['run', join(dir, 'p.yaml'), ...(c.args ?? [])]);
      expect(res.code, res.stderr).toBe(2);
      expect(res.stderr).toContain(c.code);
      expect(res.stderr).toContain(root);
      if (c.code === 'E_OUTPUT_FOREIGN')
        expect(res.stderr).toMatch(/expected an empty directory or a dqm-export dataset/);
      await expectForeignIntact(root);
      expect((await files(root)).sort()).toEqual(Object.keys(FOREIGN).sort());
    }, 240_000);
  }

  it('finalize refuses it (no shard has finished) and deletes nothing', async () => {
    const { dir, root } = await setup('overwrite');
    const res = await runCli(['finalize', join(dir, 'p.yaml'), '--shards', '2']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('E_FINALIZE_INCOMPLETE');
    expect(res.stderr).toContain(root);
    await expectForeignIntact(root);
    expect((await files(root)).sort()).toEqual(Object.keys(FOREIGN).sort());
  }, 240_000);
});

describe('a dqm-export dataset holding a file it did not write', () => {
  for (const mode of ['overwrite', 'append'] as const) {
    it(`${mode} keeps that file and replaces or adds its own`, async () => {
      const { dir, root } = await setup(mode);
      await rm(join(root, 'results.parquet'));
      await rm(join(root, 'sub'), { recursive: true });
      await rm(join(root, 'notes.txt'));
      const first = await runCli(['run', join(dir, 'p.yaml')]);
      expect(first.code, first.stderr).toBe(0);
      await writeFile(join(root, 'notes.txt'), FOREIGN['notes.txt']);
      const before = (await files(root)).filter((f) => f.includes('part-'));
      const second = await runCli(['run', join(dir, 'p.yaml')]);
      expect(second.code, second.stderr).toBe(0);
      expect(await readFile(join(root, 'notes.txt'), 'utf8')).toBe(FOREIGN['notes.txt']);
      const after = (await files(root)).filter((f) => f.includes('part-'));
      expect(after.length).toBe(mode === 'append' ? 2 * before.length : before.length);
      expect(existsSync(join(root, '.dqm-export', '_SUCCESS'))).toBe(true);
    }, 240_000);
  }

  it('--resume of an interrupted run keeps it too', async () => {
    const { dir, root } = await setup('overwrite');
    await rm(join(root, 'results.parquet'));
    await rm(join(root, 'sub'), { recursive: true });
    await rm(join(root, 'notes.txt'));
    // A journal that started and committed one slice: an interrupted run to resume.
    const first = await runCli(['run', join(dir, 'p.yaml')]);
    expect(first.code, first.stderr).toBe(0);
    await rm(join(root, '.dqm-export', '_SUCCESS'));
    const journal = join(root, '.dqm-export', 'journal.jsonl');
    const lines = (await readFile(journal, 'utf8')).trim().split('\n');
    await writeFile(journal, lines.filter((l) => !l.includes('"type":"done"')).join('\n') + '\n');
    await writeFile(join(root, 'notes.txt'), FOREIGN['notes.txt']);
    const res = await runCli(['run', join(dir, 'p.yaml'), '--resume']);
    expect(res.code, res.stderr).toBe(0);
    expect(await readFile(join(root, 'notes.txt'), 'utf8')).toBe(FOREIGN['notes.txt']);
  }, 240_000);
});
