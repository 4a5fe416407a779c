import { mkdtemp, mkdir, writeFile, readFile, appendFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openJournal, readJournal, sliceId } from '../../src/dataset/journal.js';
import { STATE_DIR } from '../../src/dataset/layout.js';
import { listDatasetFiles, prepareOutputRoot } from '../../src/dataset/output-root.js';

async function tmp(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'dqm-out-'));
}

async function put(root: string, rel: string, text = 'x'): Promise<void> {
  await mkdir(join(root, rel, '..'), { recursive: true });
  await writeFile(join(root, rel), text);
}

const file = (path: string) => ({ path, rows: 1, bytes: 1, sha256: 'a'.repeat(64), partition: {} });

describe('journal', () => {
  it('records committed slices and ignores a torn last line', async () => {
    const root = await tmp();
    const j = await openJournal(root);
    await j.append({ type: 'start', at: 'now', configHash: 'h1', version: '0' });
    await j.append({
      type: 'slice',
      at: 'now',
      stream: 's',
      key: 'run=1',
      files: [file('run=1/a.parquet')],
      report: {},
    });
    await j.close();
    await appendFile(join(root, STATE_DIR, 'journal.jsonl'), '{"type":"slice","stream":"s","key":"run=2"');
    const state = await readJournal(root);
    expect(state.configHash).toBe('h1');
    expect(state.done).toBe(false);
    expect([...state.slices.keys()]).toEqual([sliceId('s', 'run=1')]);
  });

  it('never writes a registered secret', async () => {
    const { registerSecret } = await import('../../src/secrets.js');
    registerSecret('sekrit-token-123');
    const root = await tmp();
    const j = await openJournal(root);
    await j.append({
      type: 'slice',
      at: 'now',
      stream: 's',
      key: 'k',
      files: [],
      report: { note: 'sekrit-token-123' },
    });
    await j.close();
    expect(await readFile(join(root, STATE_DIR, 'journal.jsonl'), 'utf8')).not.toContain('sekrit-token-123');
  });
});

describe('prepareOutputRoot', () => {
  const opts = { configHash: 'h1', stream: 's' };

  it('mode error refuses a non-empty root and hints at --resume for an interrupted run', async () => {
    const root = await tmp();
    await put(root, 'run=1/part.parquet');
    await expect(prepareOutputRoot(root, { ...opts, mode: 'error', resume: false })).rejects.toThrow(
      /not empty.*output.mode/,
    );
    const j = await openJournal(root);
    await j.append({ type: 'start', at: 'now', configHash: 'h1', version: '0' });
    await j.append({
      type: 'slice',
      at: 'now',
      stream: 's',
      key: 'run=1',
      files: [file('run=1/part.parquet')],
      report: {},
    });
    await j.close();
    await expect(prepareOutputRoot(root, { ...opts, mode: 'error', resume: false })).rejects.toThrow(/--resume/);
  });

  it.each(['error', 'overwrite', 'append'] as const)(
    'mode %s: a run that committed nothing does not stand in the way',
    async (mode) => {
      const root = await tmp();
      const j = await openJournal(root);
      await j.append({ type: 'start', at: 'now', configHash: 'h0', version: '0' });
      await j.close();
      await put(root, 'run=2/part-b.parquet'); // renamed into place, never committed
      await put(root, 'run=2/.tmp-part-c.parquet');
      const prepared = await prepareOutputRoot(root, { ...opts, mode, resume: false });
      expect(prepared.journal.slices.size).toBe(0);
      expect(await listDatasetFiles(root)).toEqual([]);
      expect((await readJournal(root)).configHash).toBeNull();
    },
  );

  it('append after a run that committed nothing keeps the previous dataset', async () => {
    const root = await tmp();
    await put(root, 'run=1/part-a.parquet');
    await put(
      root,
      '.dqm-export/manifest.json',
      JSON.stringify({ tool: { name: 'dqm-export' }, files: [file('run=1/part-a.parquet')] }),
    );
    const j = await openJournal(root);
    await j.append({ type: 'start', at: 'now', configHash: 'h1', version: '0' });
    await j.close();
    await put(root, 'run=2/part-b.parquet');
    const prepared = await prepareOutputRoot(root, { ...opts, mode: 'append', resume: false });
    expect(prepared.keptFiles.map((f) => f.path)).toEqual(['run=1/part-a.parquet']);
    expect(await listDatasetFiles(root)).toEqual(['run=1/part-a.parquet']);
    expect(existsSync(join(root, '.dqm-export', 'manifest.json'))).toBe(true);
    // ...and mode error still refuses it: that dataset is complete, not an interrupted run.
    await expect(prepareOutputRoot(root, { ...opts, mode: 'error', resume: false })).rejects.toThrow(/output.mode/);
  });

  it('mode error accepts an empty or missing root', async () => {
    const root = join(await tmp(), 'new');
    const prepared = await prepareOutputRoot(root, { ...opts, mode: 'error', resume: false });
    expect(prepared.journal.slices.size).toBe(0);
  });

  it('append and resume refuse a foreign directory too, deleting nothing', async () => {
    const root = await tmp();
    await put(root, 'notes.txt');
    await put(root, 'data/results.parquet');
    for (const o of [
      { mode: 'append' as const, resume: false },
      { mode: 'append' as const, resume: true },
      { mode: 'overwrite' as const, resume: true },
    ]) {
      await expect(prepareOutputRoot(root, { ...opts, ...o })).rejects.toMatchObject({
        code: 'E_OUTPUT_FOREIGN',
        message: expect.stringContaining(root),
      });
    }
    expect(await listDatasetFiles(root)).toEqual(['data/results.parquet', 'notes.txt']);
  });

  it('overwrite deletes a previous dqm-export dataset but refuses a foreign directory', async () => {
    const root = await tmp();
    await put(root, 'notes.txt');
    await expect(prepareOutputRoot(root, { ...opts, mode: 'overwrite', resume: false })).rejects.toThrow(
      /refusing to overwrite/,
    );
    await put(root, '.dqm-export/manifest.json', '{"tool":{"name":"dqm-export"},"files":[]}');
    await put(root, '.dqm-export/_SUCCESS', '');
    await put(root, 'run=1/part-a-00000.parquet');
    await prepareOutputRoot(root, { ...opts, mode: 'overwrite', resume: false });
    // Its own files go; the file it did not write stays.
    expect(await listDatasetFiles(root)).toEqual(['notes.txt']);
    expect(
      existsSync(join(root, '.dqm-export', 'manifest.json')) || existsSync(join(root, '.dqm-export', '_SUCCESS')),
    ).toBe(false);
  });

  it('resume keeps committed files and removes uncommitted ones and temporaries', async () => {
    const root = await tmp();
    const j = await openJournal(root);
    await j.append({ type: 'start', at: 'now', configHash: 'h1', version: '0' });
    await j.append({
      type: 'slice',
      at: 'now',
      stream: 's',
      key: 'run=1',
      files: [file('run=1/part-a.parquet')],
      report: {},
    });
    await j.close();
    await put(root, 'run=1/part-a.parquet');
    await put(root, 'run=2/part-b.parquet'); // renamed but never committed
    await put(root, 'run=2/.tmp-part-c.parquet');
    const prepared = await prepareOutputRoot(root, { ...opts, mode: 'error', resume: true });
    expect(prepared.journal.slices.size).toBe(1);
    expect(await listDatasetFiles(root)).toEqual(['run=1/part-a.parquet']);
  });

  it('resume refuses when the pipeline changed', async () => {
    const root = await tmp();
    const j = await openJournal(root);
    await j.append({ type: 'start', at: 'now', configHash: 'old', version: '0' });
    await j.close();
    await expect(prepareOutputRoot(root, { ...opts, mode: 'error', resume: true })).rejects.toThrow(/pipeline changed/);
  });

  it('append keeps the files of the previous manifest and drops its own strays, never a foreign file', async () => {
    const root = await tmp();
    await put(root, 'run=1/part-a.parquet');
    await put(root, 'run=9/part-stray-00000.parquet');
    await put(root, 'run=9/.tmp-part-b-00000.parquet');
    await put(root, 'README.txt');
    await put(
      root,
      '.dqm-export/manifest.json',
      JSON.stringify({ tool: { name: 'dqm-export' }, files: [file('run=1/part-a.parquet')] }),
    );
    await put(root, '.dqm-export/_SUCCESS', '');
    const prepared = await prepareOutputRoot(root, { ...opts, mode: 'append', resume: false });
    expect(prepared.keptFiles.map((f) => f.path)).toEqual(['run=1/part-a.parquet']);
    expect(await listDatasetFiles(root)).toEqual(['README.txt', 'run=1/part-a.parquet']);
    // The manifest names the kept files until the new one replaces it; the dataset is no longer complete.
    expect(existsSync(join(root, '.dqm-export', 'manifest.json'))).toBe(true);
    expect(existsSync(join(root, '.dqm-export', '_SUCCESS'))).toBe(false);
  });

  it('append on a dataset of version 0.1 (top-level manifest.json, _SUCCESS) keeps its files', async () => {
    const root = await tmp();
    await put(root, 'run=1/part-a.parquet');
    await put(
      root,
      'manifest.json',
      JSON.stringify({ tool: { name: 'dqm-export' }, files: [file('run=1/part-a.parquet')] }),
    );
    await put(root, '_SUCCESS', '');
    const prepared = await prepareOutputRoot(root, { ...opts, mode: 'append', resume: false });
    expect(prepared.keptFiles.map((f) => f.path)).toEqual(['run=1/part-a.parquet']);
    expect(await listDatasetFiles(root)).toEqual(['run=1/part-a.parquet']);
    expect(existsSync(join(root, '.dqm-export', 'manifest.json'))).toBe(true);
  });

  it('mode error refuses a complete dataset that has no data files (an empty export)', async () => {
    const root = await tmp();
    await put(root, '.dqm-export/manifest.json', '{"tool":{"name":"dqm-export"},"files":[]}');
    await expect(prepareOutputRoot(root, { ...opts, mode: 'error', resume: false })).rejects.toThrow(/is not empty/);
  });
});
