import { RecordBatchStreamWriter, type RecordBatch } from 'apache-arrow';
import * as P from 'parquet-wasm';
import { toRecordBatch, transformSpecFor } from '../src/transform/index.js';
import { pagePool } from './load-pages.js';
const N = 1000;
const texts = pagePool(N / 50, N);
const spec = transformSpecFor('lumisection_histograms_2d', { layout: 'tensor' });
const batches = texts.map((t) => toRecordBatch((JSON.parse(t) as { results: unknown[] }).results, spec).batch!);
const all = toRecordBatch(texts.flatMap((t) => (JSON.parse(t) as { results: unknown[] }).results), spec).batch!;
function ipcOf(b: RecordBatch): Uint8Array { const w = new RecordBatchStreamWriter(); w.write(b); return w.finish().toUint8Array(true); }
const small = batches.map(ipcOf); const big = [ipcOf(all)];
function props(rows: number) {
  let b = new P.WriterPropertiesBuilder().setCompression(P.Compression.ZSTD).setMaxRowGroupSize(rows).setDictionaryEnabled(false).setEncoding(P.Encoding.BYTE_STREAM_SPLIT).setStatisticsEnabled(P.EnabledStatistics.None);
  for (const n of ['id','run','lumisection','title','entries','x_min','x_max','x_bin','y_min','y_max','y_bin']) b = b.setColumnDictionaryEnabled(n, true).setColumnStatisticsEnabled(n, P.EnabledStatistics.Chunk).setColumnEncoding(n, P.Encoding.PLAIN);
  return b.build();
}
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
async function stream(ipcs: Uint8Array[], rows: number): Promise<number> {
  let i = 0;
  const rs = new ReadableStream({ pull(c) { if (i < ipcs.length) { const t = P.Table.fromIPCStream(ipcs[i++]); for (const b of t.recordBatches()) c.enqueue(b); t.free(); } else c.close(); } }, { highWaterMark: 0 });
  const out = (await P.transformParquetStream(rs, props(rows))) as ReadableStream<Uint8Array>;
  const r = out.getReader(); let n = 0;
  for (;;) { const { done, value } = await r.read(); if (done) break; n += value.byteLength; }
  return n;
}
for (let round = 0; round < 4; round++) {
  for (const [name, fn] of [
    ['writeParquet 1 batch', async () => { const t = P.Table.fromIPCStream(big[0]); return P.writeParquet(t, props(N)).byteLength; }],
    ['stream 1 batch', () => stream(big, N)],
    ['stream 20x50 rows, rg 4160', () => stream(small, 4160)],
    ['stream 20x50 rows, rg 1000', () => stream(small, N)],
    ['writeParquet 20x50 table', async () => { const t = P.Table.fromIPCStream(big[0]); return 0 + P.writeParquet(t, props(N)).byteLength; }],
  ] as const) {
    const c0 = cpu(); const bytes = await fn(); const c = cpu() - c0;
    if (round > 0) console.log(name.padEnd(30), ((c * 1000) / N).toFixed(0), 'us/rec', (bytes / 1e6).toFixed(2), 'MB');
  }
}
