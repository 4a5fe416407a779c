/** A shard's share of an output root: what `prepareShardOutput` deletes and keeps, per mode. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listDatasetFiles } from '../../src/dataset/output-root.js';
import { openJournal } from '../../src/dataset/journal.js';
import { prepareShardOutput, shardJournalName, shardManifest } from '../../src/dataset/shard-output.js';

const OUR_MANIFEST = JSON.stringify({ tool: { name: 'dqm-export' }, files: [] });

/** A root holding `files` (content 'x', or dqm-export's manifest for the manifest names). */
async function tree(files: string[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'dqm-shard-out-'));
  for (const f of files) {
    await mkdir(dirname(join(root, f)), { recursive: true });
    await writeFile(join(root, f), f.endsWith('manifest.json') ? OUR_MANIFEST : 'x');
  }
  return root;
}

/** Every file under root, bookkeeping included. */
async function allFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

const base = { resume: false, configHash: 'c', planHash: 'p', stream: 'h2d', index: 1, count: 3 };

const DATA = [
  'run=1/part-s0000-aaaaaaaaaaaa-00000.parquet',
  'run=1/part-s0001-bbbbbbbbbbbb-00000.parquet',
  'run=2/.tmp-part-s0001-bbbbbbbbbbbb-00001.parquet-123',
  'run=2/.tmp-part-s0002-cccccccccccc-00000.parquet-456',
  'run=2/part-s0005-dddddddddddd-00000.parquet',
  'run=3/part-eeeeeeeeeeee-00000.parquet',
];
const KEPT_DATA = [
  'run=1/part-s0000-aaaaaaaaaaaa-00000.parquet',
  'run=2/.tmp-part-s0002-cccccccccccc-00000.parquet-456',
];

describe('prepareShardOutput', () => {
  it('overwrite: removes this shard, shards beyond the count, unsharded files and the dataset markers; keeps the other shards and their temporaries', async () => {
    const root = await tree([
      ...DATA,
      '.dqm-export/shard-s0000.jsonl',
      '.dqm-export/shards/s0000.json',
      '.dqm-export/shards/s0001.json',
      '.dqm-export/shards/s0007.json',
      '.dqm-export/shards/.tmp-s0002.json-789',
      '.dqm-export/manifest.json',
      '.dqm-export/_SUCCESS',
    ]);
    await prepareShardOutput(root, { ...base, mode: 'overwrite' });
    expect(await allFiles(root)).toEqual([
      '.dqm-export/shard-s0000.jsonl',
      '.dqm-export/shards/.tmp-s0002.json-789',
      '.dqm-export/shards/s0000.json',
      ...KEPT_DATA,
    ]);
    expect(await listDatasetFiles(root)).toEqual(KEPT_DATA);
  });

  it('overwrite on a dataset of version 0.1 (_shards/, top-level manifest.json and _SUCCESS): the same, after moving them', async () => {
    const root = await tree([
      ...DATA,
      '_shards/s0000.json',
      '_shards/s0001.json',
      '_shards/s0007.json',
      'manifest.json',
      '_SUCCESS',
    ]);
    await prepareShardOutput(root, { ...base, mode: 'overwrite' });
    expect(await allFiles(root)).toEqual(['.dqm-export/shards/s0000.json', ...KEPT_DATA]);
  });

  it('error: refuses when this shard has files or the dataset is finalized, not for other shards', async () => {
    const other = await tree(['run=1/part-s0000-aaaaaaaaaaaa-00000.parquet', '.dqm-export/shards/s0000.json']);
    await expect(prepareShardOutput(other, { ...base, mode: 'error' })).resolves.toBeDefined();
    expect(existsSync(join(other, 'run=1/part-s0000-aaaaaaaaaaaa-00000.parquet'))).toBe(true);
    const mine = await tree(['run=1/part-s0001-aaaaaaaaaaaa-00000.parquet']);
    await expect(prepareShardOutput(mine, { ...base, mode: 'error' })).rejects.toMatchObject({
      code: 'E_OUTPUT_EXISTS',
    });
    const ownManifest = await tree(['.dqm-export/shards/s0001.json']);
    await expect(prepareShardOutput(ownManifest, { ...base, mode: 'error' })).rejects.toMatchObject({
      code: 'E_OUTPUT_EXISTS',
    });
    for (const markers of [
      ['.dqm-export/_SUCCESS', '.dqm-export/manifest.json'],
      ['_SUCCESS', 'manifest.json'],
    ]) {
      const finalized = await tree(markers);
      await expect(prepareShardOutput(finalized, { ...base, mode: 'error' })).rejects.toMatchObject({
        code: 'E_OUTPUT_EXISTS',
      });
    }
  });

  it('refuses a directory holding only foreign files', async () => {
    const root = await tree(['notes.txt', 'data/thesis.pdf']);
    await expect(prepareShardOutput(root, { ...base, mode: 'overwrite' })).rejects.toMatchObject({
      code: 'E_OUTPUT_FOREIGN',
    });
    expect(existsSync(join(root, 'notes.txt'))).toBe(true);
  });

  it.each(['error', 'overwrite'] as const)(
    'mode %s: a shard run that committed nothing does not stand in the way',
    async (mode) => {
      const root = await tree([
        'run=1/part-s0000-aaaaaaaaaaaa-00000.parquet',
        'run=2/part-s0001-bbbbbbbbbbbb-00000.parquet',
      ]);
      const journal = await openJournal(root, shardJournalName(1));
      await journal.append({ type: 'start', at: 'now', configHash: 'c', version: '0', planHash: 'p' });
      await journal.close();
      const prepared = await prepareShardOutput(root, { ...base, mode });
      expect(prepared.journal.slices.size).toBe(0);
      expect(await listDatasetFiles(root)).toEqual(['run=1/part-s0000-aaaaaaaaaaaa-00000.parquet']);
    },
  );
});

describe('shardManifest', () => {
  const input = {
    stream: 's',
    shard: 1,
    shards: 3,
    configHash: 'c',
    planHash: 'p',
    source: 'http://x/api/v1/th2/',
    endpoint: 'th2',
    assigned: 2,
    slices: ['run=2', 'run=1'],
    files: [],
    rejects: 0,
    startedAt: '2026-01-01T00:00:00.000Z',
  };

  it('keeps the proofs of the committed slices only, sorted by key', () => {
    const m = shardManifest({
      ...input,
      completeness: { 'run=2': 'lumisection-counts', 'run=9': 'cursor-end', 'run=1': 'lumisection-counts' },
    });
    expect(Object.entries(m.completeness ?? {})).toEqual([
      ['run=1', 'lumisection-counts'],
      ['run=2', 'lumisection-counts'],
    ]);
  });

  it('leaves completeness out when the source names no proof', () => {
    expect('completeness' in shardManifest({ ...input, completeness: {} })).toBe(false);
    expect('completeness' in shardManifest(input)).toBe(false);
  });
});
