/**
 * A small DQM-Playground-like list server for executor tests, with knobs the shared local server may
 * not have: an exact page size, envelope variants (total, count, none), absolute `next` links, a
 * fresh random order on every request, ids counted but never served, and a per-request fault hook.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Histogram1D, Lumisection, Run } from '../../src/domain.js';
import { sendJson, startTestServer, type TestServer } from './http-server.js';

export interface Dataset {
  runs: Run[];
  lumisections: Lumisection[];
  h1d: Histogram1D[];
}

/** runs x ls x titles synthetic 1D histograms, ids 1..n in (run, ls, title) order. */
export function syntheticDataset(runNumbers: number[], lsPerRun: number, titles: string[]): Dataset {
  const runs = runNumbers.map((run_number) => ({ run_number, date: '2026-01-01T00:00:00Z' }));
  const lumisections: Lumisection[] = [];
  const h1d: Histogram1D[] = [];
  for (const run of runNumbers) {
    for (let ls = 1; ls <= lsPerRun; ls++) {
      lumisections.push({ run, ls_number: ls, date: '2026-01-01T00:00:00Z' });
      for (const title of titles) {
        h1d.push({
          id: h1d.length + 1,
          run,
          lumisection: ls,
          title,
          entries: ls,
          data: [1, 2, 3],
          x_min: 0,
          x_max: 1,
          x_bin: 3,
          source_data_file: 1,
        });
      }
    }
  }
  return { runs, lumisections, h1d };
}

export interface FakeOptions {
  perPage?: number;
  envelope?: 'total' | 'count' | 'none';
  absoluteNext?: boolean;
  /** New random order of the histogram list on every request (the real server's lists are unordered). */
  shuffle?: boolean;
  /** Histogram ids counted in `total` but never served. */
  hiddenIds?: number[];
  /** Histograms served but not counted in `total` (the data grew). */
  extraIds?: number[];
  /**
   * Answer nothing until this many requests have been in flight at once (then answer as usual), so
   * a test of the client's concurrency does not depend on how fast it sends under load. After 10 s
   * without reaching it, the held requests are answered anyway (and `maxInFlight` says how far it got).
   */
  holdUntilInFlight?: number;
  /** Called first; return true when it answered the request itself (a fault). */
  fault?: (req: IncomingMessage, res: ServerResponse, n: number) => boolean;
  latencyMs?: number;
}

export interface FakeDqm extends TestServer {
  /** Requests per path prefix, e.g. `lumisection_histograms_1d`. */
  count(endpoint: string): number;
  /** Most requests being answered at the same time. */
  maxInFlight(): number;
}

function numbers(v: string | null): number[] | null {
  return v === null ? null : v.split(',').map(Number);
}

function filterHistograms(all: Histogram1D[], q: URLSearchParams): Histogram1D[] {
  const runEq = q.get('lumisection__run__run_number');
  const runGte = q.get('lumisection__run__run_number__gte');
  const runLte = q.get('lumisection__run__run_number__lte');
  const runIn = numbers(q.get('lumisection__run__run_number__in'));
  const lsEq = q.get('lumisection__ls_number');
  const lsGte = q.get('lumisection__ls_number__gte');
  const lsLte = q.get('lumisection__ls_number__lte');
  const lsIn = numbers(q.get('lumisection__ls_number__in'));
  const titles = q.getAll('title');
  return all.filter(
    (h) =>
      (runEq === null || h.run === Number(runEq)) &&
      (runGte === null || h.run >= Number(runGte)) &&
      (runLte === null || h.run <= Number(runLte)) &&
      (runIn === null || runIn.includes(h.run)) &&
      (lsEq === null || h.lumisection === Number(lsEq)) &&
      (lsGte === null || h.lumisection >= Number(lsGte)) &&
      (lsLte === null || h.lumisection <= Number(lsLte)) &&
      (lsIn === null || lsIn.includes(h.lumisection)) &&
      (titles.length === 0 || titles.includes(h.title)),
  );
}

function shuffled<T>(items: T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Starts the fake server over `data`. */
export async function startFakeDqm(data: Dataset, options: FakeOptions = {}): Promise<FakeDqm> {
  const perPage = options.perPage ?? 50;
  const counts = new Map<string, number>();
  const hidden = new Set(options.hiddenIds ?? []);
  const extra = new Set(options.extraIds ?? []);
  let inFlight = 0;
  let maxInFlight = 0;
  let filled!: () => void;
  const full = new Promise<void>((r) => (filled = r));
  const fallback = options.holdUntilInFlight ? setTimeout(filled, 10_000) : undefined;
  const server = await startTestServer(async (req, res, _body, n) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    if (options.holdUntilInFlight) {
      if (maxInFlight >= options.holdUntilInFlight) {
        clearTimeout(fallback);
        filled();
      }
      await full;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const endpoint = url.pathname.split('/')[2] ?? '';
    counts.set(endpoint, (counts.get(endpoint) ?? 0) + 1);
    if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
    if (options.fault?.(req, res, n)) return;
    const q = url.searchParams;
    let rows: unknown[];
    let total: number;
    if (endpoint === 'runs') {
      rows = data.runs.filter((r) => !q.has('run_number') || r.run_number === Number(q.get('run_number')));
      total = rows.length;
    } else if (endpoint === 'lumisections') {
      rows = data.lumisections.filter((l) => !q.has('run') || l.run === Number(q.get('run')));
      total = rows.length;
    } else if (endpoint === 'lumisection_histograms_1d') {
      const matching = filterHistograms(data.h1d, q);
      const served = matching.filter((h) => !hidden.has(h.id));
      total = matching.filter((h) => !extra.has(h.id)).length;
      rows = options.shuffle ? shuffled(served) : served;
    } else {
      sendJson(res, 404, { detail: 'Not found.' });
      return;
    }
    const page = q.has('page') ? Number(q.get('page')) : 1;
    const pages = Math.max(1, Math.ceil(rows.length / perPage));
    if (!Number.isInteger(page) || page < 1 || page > pages) {
      sendJson(res, 404, { detail: 'Invalid page.' });
      return;
    }
    const results = rows.slice((page - 1) * perPage, page * perPage);
    let next: string | null = null;
    if (page < pages) {
      const nq = new URLSearchParams(q);
      nq.set('page', String(page + 1));
      next = `${options.absoluteNext ? `http://internal.example:8000` : ''}${url.pathname}?${nq}`;
    }
    const envelope = options.envelope ?? 'total';
    const body: Record<string, unknown> = { next, previous: null, results };
    if (envelope === 'total')
      Object.assign(body, { total, per_page: perPage, total_pages: Math.round((total / perPage) * 10) / 10 });
    if (envelope === 'count') body.count = total;
    sendJson(res, 200, body);
  });
  return Object.assign(server, { count: (e: string) => counts.get(e) ?? 0, maxInFlight: () => maxInFlight });
}
