/** The warm-up batch a worker started ahead encodes: the columns and types of a real 1D batch. */
import { Worker } from 'node:worker_threads';
import { tableFromIPC } from 'apache-arrow';
import { expect, test } from 'vitest';
import type { WorkerReply } from '../../src/load/parquet/protocol.js';
import { warmUp } from '../../src/load/parquet/warm-up.js';
import { parquetWasmUrl, workerScriptUrl } from '../../src/load/parquet/worker-script.js';
import { arrowSchemaFor, transformSpecFor } from '../../src/transform/index.js';

test('the warm-up batch has the schema of a default lumisection_histograms_1d batch', () => {
  const table = tableFromIPC(warmUp().ipc);
  const expected = arrowSchemaFor(transformSpecFor('lumisection_histograms_1d'));
  const describe = (f: { name: string; type: unknown; nullable: boolean }) =>
    `${f.name}:${String(f.type)}:${f.nullable}`;
  expect(table.schema.fields.map(describe)).toEqual(expected.fields.map(describe));
  expect(table.numRows).toBe(2);
});

test('the warm-up plan sets every scalar column, as a real 1D export does', () => {
  const { plan, ipc } = warmUp();
  const scalars = tableFromIPC(ipc)
    .schema.fields.map((f) => f.name)
    .filter((name) => name !== 'data');
  expect(plan.columns.map((c) => c.name)).toEqual(scalars);
  expect(plan).toMatchObject({ compression: 'zstd', floatLists: true });
});

test('a worker given the warm-up encodes it without error', async () => {
  const worker = new Worker(workerScriptUrl(), { workerData: { parquetWasmUrl: parquetWasmUrl(), warmUp: warmUp() } });
  try {
    const reply = await new Promise<WorkerReply>((resolve, reject) => {
      worker.on('message', (m: WorkerReply) => {
        if (m.type === 'warmed' || m.type === 'fatal') resolve(m);
      });
      worker.once('error', reject);
    });
    expect(reply).toEqual({ type: 'warmed' });
  } finally {
    await worker.terminate();
  }
}, 60_000);
