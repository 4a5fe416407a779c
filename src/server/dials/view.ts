/**
 * The DIALS view of the shared tables: datasets, DQMIO files, MEs, th1/th2 rows, runs and
 * lumisections per workspace, each list sorted by its natural key. Built from the tables and the
 * map (mapping.ts) on first use and rebuilt when the tables grow (CSV parsing in progress).
 * Runs and lumisections are derived from the histogram rows, so `ls_count` and
 * `th1_count`/`th2_count` always agree with what th1/ and th2/ list.
 */
import {
  KNOWN_WORKSPACES,
  type DialsDataset as DatasetRecord,
  type DialsFile,
  type DialsHistogramBase,
  type DialsLumisection,
  type DialsMe,
  type DialsRun,
} from '../../dials.js';
import type { NullableYAxis } from '../../domain.js';
import type { DataFileRecord, HistogramRow, Tables } from '../../tables/index.js';
import { derivedDatasetName, fileNameOf, type DialsMap } from './mapping.js';

/** Workspaces of the real deployment, in its order; data lives in `tracker` unless the map says otherwise. */
export const WORKSPACES = KNOWN_WORKSPACES;
/** The workspace used when the request names none. */
export const DEFAULT_WORKSPACE = 'tracker';

/** A dataset-index record and the workspace it is listed in. */
export interface DialsDataset extends DatasetRecord {
  workspace: string;
}

/** A th1/th2 record (y fields null in 1D); `row` renders `data`. */
export interface DialsHist extends DialsHistogramBase, NullableYAxis {
  logical_file_name: string;
  row: HistogramRow;
}

// Run and lumisection records have one declaration, shared with the client (src/dials.ts).
export type { DialsFile, DialsLumisection, DialsMe, DialsRun };

/** One workspace's data, every list in natural-key order. */
export interface DialsDb {
  datasets: DialsDataset[];
  files: DialsFile[];
  mes: DialsMe[];
  th1: DialsHist[];
  th2: DialsHist[];
  runs: DialsRun[];
  lumisections: DialsLumisection[];
}

function emptyDb(): DialsDb {
  return { datasets: [], files: [], mes: [], th1: [], th2: [], runs: [], lumisections: [] };
}

/** `/PD/Era-PROC-vN/TIER` split into the dataset-index fields. */
function datasetFields(dataset_id: number, dataset: string, workspace: string, date: string): DialsDataset {
  const [, primary = '', processed = '', tier = ''] = dataset.split('/');
  const version = /-v(\d+)$/.exec(processed);
  return {
    dataset_id,
    dataset,
    era: processed.split('-')[0],
    data_tier: tier,
    primary_ds_name: primary,
    processed_ds_name: processed,
    processing_version: version ? Number(version[1]) : 1,
    last_modification_date: date,
    workspace,
  };
}

/** `2026-12-06T05:01:44Z` from a timestamp's ISO text. */
function dialsDate(iso: string): string {
  return iso.slice(0, 19) + 'Z';
}

function fileStatus(f: DataFileRecord): { status: string; err_trace: string } {
  if (f.state === 'parsed') return { status: 'FINISHED', err_trace: '' };
  if (f.state === 'failed') return { status: 'ROOTFILE_ERROR', err_trace: f.error ?? '' };
  return { status: 'PENDING', err_trace: '' };
}

const byKeys =
  <T>(...keys: Array<keyof T>) =>
  (a: T, b: T): number => {
    for (const k of keys) {
      const x = a[k] as number;
      const y = b[k] as number;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };

/** Builds every workspace's data from the tables and the map. */
export function buildDialsView(tables: Tables, map: DialsMap): Map<string, DialsDb> {
  const dbs = new Map<string, DialsDb>(WORKSPACES.map((w) => [w, emptyDb()]));
  const files = tables.files.all();
  const byFileName = new Map(
    map.files.flatMap((f) => (f.match === undefined ? [] : [f.match].flat().map((name) => [name, f] as const))),
  );
  // Datasets: the map's, then the derived ones (ids after the map's largest, in name order).
  const datasets = new Map<number, DialsDataset>();
  const idByName = new Map<string, number>();
  for (const d of map.datasets) {
    datasets.set(
      d.dataset_id,
      datasetFields(d.dataset_id, d.dataset, d.workspace ?? DEFAULT_WORKSPACE, d.last_modification_date ?? ''),
    );
    idByName.set(d.dataset, d.dataset_id);
  }
  const derivedNames = [
    ...new Set(files.filter((f) => !byFileName.has(fileNameOf(f.filepath))).map((f) => derivedDatasetName(f.filepath))),
  ]
    .filter((n) => !idByName.has(n))
    .sort();
  let nextId = Math.max(0, ...datasets.keys());
  for (const name of derivedNames) {
    const id = ++nextId;
    datasets.set(id, datasetFields(id, name, DEFAULT_WORKSPACE, ''));
    idByName.set(name, id);
  }
  // Files: the data files (mapped or derived), then the map's files without rows.
  const fileById = new Map<number, DialsFile>();
  const dialsFileOf = new Map<number, DialsFile>();
  for (const f of files) {
    const m = byFileName.get(fileNameOf(f.filepath));
    const datasetId = m?.dataset_id ?? idByName.get(derivedDatasetName(f.filepath))!;
    const status = fileStatus(f);
    const record: DialsFile = {
      dataset_id: datasetId,
      dataset: datasets.get(datasetId)!.dataset,
      file_id: m?.file_id ?? f.id,
      file_size: m?.file_size ?? f.sizeBytes,
      creation_date: m?.creation_date ?? dialsDate(f.created.iso),
      last_modification_date: m?.last_modification_date ?? dialsDate(f.modified.iso),
      logical_file_name: m?.logical_file_name ?? `/store/local/${fileNameOf(f.filepath)}`,
      status: m?.status ?? status.status,
      err_trace: m?.err_trace ?? status.err_trace,
    };
    fileById.set(record.file_id, record);
    dialsFileOf.set(f.id, record);
  }
  for (const m of map.files) {
    if (m.match !== undefined || fileById.has(m.file_id)) continue;
    fileById.set(m.file_id, {
      dataset_id: m.dataset_id,
      dataset: datasets.get(m.dataset_id)!.dataset,
      file_id: m.file_id,
      file_size: m.file_size ?? 0,
      creation_date: m.creation_date ?? '1970-01-01T00:00:00Z',
      last_modification_date: m.last_modification_date ?? m.creation_date ?? '1970-01-01T00:00:00Z',
      logical_file_name: m.logical_file_name ?? `/store/local/${m.file_id}.root`,
      status: m.status ?? 'PENDING',
      err_trace: m.err_trace ?? '',
    });
  }
  // A dataset without a date in the map: its latest file's.
  const dated = new Set(map.datasets.filter((d) => d.last_modification_date !== undefined).map((d) => d.dataset_id));
  for (const f of fileById.values()) {
    const d = datasets.get(f.dataset_id)!;
    if (!dated.has(d.dataset_id) && f.last_modification_date > d.last_modification_date)
      d.last_modification_date = f.last_modification_date;
  }
  // MEs: the map's, then the other titles in title order.
  const h1 = tables.h1d.rows();
  const h2 = tables.h2d.rows();
  const mes = new Map<number, DialsMe>();
  const meByTitle = new Map<string, DialsMe>();
  for (const m of map.mes) {
    const me: DialsMe = { me_id: m.me_id, me: m.me, dim: m.dim, count: 0 };
    mes.set(m.me_id, me);
    if (m.title !== undefined) meByTitle.set(m.title, me);
  }
  const titles = new Map<string, 1 | 2>();
  for (const r of h1) titles.set(r.title, 1);
  for (const r of h2) if (!titles.has(r.title)) titles.set(r.title, 2);
  let nextMe = Math.max(0, ...mes.keys());
  for (const title of [...titles.keys()].filter((t) => !meByTitle.has(t)).sort()) {
    const me: DialsMe = { me_id: ++nextMe, me: title, dim: titles.get(title)!, count: 0 };
    mes.set(me.me_id, me);
    meByTitle.set(title, me);
  }
  const dbOf = (datasetId: number): DialsDb =>
    dbs.get(datasets.get(datasetId)!.workspace) ?? dbs.get(DEFAULT_WORKSPACE)!;
  for (const d of datasets.values()) dbOf(d.dataset_id).datasets.push(d);
  for (const f of fileById.values()) dbOf(f.dataset_id).files.push(f);
  // Histograms: the first row of a natural key wins (DIALS' primary key).
  const seen = new Set<string>();
  const add = (rows: readonly HistogramRow[], dim: 1 | 2): void => {
    for (const row of rows) {
      const file = row.fileId === null ? undefined : dialsFileOf.get(row.fileId);
      const me = meByTitle.get(row.title)!;
      if (!file || me.dim !== dim) continue;
      const key = `${file.dataset_id}:${row.run}:${row.ls}:${me.me_id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const db = dbOf(file.dataset_id);
      (dim === 1 ? db.th1 : db.th2).push({
        dataset_id: file.dataset_id,
        dataset: file.dataset,
        me: me.me,
        file_id: file.file_id,
        run_number: row.run,
        ls_number: row.ls,
        me_id: me.me_id,
        ...row.axes,
        entries: Math.trunc(row.entries),
        logical_file_name: file.logical_file_name,
        row,
      });
    }
  };
  add(h1, 1);
  add(h2, 2);
  for (const db of dbs.values()) {
    db.datasets.sort(byKeys('dataset_id'));
    db.files.sort(byKeys('dataset_id', 'file_id'));
    const natural = byKeys<DialsHist>('dataset_id', 'run_number', 'ls_number', 'me_id');
    db.th1.sort(natural);
    db.th2.sort(natural);
    deriveRunsAndLumisections(db);
  }
  // The default workspace lists every ME, the others those with rows there; counts are per workspace.
  for (const [name, db] of dbs) {
    const counts = new Map<number, number>();
    for (const h of [...db.th1, ...db.th2]) counts.set(h.me_id, (counts.get(h.me_id) ?? 0) + 1);
    db.mes = [...mes.values()]
      .filter((m) => name === DEFAULT_WORKSPACE || counts.has(m.me_id))
      .map((m) => ({ ...m, count: counts.get(m.me_id) ?? 0 }))
      .sort(byKeys('me_id'));
  }
  return dbs;
}

function deriveRunsAndLumisections(db: DialsDb): void {
  const ls = new Map<string, DialsLumisection>();
  const count = (h: DialsHist, field: 'th1_count' | 'th2_count'): void => {
    const key = `${h.dataset_id}:${h.run_number}:${h.ls_number}`;
    let rec = ls.get(key);
    if (!rec)
      ls.set(
        key,
        (rec = {
          dataset_id: h.dataset_id,
          dataset: h.dataset,
          run_number: h.run_number,
          ls_number: h.ls_number,
          th1_count: 0,
          th2_count: 0,
        }),
      );
    rec[field]++;
  };
  for (const h of db.th1) count(h, 'th1_count');
  for (const h of db.th2) count(h, 'th2_count');
  db.lumisections = [...ls.values()].sort(byKeys('dataset_id', 'run_number', 'ls_number'));
  const runs = new Map<string, DialsRun>();
  for (const l of db.lumisections) {
    const key = `${l.dataset_id}:${l.run_number}`;
    const run = runs.get(key);
    if (run) run.ls_count++;
    else runs.set(key, { dataset_id: l.dataset_id, dataset: l.dataset, run_number: l.run_number, ls_count: 1 });
  }
  db.runs = [...runs.values()];
}
