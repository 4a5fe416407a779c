/**
 * The DIALS domain: endpoint names, record shapes as the API serves them (field names kept, as dials-py
 * users know them), the real filter names per endpoint, and each record's natural key. One place, so
 * config validation, the client, the planner and the commands spell a filter the same way.
 */
import { X_AXIS_FIELDS, Y_AXIS_FIELDS, type FilterSpec, type XAxis, type YAxis } from './domain.js';

/** DIALS list endpoints dqm-export reads (`/api/v1/<endpoint>/`). */
export const DIALS_ENDPOINTS = ['th1', 'th2', 'run', 'lumisection', 'mes', 'file-index', 'dataset-index'] as const;
/** A DIALS list endpoint. */
export type DialsEndpoint = (typeof DIALS_ENDPOINTS)[number];

/** True for a DIALS endpoint name. */
export function isDialsEndpoint(value: string): value is DialsEndpoint {
  return (DIALS_ENDPOINTS as readonly string[]).includes(value);
}

/** Fields common to `th1/` and `th2/` records (the API's key order: these, the x axis, then `entries`). */
export interface DialsHistogramBase extends XAxis {
  dataset_id: number;
  dataset: string;
  me: string;
  file_id: number;
  run_number: number;
  ls_number: number;
  me_id: number;
  entries: number;
}

/** `th1/` record: `data` has `x_bin` values. */
export interface DialsTh1 extends DialsHistogramBase {
  data: number[];
}

/** `th2/` record: `data` is y-outer, `y_bin` rows of `x_bin` values, `data[iy][ix]`. */
export interface DialsTh2 extends DialsHistogramBase, YAxis {
  data: number[][];
}

/** `run/` record. */
export interface DialsRun {
  dataset_id: number;
  dataset: string;
  run_number: number;
  ls_count: number;
}

/** `lumisection/` record: how many th1/th2 rows the lumisection holds (a completeness proof). */
export interface DialsLumisection {
  dataset_id: number;
  dataset: string;
  run_number: number;
  ls_number: number;
  th1_count: number;
  th2_count: number;
}

/** `dataset-index/` record. */
export interface DialsDataset {
  dataset_id: number;
  dataset: string;
  era: string;
  data_tier: string;
  primary_ds_name: string;
  processed_ds_name: string;
  processing_version: number;
  last_modification_date: string;
}

/** `file-index/` record (a DQMIO file; `status` and `err_trace` tell how its ingestion went). */
export interface DialsFile {
  dataset_id: number;
  dataset: string;
  file_id: number;
  file_size: number;
  creation_date: string;
  last_modification_date: string;
  logical_file_name: string;
  status: string;
  err_trace: string;
}

/** `mes/` record (a plain list, no envelope, no paging). */
export interface DialsMe {
  me_id: number;
  me: string;
  count: number;
  dim: number;
}

/** Ordering fields that give each endpoint's default (natural) order, which is also its key. */
export const NATURAL_KEY: Record<DialsEndpoint, readonly string[]> = {
  th1: ['dataset_id', 'run_number', 'ls_number', 'me_id'],
  th2: ['dataset_id', 'run_number', 'ls_number', 'me_id'],
  run: ['dataset_id', 'run_number'],
  lumisection: ['dataset_id', 'run_number', 'ls_number'],
  mes: ['me_id'],
  'file-index': ['dataset_id', 'file_id'],
  'dataset-index': ['dataset_id'],
};

const int = (help: string): FilterSpec => ({ kind: 'int', help });
const str = (help: string): FilterSpec => ({ kind: 'string', help });
const regex = (help: string): FilterSpec => ({ kind: 'regex', help });

/** `order_by`: repeatable, `-` for descending; an unknown field or a comma list is a 500 on the server. */
const orderBy: FilterSpec = { kind: 'order', help: 'ordering field (repeat for more; -field descending)' };

const histogramFilters: Record<string, FilterSpec> = {
  dataset_id: int('dataset id'),
  file_id: int('file id'),
  run_number: int('run number'),
  run_number__gte: int('run number >='),
  run_number__lte: int('run number <='),
  ls_number: int('lumisection number'),
  ls_number__gte: int('lumisection number >='),
  ls_number__lte: int('lumisection number <='),
  me_id: int('monitoring element id'),
  entries__gte: int('entries >='),
  dataset: str('dataset name (exact)'),
  dataset__regex: regex('dataset name, PostgreSQL regex (case-sensitive, unanchored)'),
  me: str('monitoring element name (exact)'),
  me__regex: regex('monitoring element name, PostgreSQL regex (case-sensitive, unanchored)'),
  logical_file_name: str('DQMIO file name (exact)'),
  logical_file_name__regex: regex('DQMIO file name, PostgreSQL regex'),
  order_by: orderBy,
};

/** Real filter names per DIALS endpoint (from the backend's filtersets and the captures). */
export const DIALS_FILTERS: Record<DialsEndpoint, Record<string, FilterSpec>> = {
  th1: histogramFilters,
  th2: histogramFilters,
  run: {
    dataset_id: int('dataset id'),
    dataset_id__in: { kind: 'int-list', help: 'dataset ids, comma-separated' },
    run_number: int('run number'),
    run_number__gte: int('run number >='),
    run_number__lte: int('run number <='),
    dataset: str('dataset name (exact)'),
    dataset__regex: regex('dataset name, PostgreSQL regex'),
    order_by: orderBy,
  },
  lumisection: {
    dataset_id: int('dataset id'),
    dataset_id__gte: int('dataset id >='),
    dataset_id__lte: int('dataset id <='),
    run_number: int('run number'),
    run_number__gte: int('run number >='),
    run_number__lte: int('run number <='),
    ls_number: int('lumisection number'),
    ls_number__gte: int('lumisection number >='),
    ls_number__lte: int('lumisection number <='),
    dataset: str('dataset name (exact)'),
    dataset__regex: regex('dataset name, PostgreSQL regex'),
    order_by: orderBy,
  },
  mes: {
    me: str('monitoring element name (exact)'),
    me__regex: regex('monitoring element name, PostgreSQL regex'),
    dim: { kind: 'choice', choices: ['1', '2'], help: '1 or 2' },
  },
  'file-index': {
    dataset_id: int('dataset id'),
    logical_file_name: str('DQMIO file name (exact)'),
    logical_file_name__regex: regex('DQMIO file name, PostgreSQL regex'),
    status: str('processing status, e.g. FINISHED, PENDING'),
    min_size: int('file size >= (bytes)'),
    dataset: str('dataset name (exact)'),
    dataset__regex: regex('dataset name, PostgreSQL regex'),
    order_by: orderBy,
  },
  'dataset-index': {
    dataset: str('dataset name (exact)'),
    dataset__regex: regex('dataset name, PostgreSQL regex'),
    order_by: orderBy,
  },
};

/** The integer fields before the axes that `order_by` accepts on `th1/` and `th2/`. */
const DIALS_KEY_ORDER_FIELDS = ['dataset_id', 'file_id', 'run_number', 'ls_number', 'me_id'] as const;

const DIALS_HISTOGRAM_HEAD = ['dataset_id', 'dataset', 'me', 'file_id', 'run_number', 'ls_number', 'me_id'] as const;
const DIALS_DATASET_FIELDS = [
  'dataset_id',
  'dataset',
  'era',
  'data_tier',
  'primary_ds_name',
  'processed_ds_name',
  'processing_version',
  'last_modification_date',
] as const;

/** Each endpoint's record fields, in the API's key order (what a listing prints, and its CSV columns). */
export const DIALS_RECORD_FIELDS: Record<DialsEndpoint, readonly string[]> = {
  th1: [...DIALS_HISTOGRAM_HEAD, ...X_AXIS_FIELDS, 'entries', 'data'],
  th2: [...DIALS_HISTOGRAM_HEAD, ...X_AXIS_FIELDS, ...Y_AXIS_FIELDS, 'entries', 'data'],
  run: ['dataset_id', 'dataset', 'run_number', 'ls_count'],
  lumisection: ['dataset_id', 'dataset', 'run_number', 'ls_number', 'th1_count', 'th2_count'],
  mes: ['me_id', 'me', 'count', 'dim'],
  'file-index': [
    'dataset_id',
    'dataset',
    'file_id',
    'file_size',
    'creation_date',
    'last_modification_date',
    'logical_file_name',
    'status',
    'err_trace',
  ],
  'dataset-index': DIALS_DATASET_FIELDS,
};

/** Fields `order_by` accepts per endpoint (the serializer's scalar fields). */
export const ORDER_FIELDS: Record<DialsEndpoint, readonly string[]> = {
  th1: [...DIALS_KEY_ORDER_FIELDS, ...X_AXIS_FIELDS, 'entries'],
  th2: [...DIALS_KEY_ORDER_FIELDS, ...X_AXIS_FIELDS, ...Y_AXIS_FIELDS, 'entries'],
  run: ['dataset_id', 'run_number', 'ls_count'],
  lumisection: ['dataset_id', 'run_number', 'ls_number', 'th1_count', 'th2_count'],
  mes: [],
  // The related `dataset` name and the free-text `err_trace` are not orderable.
  'file-index': DIALS_RECORD_FIELDS['file-index'].filter((f) => f !== 'dataset' && f !== 'err_trace'),
  'dataset-index': DIALS_DATASET_FIELDS,
};

/** Named servers a DIALS `url` may be given as. */
export const DIALS_PRESETS = { prod: 'https://cmsdials-api.web.cern.ch' } as const;

/** Workspaces of the production deployment, for checks made before any request (the API lists them at `auth/workspaces/`). */
export const KNOWN_WORKSPACES = ['csc', 'ecal', 'egamma', 'hcal', 'jetmet', 'muon_staging', 'tracker'] as const;

/** How a stream of each DIALS endpoint can be cut (`slice.by` besides `none`). */
export const DIALS_SLICE_DIMENSIONS: Record<DialsEndpoint, readonly ('run' | 'run-range' | 'dataset' | 'me')[]> = {
  th1: ['run', 'run-range', 'dataset', 'me'],
  th2: ['run', 'run-range', 'dataset', 'me'],
  run: ['run', 'dataset'],
  lumisection: ['run', 'dataset'],
  mes: [],
  'file-index': ['dataset'],
  'dataset-index': [],
};
