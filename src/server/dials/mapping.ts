/**
 * How ML4DQM rows become DIALS records: which dataset and DQMIO file a CSV file stands for, and
 * which monitoring element (id, path) a histogram title is. Without a map file everything is
 * derived from the data, deterministically:
 * - dataset: from the file name `<PD>_<era>_...csv` -> `/<PD>/Run<era>-v1/DQMIO`, else
 *   `/<file stem>/Local-v1/DQMIO` (synthetic data: `/Synthetic/Local-v1/DQMIO`); dataset ids 1, 2, ...
 *   in dataset-name order;
 * - file_id: the data file's id (registration order, as `dqm-export serve` numbers them);
 *   logical_file_name `/store/local/<file name>`; status FINISHED when parsed, PENDING while not,
 *   ROOTFILE_ERROR (err_trace: the parse error) when parsing failed;
 * - me_id: 1, 2, ... in title order (1D and 2D together); `me` is the title.
 * A map file (`--dials-map FILE`, JSON) overrides any of these per dataset, file (by file name) and
 * title, adds files without rows (e.g. PENDING ones) and datasets of other workspaces.
 */
import { readFileSync } from 'node:fs';
import * as z from '../../zod.js';
import { UsageError } from '../../errors.js';

const isoDate = z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'a date like 2024-05-01T03:14:15Z');

const datasetSchema = z.strictObject({
  dataset_id: z.number().int().positive(),
  dataset: z.string().regex(/^\/[^/]+\/[^/]+\/[^/]+$/, 'a dataset name like /PD/Era-v1/DQMIO'),
  /** Workspace holding the dataset (default tracker). */
  workspace: z.string().optional(),
  last_modification_date: isoDate.optional(),
});

const fileSchema = z.strictObject({
  /** File name(s) (no directory) of the CSV file(s) this DQMIO file stands for (1D and 2D rows come in separate files); absent for a file without rows. */
  match: z.union([z.string(), z.array(z.string())]).optional(),
  dataset_id: z.number().int().positive(),
  file_id: z.number().int().positive(),
  file_size: z.number().int().nonnegative().optional(),
  creation_date: isoDate.optional(),
  last_modification_date: isoDate.optional(),
  logical_file_name: z.string().optional(),
  status: z.string().optional(),
  err_trace: z.string().optional(),
});

const meSchema = z.strictObject({
  /** The ML4DQM `hname` of the rows of this ME (absent: an ME without rows). */
  title: z.string().optional(),
  me_id: z.number().int().positive(),
  me: z.string().min(1),
  dim: z.union([z.literal(1), z.literal(2)]),
});

const mapSchema = z.strictObject({
  datasets: z.array(datasetSchema).default([]),
  files: z.array(fileSchema).default([]),
  mes: z.array(meSchema).default([]),
});

/** A DIALS map file, validated. */
export type DialsMap = z.infer<typeof mapSchema>;
/** One dataset of a map file. */
export type DialsMapDataset = DialsMap['datasets'][number];
/** One file of a map file. */
export type DialsMapFile = DialsMap['files'][number];
/** One ME of a map file. */
export type DialsMapMe = DialsMap['mes'][number];

/** The empty map: everything derived. */
export const EMPTY_DIALS_MAP: DialsMap = { datasets: [], files: [], mes: [] };

/** Validates a map object; throws UsageError E_SERVE_DIALS_MAP naming `origin` and the field. */
export function parseDialsMap(value: unknown, origin: string): DialsMap {
  const parsed = mapSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new UsageError('E_SERVE_DIALS_MAP', `${origin}: ${where}: ${issue.message}`);
  }
  const map = parsed.data;
  const ids = new Set(map.datasets.map((d) => d.dataset_id));
  for (const [i, f] of map.files.entries()) {
    if (!ids.has(f.dataset_id))
      throw new UsageError('E_SERVE_DIALS_MAP', `${origin}: files.${i}.dataset_id: ${f.dataset_id} is not in datasets`);
  }
  return map;
}

/** Reads and validates a map file; throws UsageError E_SERVE_DIALS_MAP. */
export function readDialsMap(path: string): DialsMap {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      'E_SERVE_DIALS_MAP',
      `--dials-map ${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError('E_SERVE_DIALS_MAP', `--dials-map ${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseDialsMap(value, `--dials-map ${path}`);
}

/** The dataset a data file stands for when the map does not say (see the module comment). */
export function derivedDatasetName(filepath: string): string {
  if (filepath.startsWith('synthetic:')) return '/Synthetic/Local-v1/DQMIO';
  const name = filepath.split(/[\\/]/).pop() ?? filepath;
  const m = /^([A-Za-z][A-Za-z0-9]*)_(\d{4}[A-Z])_/.exec(name);
  if (m) return `/${m[1]}/Run${m[2]}-v1/DQMIO`;
  const stem = name.replace(/\.csv$/i, '').replace(/[^A-Za-z0-9_-]/g, '_') || 'data';
  return `/${stem}/Local-v1/DQMIO`;
}

/** File name of a data file path (the key of `files[].match`). */
export function fileNameOf(filepath: string): string {
  return filepath.split(/[\\/]/).pop() ?? filepath;
}
