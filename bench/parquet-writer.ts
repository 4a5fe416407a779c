/**
 * Parquet writer settings for the histogram `data` column, measured one by one: the same batches of
 * synthetic 2D 72 x 56 records (bench/load-pages.ts) written by parquet-wasm in this thread with each
 * variant of WriterProperties, CPU seconds (process.cpuUsage) and file size per variant, variants
 * interleaved within each round, best of the rounds. The baseline is the variant the encoder worker
 * uses today (src/load/parquet/worker.ts: BYTE_STREAM_SPLIT, no dictionary, no statistics on `data`).
 *
 * Run: `npm run build && node dist/bench/parquet-writer.js [--quick]`. Prints a table, then one JSON line.
 */
import { pathToFileURL } from 'node:url';
import { RecordBatchStreamWriter, type RecordBatch } from 'apache-arrow';
import * as P from 'parquet-wasm';
import { toRecordBatch, transformSpecFor, type Dtype } from '../src/transform/index.js';
import { RECORDS_PER_PAGE, pagePool } from './load-pages.js';

/** One writer variant. */
interface Variant {
  name: string;
  dtype: Dtype;
  /** Applied on top of the baseline builder. */
  tweak?: (b: P.WriterPropertiesBuilder) => P.WriterPropertiesBuilder;
  /** Replaces the BYTE_STREAM_SPLIT default of the data column. */
  encoding?: P.Encoding;
  compression?: P.Compression;
  /** Chunk statistics on `data` (min/max) instead of none. */
  dataStatistics?: P.EnabledStatistics;
}

const SCALARS = ['id', 'run', 'lumisection', 'title', 'entries', 'x_min', 'x_max', 'x_bin', 'y_min', 'y_max', 'y_bin'];

/** The worker's WriterProperties for histogram batches, with a variant applied. */
function properties(v: Variant, rows: number): P.WriterProperties {
  let b = new P.WriterPropertiesBuilder()
    .setCompression(v.compression ?? P.Compression.ZSTD)
    .setMaxRowGroupSize(rows)
    .setStatisticsEnabled(P.EnabledStatistics.Chunk)
    .setDictionaryEnabled(false)
    .setEncoding(v.encoding ?? P.Encoding.BYTE_STREAM_SPLIT)
    .setStatisticsEnabled(v.dataStatistics ?? P.EnabledStatistics.None);
  for (const name of SCALARS)
    b = b
      .setColumnDictionaryEnabled(name, true)
      .setColumnStatisticsEnabled(name, P.EnabledStatistics.Chunk)
      .setColumnEncoding(name, P.Encoding.PLAIN);
  if (v.tweak) b = v.tweak(b);
  return b.build();
}

const VARIANTS: Variant[] = [
  { name: 'baseline: float64, BSS, zstd, no data stats', dtype: 'float64' },
  { name: 'PLAIN instead of BSS', dtype: 'float64', encoding: P.Encoding.PLAIN },
  { name: 'chunk statistics on data', dtype: 'float64', dataStatistics: P.EnabledStatistics.Chunk },
  { name: 'page statistics (page index) on data', dtype: 'float64', dataStatistics: P.EnabledStatistics.Page },
  { name: 'data page 8 MiB', dtype: 'float64', tweak: (b) => b.setDataPageSizeLimit(8 << 20) },
  { name: 'data page 256 KiB', dtype: 'float64', tweak: (b) => b.setDataPageSizeLimit(256 << 10) },
  { name: 'write batch 8192', dtype: 'float64', tweak: (b) => b.setWriteBatchSize(8192) },
  { name: 'data page 128 KiB', dtype: 'float64', tweak: (b) => b.setDataPageSizeLimit(128 << 10) },
  { name: 'write batch 4096', dtype: 'float64', tweak: (b) => b.setWriteBatchSize(4096) },
  { name: 'write batch 32768', dtype: 'float64', tweak: (b) => b.setWriteBatchSize(32768) },
  {
    name: 'write batch 8192 + data page 256 KiB',
    dtype: 'float64',
    tweak: (b) => b.setWriteBatchSize(8192).setDataPageSizeLimit(256 << 10),
  },
  { name: 'snappy', dtype: 'float64', compression: P.Compression.SNAPPY },
  { name: 'uncompressed', dtype: 'float64', compression: P.Compression.UNCOMPRESSED },
  { name: 'float32, BSS, zstd', dtype: 'float32' },
  { name: 'float32, PLAIN, zstd', dtype: 'float32', encoding: P.Encoding.PLAIN },
];

/** The batch of `records` synthetic records as one Arrow IPC stream (what the worker receives). */
function ipcOf(batch: RecordBatch): Uint8Array {
  const writer = new RecordBatchStreamWriter();
  writer.write(batch);
  return writer.finish().toUint8Array(true);
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs the benchmark and prints a table plus one JSON line. */
export function main(quick: boolean): void {
  const records = quick ? 500 : 1000;
  const rounds = quick ? 2 : 4;
  const texts = pagePool(records / RECORDS_PER_PAGE, records);
  const recs = texts.flatMap((t) => (JSON.parse(t) as { results: unknown[] }).results);
  const ipc: Record<Dtype, Uint8Array> = {
    float64: ipcOf(toRecordBatch(recs, transformSpecFor('lumisection_histograms_2d', { layout: 'tensor' })).batch!),
    float32: ipcOf(
      toRecordBatch(recs, transformSpecFor('lumisection_histograms_2d', { layout: 'tensor', dtype: 'float32' })).batch!,
    ),
  };
  const best = VARIANTS.map(() => Infinity);
  const bytes = VARIANTS.map(() => 0);
  // One warm-up write per variant (wasm tier-up), then the measured rounds.
  for (let r = -1; r < rounds; r++) {
    VARIANTS.forEach((v, i) => {
      const table = P.Table.fromIPCStream(ipc[v.dtype]);
      const props = properties(v, records);
      const c0 = cpuSeconds();
      const out = P.writeParquet(table, props);
      const cpu = cpuSeconds() - c0;
      if (r >= 0) best[i] = Math.min(best[i]!, cpu);
      bytes[i] = out.byteLength;
      // Read back: every variant must stay a valid file with all rows.
      const back = P.readParquet(out);
      const read = back.recordBatches().reduce((n, b) => n + b.numRows, 0);
      // Wasm memory is not garbage collected: free the read-back table now.
      back.free();
      if (read !== records) throw new Error(`bench: ${v.name} wrote ${read} rows, expected ${records}`);
    });
  }
  const base = best[0]!;
  console.log(
    `parquet-writer bench: ${records} 2D 72x56 records (tensor), parquet-wasm in this thread, best of ${rounds}${quick ? ' (quick)' : ''}`,
  );
  const rows = VARIANTS.map((v, i) => ({
    variant: v.name,
    usPerRecord: (best[i]! * 1e6) / records,
    cpuRatio: best[i]! / base,
    mb: bytes[i]! / 1e6,
  }));
  for (const r of rows)
    console.log(
      `${r.variant.padEnd(44)} ${r.usPerRecord.toFixed(0).padStart(5)} us/rec  x${r.cpuRatio.toFixed(2)}  ${r.mb.toFixed(2).padStart(7)} MB`,
    );
  process.stdout.write(JSON.stringify({ bench: 'parquet-writer', quick, records, rounds, variants: rows }) + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.includes('--quick'));
