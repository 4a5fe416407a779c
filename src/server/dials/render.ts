/**
 * DIALS records as JSON, in each serializer's field order, with `fields=` trimming (split on `,`,
 * exact names, unknown ones dropped), rendered straight into buffers: `data` is appended as the
 * tables' pre-rendered bytes, never re-serialised.
 */
import { pyFloat } from '../../tables/pyjson.js';
import type { FieldKind, Orderable } from './cursor.js';
import type { DialsDataset, DialsFile, DialsHist, DialsLumisection, DialsMe, DialsRun } from './view.js';

type ColumnKind = FieldKind | 'data';

/** One serializer field: name, JSON kind, and whether `order_by` accepts it (a model field). */
interface Column {
  name: string;
  kind: ColumnKind;
  orderable: boolean;
}

const col = (name: string, kind: ColumnKind, orderable = true): Column => ({ name, kind, orderable });

const TH1: Column[] = [
  col('dataset_id', 'int'),
  col('dataset', 'str', false),
  col('me', 'str', false),
  col('file_id', 'int'),
  col('run_number', 'int'),
  col('ls_number', 'int'),
  col('me_id', 'int'),
  col('x_min', 'float'),
  col('x_max', 'float'),
  col('x_bin', 'int'),
  col('entries', 'int'),
  col('data', 'data', false),
];
const TH2: Column[] = [
  ...TH1.slice(0, 10),
  col('y_min', 'float'),
  col('y_max', 'float'),
  col('y_bin', 'int'),
  ...TH1.slice(10),
];

/** Serializer fields of each record type. */
export const COLUMNS = {
  th1: TH1,
  th2: TH2,
  run: [col('dataset_id', 'int'), col('dataset', 'str', false), col('run_number', 'int'), col('ls_count', 'int')],
  lumisection: [
    col('dataset_id', 'int'),
    col('dataset', 'str', false),
    col('run_number', 'int'),
    col('ls_number', 'int'),
    col('th1_count', 'int'),
    col('th2_count', 'int'),
  ],
  'file-index': [
    col('dataset_id', 'int'),
    col('dataset', 'str', false),
    col('file_id', 'int'),
    col('file_size', 'int'),
    col('creation_date', 'str'),
    col('last_modification_date', 'str'),
    col('logical_file_name', 'str'),
    col('status', 'str'),
    col('err_trace', 'str'),
  ],
  'dataset-index': [
    col('dataset_id', 'int'),
    col('dataset', 'str'),
    col('era', 'str'),
    col('data_tier', 'str'),
    col('primary_ds_name', 'str'),
    col('processed_ds_name', 'str'),
    col('processing_version', 'int'),
    col('last_modification_date', 'str'),
  ],
  mes: [col('me_id', 'int'), col('me', 'str'), col('count', 'int'), col('dim', 'int')],
  'run-mes': [col('me_id', 'int'), col('me', 'str'), col('dim', 'int')],
} satisfies Record<string, Column[]>;

/** A record type with a serializer. */
export type RecordKind = keyof typeof COLUMNS;
/** The record of each kind. */
export type RecordOf = {
  th1: DialsHist;
  th2: DialsHist;
  run: DialsRun;
  lumisection: DialsLumisection;
  'file-index': DialsFile;
  'dataset-index': DialsDataset;
  mes: DialsMe;
  'run-mes': DialsMe;
};

/** Field access for pagination: `order_by` accepts the model fields only. */
export function orderableOf<K extends RecordKind>(kind: K): Orderable<RecordOf[K]> {
  const cols = new Map<string, Column>(COLUMNS[kind].map((c) => [c.name, c]));
  return {
    kind: (field) => {
      const c = cols.get(field);
      return c?.orderable && c.kind !== 'data' ? c.kind : undefined;
    },
    value: (r, field) => (r as unknown as Record<string, number | string | null>)[field],
  };
}

/** The columns left by `fields=` (the last value; empty or absent: all). */
export function selectColumns(kind: RecordKind, fieldsParam: string | undefined): Column[] {
  const all = COLUMNS[kind];
  if (!fieldsParam) return all;
  const keep = new Set(fieldsParam.split(','));
  return all.filter((c) => keep.has(c.name));
}

function valueText(v: unknown, kind: ColumnKind): string {
  if (v === null || v === undefined) return 'null';
  if (kind === 'float') return pyFloat(v as number);
  if (kind === 'str') return JSON.stringify(v);
  return String(v);
}

/** Appends one record's JSON to `parts`. */
export function appendRecord(columns: readonly Column[], record: object, parts: Buffer[]): void {
  let s = '{';
  const r = record as Record<string, unknown>;
  columns.forEach((c, i) => {
    s += (i ? ',' : '') + JSON.stringify(c.name) + ':';
    if (c.kind === 'data') {
      parts.push(Buffer.from(s));
      (record as DialsHist).row.appendData(parts);
      s = '';
    } else {
      s += valueText(r[c.name], c.kind);
    }
  });
  parts.push(Buffer.from(s + '}'));
}

/** Appends `[rec,rec,...]`. */
export function appendList(columns: readonly Column[], records: readonly object[], parts: Buffer[]): void {
  parts.push(Buffer.from('['));
  records.forEach((rec, i) => {
    if (i) parts.push(COMMA);
    appendRecord(columns, rec, parts);
  });
  parts.push(Buffer.from(']'));
}

const COMMA = Buffer.from(',');
