/**
 * Identity of a record per endpoint, for deduplication and completeness counts: histograms and data
 * files by `id`, runs by `run_number`, lumisections (which have no id) by (run, ls_number).
 */
import type { Endpoint } from '../domain.js';
import { ServerError } from '../errors.js';

/** A record's identity within its endpoint. */
export type RecordKey = number | string;

/** The identity of `record`; a record without its identifying fields is a ServerError. */
export function recordKey(endpoint: Endpoint, record: unknown, url: string): RecordKey {
  const r = record as Record<string, unknown> | null;
  if (r && typeof r === 'object') {
    if (endpoint === 'runs') {
      if (typeof r.run_number === 'number') return r.run_number;
    } else if (endpoint === 'lumisections') {
      if (typeof r.run === 'number' && typeof r.ls_number === 'number') return `${r.run}:${r.ls_number}`;
    } else if (typeof r.id === 'number') {
      return r.id;
    }
  }
  const field = endpoint === 'runs' ? 'run_number' : endpoint === 'lumisections' ? 'run and ls_number' : 'id';
  throw new ServerError('E_BAD_RESPONSE', `record without ${field} in ${endpoint} list from ${url}`, { url });
}
