/**
 * Faults: many seeded runs against a server that shuffles every histogram list, fails 10 % of the
 * requests (500/502/503/429), resets 2 %, truncates 2 %, and adds 5 ms + up to 20 ms of latency.
 * Every run's dataset must equal a fault-free run's, partition by partition (DuckDB checksums over
 * every value), with no id twice, and every injected fault must show up as exactly one counted
 * retry. One seed runs the real thing: `dqm-export serve` with those flags and `dqm-export run`.
 *
 * In-process runs (startServer + runPipeline) over small generated CSVs keep 20 runs inside CI's
 * budget; SOAK=1 runs 100 seeds over bigger CSVs plus 20 over the bundled sample and 20 over a
 * larger synthetic 2D set.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerOptions } from '../../src/server/index.js';
import { closeDuckDB } from '../helpers/duckdb.js';
import { spawnServeCli } from '../helpers/server.js';
import {
  HISTOGRAM_STREAMS,
  captureLogger,
  completeDatasetViolations,
  datasetChecksums,
  logEntries,
  pipelineYaml,
  runCli,
  runInProcess,
  soakScale,
  removeTempDirs,
  tempDir,
  writePipeline,
  writeCsvData,
  type CsvDataShape,
  type PartitionChecksum,
  type StreamYaml,
} from './helpers.js';

/** The fault profile of issue #7 (`serve --shuffle --fail-rate 0.1 --reset-rate 0.02 --truncate-rate 0.02 --latency-ms 5 --jitter-ms 20`). */
const FAULTS: ServerOptions = {
  shuffle: true,
  failRate: 0.1,
  resetRate: 0.02,
  truncateRate: 0.02,
  latencyMs: 5,
  jitterMs: 20,
};
const FAULT_FLAGS = [
  '--shuffle',
  '--fail-rate',
  '0.1',
  '--reset-rate',
  '0.02',
  '--truncate-rate',
  '0.02',
  '--latency-ms',
  '5',
  '--jitter-ms',
  '20',
];

interface DataSet {
  name: string;
  /** Server options that decide the data (faults come on top); may write CSV files into `dir`. */
  server: (dir: string) => Promise<ServerOptions>;
  streams: StreamYaml[];
  /** Records per stream, as the server holds them. */
  records: Record<string, number>;
  seeds: number[];
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
/** Five seeds run at once (vitest's default concurrency): a soak-sized run may wait on the others. */
const TEST_TIMEOUT_MS = soakScale(120_000, 900_000);

/** Generated CSVs: 3 runs x 12 LS x 2 titles per dimensionality in CI, 6 x 40 x 3 in the soak. */
const SMALL: CsvDataShape = soakScale(
  { runs: 3, ls: 12, titles: 2, x1: 20, x2: 10, y2: 8 },
  { runs: 6, ls: 40, titles: 3, x1: 100, x2: 56, y2: 72 },
);
const SMALL_RECORDS = SMALL.runs * SMALL.ls * SMALL.titles;

const DATA_SETS: DataSet[] = [
  // 6 records per page: about 40 requests per run before repairs, so every run sees faults.
  {
    name: 'generated CSVs',
    server: async (dir) => {
      await writeCsvData(dir, SMALL);
      return { dataDirs: [dir], pageSize: soakScale(6, 20) };
    },
    streams: HISTOGRAM_STREAMS,
    records: { h1d: SMALL_RECORDS, h2d: SMALL_RECORDS },
    seeds: range(1, soakScale(20, 100)),
  },
  ...soakScale<DataSet[]>(
    [],
    [
      // The bundled sample: real 1D TEC histograms and 56 x 72 2D pixel maps.
      {
        name: 'sample',
        server: async () => ({ pageSize: 10 }),
        streams: HISTOGRAM_STREAMS,
        records: { h1d: 249, h2d: 240 },
        seeds: range(500, 20),
      },
      {
        name: 'synthetic 2D',
        server: async () => ({ synthetic: 'runs=8,ls=60,titles=3,dim=2,x=56,y=72', pageSize: 25 }),
        streams: [
          {
            name: 'h2d',
            endpoint: 'lumisection_histograms_2d',
            slice: '{by: run-range, size: 3}',
            transform: '{layout: tensor, dtype: float32}',
            partitionBy: ['run'],
          },
        ],
        records: { h2d: 8 * 60 * 3 },
        seeds: range(1000, 20),
      },
    ],
  ),
];

afterAll(async () => {
  closeDuckDB();
  await removeTempDirs();
});

for (const data of DATA_SETS) {
  describe(`faults on ${data.name}`, () => {
    const reference: Record<string, PartitionChecksum[]> = {};
    let pipelineDir = '';
    let pipeline = '';
    let dataOptions: ServerOptions = {};

    beforeAll(async () => {
      pipelineDir = await tempDir();
      pipeline = await writePipeline(pipelineDir, pipelineYaml(data.streams));
      dataOptions = await data.server(pipelineDir);
      const server = await startServer({ port: 0, ...dataOptions });
      try {
        const out = await tempDir();
        const summary = await runInProcess(pipeline, { url: server.url, token: server.userToken, outDir: out });
        expect(summary.streams.map((s) => [s.stream, s.records, s.retries])).toEqual(
          data.streams.map((s) => [s.name, data.records[s.name], 0]),
        );
        for (const s of data.streams) {
          reference[s.name] = await datasetChecksums(join(out, s.name));
          expect(reference[s.name].reduce((n, p) => n + p.rows, 0)).toBe(data.records[s.name]);
        }
      } finally {
        await server.close();
      }
    }, TEST_TIMEOUT_MS);

    it.concurrent.each(data.seeds)(
      'seed %i: the dataset equals the fault-free one, every fault is one counted retry',
      async (seed) => {
        const serverLog: string[] = [];
        const clientLog: string[] = [];
        const server = await startServer({
          port: 0,
          ...dataOptions,
          ...FAULTS,
          seed,
          logger: captureLogger(serverLog),
        });
        let summary;
        const out = await tempDir();
        try {
          summary = await runInProcess(pipeline, {
            url: server.url,
            token: server.userToken,
            outDir: out,
            logger: captureLogger(clientLog),
          });
        } finally {
          await server.close();
        }
        for (const s of data.streams) {
          const root = join(out, s.name);
          expect(await completeDatasetViolations(root)).toEqual([]);
          const checksums = await datasetChecksums(root);
          expect(checksums.filter((p) => p.ids !== p.rows)).toEqual([]);
          expect(checksums).toEqual(reference[s.name]);
        }
        // The server logs each response with the fault it injected; the client logs each retry.
        const injected = logEntries(serverLog, 'request').filter(
          (e) => e.fault === 'fail' || e.fault === 'reset' || e.fault === 'truncate',
        );
        const retried = logEntries(clientLog, 'retrying request');
        expect(injected.length).toBeGreaterThan(0);
        expect(retried.length).toBe(injected.length);
        // The summary counts every retry of the run, planning requests included.
        const counted = summary.streams.reduce((n, s) => n + s.retries, 0);
        expect(counted).toBe(retried.length);
        expect(summary.streams.map((s) => s.records)).toEqual(data.streams.map((s) => data.records[s.name]));
      },
      TEST_TIMEOUT_MS,
    );

    if (data === DATA_SETS[0]) {
      it('the real processes: `dqm-export serve` with the fault flags, `dqm-export run` against it', async () => {
        const served = await spawnServeCli([
          ...FAULT_FLAGS,
          '--data',
          pipelineDir,
          '--page-size',
          String(dataOptions.pageSize),
          '--seed',
          '4242',
        ]);
        try {
          const out = await tempDir();
          const res = await runCli(['run', pipeline, '--out', out, '--log-level', 'debug'], {
            env: { DQM_PLAYGROUND_URL: served.url, DQM_PLAYGROUND_TOKEN: served.userToken },
          });
          expect(res.code, res.stderr).toBe(0);
          const summary = JSON.parse(res.stdout.trim().split('\n').pop()!) as {
            streams: { records: number; retries: number }[];
          };
          expect(summary.streams.map((s) => s.records)).toEqual([SMALL_RECORDS, SMALL_RECORDS]);
          expect(summary.streams.reduce((n, s) => n + s.retries, 0)).toBeGreaterThan(0);
          expect(res.stderr.split('\n').filter((l) => l.includes('"retrying request"')).length).toBeGreaterThan(0);
          for (const s of data.streams) {
            expect(await completeDatasetViolations(join(out, s.name))).toEqual([]);
            expect(await datasetChecksums(join(out, s.name))).toEqual(reference[s.name]);
          }
        } finally {
          await served.close();
        }
      });
    }
  });
}
