/**
 * An open ml4dqm-csv source: its files, its worker pool, and a DqmClient for what is not streamed.
 * Histogram streams run through `runCsvStream` (streamed, both cores); runs and lumisections
 * streams are tiny and keep going through the embedded server's handlers in process, over tables
 * filled from the fast scans (runs and lumisections only: no histogram is held in memory).
 *
 * The narrow entry other source kinds can fit: `csvSessionOf(client)` says whether a client is a
 * CSV source; the pipeline then runs its histogram streams with `runCsvStream(stream, ...)`
 * (src/pipeline/run-csv-stream.ts), which takes record batches per slice from the session's files.
 */
import { isHistogramEndpoint } from '../../domain.js';
import { DqmExportError } from '../../errors.js';
import type { DqmClient } from '../../extract/index.js';
import type { ServerData } from '../../server/handlers/context.js';
import { DataFileTable } from '../../tables/datafiles.js';
import { CsvStore } from '../../tables/store.js';
import { createCsvClient } from './csv-client.js';
import { DEFAULT_READ_SETTINGS, scanFiles } from './file-scans.js';
import { defaultParseWorkers } from './lanes.js';
import type { BadRowPolicy } from './parse-range.js';
import { CsvWorkerPool } from './worker-pool.js';

/** What a CSV source is opened with. */
export interface CsvSessionOptions {
  /** Absolute, sorted, distinct. */
  files: string[];
  /** Deepest directory holding the files. */
  root: string;
  /** file:// URL of `root`. */
  baseUrl: string;
  /** Names the source in errors. */
  description: string;
  dim?: 1 | 2;
  badRows?: BadRowPolicy;
  /** Parse workers (default: the cores the encoders leave, `defaultParseWorkers`). */
  workers?: number;
  /** Page concurrency of the in-process client (runs, lumisections). */
  concurrency?: number;
}

/** An open CSV source. */
export interface CsvSession {
  readonly options: CsvSessionOptions;
  /** The worker pool (started on first use). */
  pool(): CsvWorkerPool;
  close(): Promise<void>;
}

const sessions = new WeakMap<DqmClient, CsvSession>();

/** The CSV session behind a client, if the client is a CSV source's. */
export function csvSessionOf(client: DqmClient): CsvSession | undefined {
  return sessions.get(client);
}

/** Opens the session and its client (runs and lumisections served in process). */
export function openCsvSession(o: CsvSessionOptions): DqmClient {
  let pool: CsvWorkerPool | null = null;
  const session: CsvSession = {
    options: o,
    pool: () => (pool ??= new CsvWorkerPool(o.workers ?? defaultParseWorkers())),
    close: async () => {
      await pool?.close();
      pool = null;
    },
  };

  // Runs and lumisections tables, filled from the scans on first use, in file order as the server would.
  const table = new DataFileTable();
  const store = new CsvStore(table);
  const data: ServerData = {
    files: table,
    runs: store.runs,
    lumisections: store.lumisections,
    h1d: store.h1d,
    h2d: store.h2d,
    readOnly: true,
  };
  let filled: Promise<void> | null = null;
  const fill = (): Promise<void> =>
    (filled ??= (async () => {
      const scans = await scanFiles(session.pool(), o.files, o.dim, DEFAULT_READ_SETTINGS);
      scans.forEach((scan, k) => {
        table.register(o.files[k], scan.size);
        for (let i = 0; i < scan.rows; i++) if (scan.dims[i] !== 0) store.lumisections.ensure(scan.run[i], scan.ls[i]);
      });
    })());
  const inner = createCsvClient(data, { baseUrl: o.baseUrl, concurrency: o.concurrency, description: o.description });
  const streamed = (endpoint: string): void => {
    if (isHistogramEndpoint(endpoint as never)) {
      throw new DqmExportError(
        'E_SOURCE_OPERATION',
        'internal',
        `${o.description}: histogram records of CSV files are streamed by runCsvStream, not served page by page`,
      );
    }
  };
  const client: DqmClient = {
    ...inner,
    stats: inner.stats,
    listPage: async (endpoint, filters, page, opts) => {
      streamed(endpoint);
      await fill();
      return inner.listPage(endpoint, filters, page, opts);
    },
    listNext: async (endpoint, next, opts) => {
      streamed(endpoint);
      await fill();
      return inner.listNext(endpoint, next, opts);
    },
    listAll: (async (
      endpoint: Parameters<DqmClient['listAll']>[0],
      filters?: Parameters<DqmClient['listAll']>[1],
      opts?: Parameters<DqmClient['listAll']>[2],
    ) => {
      streamed(endpoint);
      await fill();
      return inner.listAll(endpoint, filters, opts);
    }) as DqmClient['listAll'],
    getRun: async (run, opts) => {
      await fill();
      return inner.getRun(run, opts);
    },
    getLumisection: async (id, opts) => {
      await fill();
      return inner.getLumisection(id, opts);
    },
    close: async () => {
      await inner.close();
      await session.close();
    },
  };
  sessions.set(client, session);
  return client;
}
