/**
 * The DIALS endpoints over one workspace's data: lists (filters, `order_by`, cursor pages,
 * `fields`), details by natural key, `count/` actions, and `mes/` (a plain list, no paging). The
 * order of checks is the real one: filters (400), cursor (404), `order_by` (500), then the query
 * (500 for an invalid regex or an unusable cursor position).
 */
import { rebuildQuery } from '../pagination.js';
import type { Reply } from '../http.js';
import { CursorFault, decodeCursor, encodeCursor, paginate, pyInt, type Cursor, type OrderTerm } from './cursor.js';
import { parseDialsFilters, type FilteredEndpoint, type QueryPairs } from './filters.js';
import { dialsDetail, dialsHtmlServerError, dialsJson } from './http.js';
import {
  appendList,
  appendRecord,
  COLUMNS,
  orderableOf,
  selectColumns,
  type RecordKind,
  type RecordOf,
} from './render.js';
import type { DialsDb } from './view.js';

/** One request, as the handlers need it. */
export interface DialsRequest {
  /** Raw (percent-encoded) path, for the links. */
  path: string;
  pairs: QueryPairs;
  /** `scheme://host` of the request (links are absolute). */
  base: string;
  /** The request bore an `Authorization` header (`Vary`). */
  authorization: boolean;
}

/** Page size when the request gives none or a bad one (settings PAGE_SIZE). */
export const DEFAULT_PAGE_SIZE = 10;
/** Largest page (the pagination's max_page_size). */
export const MAX_PAGE_SIZE = 500;

/** Natural key (default ordering) of each paginated list. */
const NATURAL: Record<PagedKind, string[]> = {
  th1: ['dataset_id', 'run_number', 'ls_number', 'me_id'],
  th2: ['dataset_id', 'run_number', 'ls_number', 'me_id'],
  run: ['dataset_id', 'run_number'],
  lumisection: ['dataset_id', 'run_number', 'ls_number'],
  'file-index': ['dataset_id', 'file_id'],
  'dataset-index': ['dataset_id'],
};

/** Paginated list endpoints. */
export type PagedKind = Exclude<RecordKind, 'mes' | 'run-mes'>;

function last(pairs: QueryPairs, key: string): string | undefined {
  let v: string | undefined;
  for (const [k, value] of pairs) if (k === key) v = value;
  return v;
}

/** DRF's page size: `page_size` as a positive Python int, at most 500; anything else gives 10. */
export function pageSizeOf(pairs: QueryPairs): number {
  const raw = last(pairs, 'page_size');
  const n = raw === undefined ? undefined : pyInt(raw);
  return n === undefined || n <= 0 ? DEFAULT_PAGE_SIZE : Math.min(n, MAX_PAGE_SIZE);
}

function recordsOf<K extends PagedKind>(db: DialsDb, kind: K): readonly RecordOf[K][] {
  const lists = {
    th1: db.th1,
    th2: db.th2,
    run: db.runs,
    lumisection: db.lumisections,
    'file-index': db.files,
    'dataset-index': db.datasets,
  };
  return lists[kind] as unknown as readonly RecordOf[K][];
}

const get = (r: unknown, field: string): unknown => (r as Record<string, unknown>)[field];

/** Filtered records, or the 400/500 reply. */
function filtered<T>(
  endpoint: FilteredEndpoint,
  records: readonly T[],
  pairs: QueryPairs,
): { rows: readonly T[]; regexError?: Error } | { reply: Reply } {
  const f = parseDialsFilters<T>(endpoint, pairs, get);
  if ('errors' in f) return { reply: dialsJson(400, JSON.stringify(f.errors)) };
  return { rows: f.none ? records : records.filter(f.test), regexError: f.regexError };
}

/** A list page: `{"next", "previous", "results"}`. */
export function listReply(db: DialsDb, kind: PagedKind, req: DialsRequest): Reply {
  const f = filtered(kind, recordsOf(db, kind), req.pairs);
  if ('reply' in f) return f.reply;
  const pageSize = pageSizeOf(req.pairs);
  const token = last(req.pairs, 'next_token');
  let cursor: Cursor | undefined;
  if (token !== undefined) {
    cursor = decodeCursor(token);
    if (!cursor) return dialsJson(404, JSON.stringify({ detail: 'Invalid cursor' }));
  }
  const orderable = orderableOf(kind);
  const orderBy = req.pairs.filter(([k]) => k === 'order_by').map(([, v]) => v);
  const ordering: OrderTerm[] = orderBy.length
    ? orderBy.map((t) => ({ field: t.replace(/^-/, ''), desc: t.startsWith('-') }))
    : NATURAL[kind].map((field) => ({ field, desc: false }));
  if (ordering.some((t) => orderable.kind(t.field) === undefined) || f.regexError) return dialsHtmlServerError();
  let page;
  try {
    // Lists are kept in natural-key order: without order_by no sort is needed.
    page = paginate(f.rows, ordering, cursor, pageSize, orderable as never, orderBy.length === 0);
  } catch (err) {
    if (err instanceof CursorFault) return dialsHtmlServerError();
    throw err;
  }
  const link = (c: Cursor | null): string =>
    c ? JSON.stringify(`${req.base}${req.path}?${rebuildQuery(req.pairs, 'next_token', encodeCursor(c))}`) : 'null';
  const parts = [Buffer.from(`{"next":${link(page.next)},"previous":${link(page.previous)},"results":`)];
  appendList(selectColumns(kind, last(req.pairs, 'fields')), page.page, parts);
  parts.push(Buffer.from('}'));
  return dialsJson(200, parts, { cached: true, authorization: req.authorization });
}

/** `count/`: `{"count": N}` of the filtered list (not cached). */
export function countReply(db: DialsDb, kind: 'run' | 'lumisection' | 'file-index', req: DialsRequest): Reply {
  const f = filtered(kind, recordsOf(db, kind), req.pairs);
  if ('reply' in f) return f.reply;
  if (f.regexError) return dialsHtmlServerError();
  return dialsJson(200, `{"count":${f.rows.length}}`);
}

const MODEL_NAMES: Record<PagedKind | 'mes', string> = {
  th1: 'TH1',
  th2: 'TH2',
  run: 'Run',
  lumisection: 'Lumisection',
  'file-index': 'FileIndex',
  'dataset-index': 'DatasetIndex',
  mes: 'MEs',
};

/** Detail by natural key (`ids` from the path, digits only); `fields` is ignored, as on the real server. */
export function detailReply(db: DialsDb, kind: PagedKind, ids: number[], req: DialsRequest): Reply {
  const key = kind === 'dataset-index' ? ['dataset_id'] : NATURAL[kind];
  const found = recordsOf(db, kind).find((r) => key.every((k, i) => get(r, k) === ids[i]));
  if (!found) return dialsDetail(404, `No ${MODEL_NAMES[kind]} matches the given query.`);
  const parts: Buffer[] = [];
  appendRecord(COLUMNS[kind], found, parts);
  return dialsJson(200, parts, { cached: true, authorization: req.authorization });
}

/** `mes/`: every ME matching the filters, as a plain list (no envelope, no paging; `fields` applies). */
export function mesListReply(db: DialsDb, req: DialsRequest): Reply {
  const f = filtered('mes', db.mes, req.pairs);
  if ('reply' in f) return f.reply;
  if (f.regexError) return dialsHtmlServerError();
  const parts: Buffer[] = [];
  appendList(selectColumns('mes', last(req.pairs, 'fields')), f.rows, parts);
  return dialsJson(200, parts, { cached: true, authorization: req.authorization });
}

/** `mes/{me_id}/`. */
export function mesDetailReply(db: DialsDb, meId: number, req: DialsRequest): Reply {
  const me = db.mes.find((m) => m.me_id === meId);
  if (!me) return dialsDetail(404, 'No MEs matches the given query.');
  const parts: Buffer[] = [];
  appendRecord(COLUMNS.mes, me, parts);
  return dialsJson(200, parts, { cached: true, authorization: req.authorization });
}

/** `mes/{dataset_id}/{run}/`: the MEs with rows in that run; an unknown run is a 500 there. */
export function runMesReply(db: DialsDb, datasetId: number, run: number): Reply {
  if (!db.runs.some((r) => r.dataset_id === datasetId && r.run_number === run)) return dialsHtmlServerError();
  const ids = new Set<number>();
  for (const h of [...db.th1, ...db.th2]) if (h.dataset_id === datasetId && h.run_number === run) ids.add(h.me_id);
  const parts: Buffer[] = [];
  appendList(
    COLUMNS['run-mes'],
    db.mes.filter((m) => ids.has(m.me_id)),
    parts,
  );
  return dialsJson(200, parts);
}
