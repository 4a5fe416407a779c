/** `migrateLegacyLayout`: a dataset of version 0.1 gets its bookkeeping moved under .dqm-export/. */
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MANIFEST_PATH, migrateLegacyLayout, SHARDS_DIR, SUCCESS_PATH } from '../../src/dataset/layout.js';

const OURS = JSON.stringify({ tool: { name: 'dqm-export' }, files: [] });

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'dqm-layout-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  return root;
}

async function allFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

describe('migrateLegacyLayout', () => {
  it('moves manifest.json, _SUCCESS and _shards/sNNNN.json under .dqm-export/, keeping their content', async () => {
    const root = await tree({
      'run=1/part-a.parquet': 'x',
      'manifest.json': OURS,
      _SUCCESS: '',
      '_shards/s0000.json': '{"s":0}',
      '_shards/s0001.json': '{"s":1}',
      '.dqm-export/journal.jsonl': '',
    });
    expect(await migrateLegacyLayout(root)).toEqual([
      '_shards/s0000.json',
      '_shards/s0001.json',
      'manifest.json',
      '_SUCCESS',
    ]);
    expect(await allFiles(root)).toEqual([
      '.dqm-export/_SUCCESS',
      '.dqm-export/journal.jsonl',
      '.dqm-export/manifest.json',
      '.dqm-export/shards/s0000.json',
      '.dqm-export/shards/s0001.json',
      'run=1/part-a.parquet',
    ]);
    expect(await readFile(join(root, MANIFEST_PATH), 'utf8')).toBe(OURS);
    expect(await readFile(join(root, SHARDS_DIR, 's0001.json'), 'utf8')).toBe('{"s":1}');
    // Idempotent.
    expect(await migrateLegacyLayout(root)).toEqual([]);
  });

  it('finishes a migration interrupted between the manifest and the marker', async () => {
    const root = await tree({ '.dqm-export/manifest.json': OURS, _SUCCESS: '' });
    expect(await migrateLegacyLayout(root)).toEqual(['_SUCCESS']);
    expect(await allFiles(root)).toEqual(['.dqm-export/_SUCCESS', '.dqm-export/manifest.json']);
  });

  it('leaves a foreign manifest.json and _SUCCESS alone, and a dataset already in the new layout', async () => {
    const foreign = await tree({ 'manifest.json': '{"name":"not ours"}', _SUCCESS: '' });
    expect(await migrateLegacyLayout(foreign)).toEqual([]);
    expect(await allFiles(foreign)).toEqual(['_SUCCESS', 'manifest.json']);
    const current = await tree({ [MANIFEST_PATH]: OURS, [SUCCESS_PATH]: '', 'part-a.parquet': 'x' });
    expect(await migrateLegacyLayout(current)).toEqual([]);
    expect(await migrateLegacyLayout(join(current, 'missing'))).toEqual([]);
  });
});
