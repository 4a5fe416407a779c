/**
 * What a dataset directory holds, before any data is read: its manifest and commit marker (under
 * `.dqm-export/`, falling back to the top-level names of earlier versions), and its data files found
 * by walking the directory (hive `name=value` directories give the partition values). The listing is
 * compared with the manifest, so a file added or lost after the export is reported, not trusted.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { MANIFEST_NAME, pathExists, STATE_DIR, SUCCESS_NAME } from '../dataset/layout.js';
import type { Manifest } from '../dataset/manifest.js';
import type { DataFormat, DataFile, DatasetListing } from './types.js';

const EXTENSIONS: Record<string, DataFormat> = { '.parquet': 'parquet', '.arrow': 'arrow', '.arrows': 'arrows' };

/** The data format a file name says, or null for anything that is not a data file. */
export function formatOfName(name: string): DataFormat | null {
  if (name.startsWith('.') || name.startsWith('_')) return null;
  const dot = name.lastIndexOf('.');
  return dot < 0 ? null : (EXTENSIONS[name.slice(dot)] ?? null);
}

/** Partition values from a relative path's hive segments (`run=315705/part-0.parquet` gives `{run: '315705'}`). */
export function partitionOfPath(relPath: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const segment of relPath.split('/').slice(0, -1)) {
    const eq = segment.indexOf('=');
    if (eq <= 0) continue;
    values[decodeURIComponent(segment.slice(0, eq))] = decodeURIComponent(segment.slice(eq + 1));
  }
  return values;
}

/** The first of `candidates` that exists (relative to `root`), or null. */
async function firstExisting(root: string, candidates: string[]): Promise<string | null> {
  for (const rel of candidates) if (await pathExists(join(root, rel))) return rel;
  return null;
}

async function readManifest(root: string, rel: string): Promise<Manifest> {
  const file = join(root, rel);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new InputError(
      'E_INSPECT_MANIFEST',
      `cannot read the manifest ${file}: ${(err as Error).message.split('\n')[0]}`,
      { file },
    );
  }
  const m = parsed as Partial<Manifest> | null;
  if (typeof m !== 'object' || m === null || !Array.isArray(m.files) || typeof m.source !== 'object') {
    throw new InputError(
      'E_INSPECT_MANIFEST',
      `${file} is not a dqm-export manifest (expected an object with source and files)`,
      { file },
    );
  }
  return m as Manifest;
}

/** Every data file under `root`, sorted by path; dot and underscore entries (bookkeeping, temporaries) are skipped. */
async function walk(root: string, rel = ''): Promise<{ path: string; format: DataFormat; bytes: number }[]> {
  const out: { path: string; format: DataFormat; bytes: number }[] = [];
  const entries = await readdir(join(root, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name.startsWith('_')) continue;
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(root, path)));
    else if (e.isFile()) {
      const format = formatOfName(e.name);
      if (format) out.push({ path, format, bytes: (await stat(join(root, path))).size });
    }
  }
  return out;
}

/**
 * Lists a dataset directory. Throws InputError when `root` is not a directory or its manifest is
 * unreadable; a missing manifest or marker is not an error but a finding (`complete: false`).
 */
export async function listDataset(root: string): Promise<DatasetListing> {
  let isDir: boolean;
  try {
    isDir = (await stat(root)).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new InputError(
      'E_INSPECT_DATASET',
      `${root} is not a directory (expected a dataset directory written by dqm-export)`,
      { file: root },
    );
  // The current layout keeps both under STATE_DIR; datasets of earlier versions have them at the top.
  const manifestRel = await firstExisting(root, [`${STATE_DIR}/${MANIFEST_NAME}`, MANIFEST_NAME]);
  const markerRel = await firstExisting(root, [`${STATE_DIR}/${SUCCESS_NAME}`, SUCCESS_NAME]);
  const manifest = manifestRel ? await readManifest(root, manifestRel) : null;
  const found = await walk(root);
  const listed = new Map((manifest?.files ?? []).map((f) => [f.path, f]));
  const files: DataFile[] = found.map((f) => ({
    ...f,
    partition: partitionOfPath(f.path),
    inManifest: listed.has(f.path),
  }));
  const foundPaths = new Set(found.map((f) => f.path));
  const notFound = [...listed.keys()].filter((p) => !foundPaths.has(p));
  return {
    root,
    manifest,
    manifestPath: manifestRel,
    markerPath: markerRel,
    complete: manifest !== null && markerRel !== null && notFound.length === 0,
    files,
    manifestFilesMissing: notFound,
  };
}
