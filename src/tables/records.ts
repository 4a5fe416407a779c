/**
 * JSON text of each record kind, field for field in the real server's order, rendered once when
 * the record is created (histograms are immutable, so their bytes can be reused by every page).
 */
import type { HistogramBase, NullableYAxis } from '../domain.js';
import { pyFloat, pyNumber } from './pyjson.js';

/** A creation timestamp: epoch microseconds (for `date` filters) and the ISO text DRF renders. */
export interface Timestamp {
  micros: number;
  iso: string;
}

let lastMicros = 0;

/** Now, with microseconds, strictly increasing (so creation order shows in the dates, as in PostgreSQL). */
export function now(): Timestamp {
  const micros = Math.max(Math.floor((performance.timeOrigin + performance.now()) * 1000), lastMicros + 1);
  lastMicros = micros;
  return timestampAt(micros);
}

/** The timestamp at `micros` since the epoch, as `2026-11-25T20:27:07.414957Z`. */
export function timestampAt(micros: number): Timestamp {
  const ms = Math.floor(micros / 1000);
  const iso = new Date(ms).toISOString().slice(0, -1) + String(micros % 1000).padStart(3, '0') + 'Z';
  return { micros, iso };
}

/** `{"run_number":N,"date":"..."}`. */
export function runJson(runNumber: number, date: Timestamp): Buffer {
  return Buffer.from(`{"run_number":${runNumber},"date":"${date.iso}"}`);
}

/** `{"run":N,"ls_number":N,"date":"..."}` (no id, as on the real server). */
export function lumisectionJson(runNumber: number, ls: number, date: Timestamp): Buffer {
  return Buffer.from(`{"run":${runNumber},"ls_number":${ls},"date":"${date.iso}"}`);
}

/** The fields of a histogram record other than `data` (the y fields only in 2D). */
export type HistogramFields = HistogramBase & Partial<NullableYAxis>;

/** Text before `data`: `{"id":..,"run":..,"lumisection":..,"title":..,"entries":..,"data":`. */
export function histogramHead(h: HistogramFields): string {
  return `{"id":${h.id},"run":${h.run},"lumisection":${h.lumisection},"title":${JSON.stringify(h.title)},"entries":${pyNumber(h.entries)},"data":`;
}

const optFloat = (v: number | null | undefined): string => (v === null || v === undefined ? 'null' : pyFloat(v));
const optInt = (v: number | null | undefined): string => (v === null || v === undefined ? 'null' : String(v));

/** Text after `data`: the axes (2D: `y_max` before `y_min`, as served) and `source_data_file`. */
export function histogramTail(h: HistogramFields, dim: 1 | 2): string {
  let s = `,"x_min":${pyFloat(h.x_min)},"x_max":${pyFloat(h.x_max)},"x_bin":${h.x_bin}`;
  if (dim === 2) s += `,"y_max":${optFloat(h.y_max)},"y_min":${optFloat(h.y_min)},"y_bin":${optInt(h.y_bin)}`;
  return s + `,"source_data_file":${h.source_data_file ?? 'null'}}`;
}
