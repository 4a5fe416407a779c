/**
 * What a different Parquet encoder would give (issue #16's "done means": a goal out of reach on 2
 * cores must show what a different encoder would give). The encoder worker's cost per 2D record is
 * measured against JSON.parse of the same records (P), next to a lower bound for a native encoder of
 * the histogram `data` column: BYTE_STREAM_SPLIT done in JavaScript and the split bytes compressed
 * with native zstd level 1 (Node's `zlib.zstdCompressSync`, Node >= 22.15; the 1 MiB pieces are
 * arrow-rs's default data page size). The lower bound leaves out the few scalar columns, the page
 * headers and the footer (a few us per record), so a real native writer would cost a little more.
 *
 * The row "parquet-wasm UNCOMPRESSED + native zstd" is what the encoder worker did for small row
 * groups before the own writer (src/load/parquet/page-recompressor.ts): parquet-wasm writes the
 * pages uncompressed and each page is compressed with native zstd (node:zlib, or zstd-napi on Node
 * 20) and the footer rewritten. The row "own writer" is what it does now for the files it supports
 * (src/load/parquet/own-writer.ts): the same file, built in JavaScript, pages compressed as built.
 *
 * All in this thread, CPU seconds (process.cpuUsage), variants interleaved within each round, best
 * of the rounds. Run: `npm run build && node dist/bench/encoder-alternatives.js [--quick]`, and
 * under Node 22 or 24 for the native rows (`npx -y -p node@24 node dist/bench/encoder-alternatives.js`).
 * Prints a table, then one JSON line.
 */
import { pathToFileURL } from 'node:url';
import * as zlib from 'node:zlib';
import { RecordBatchStreamWriter, type RecordBatch } from 'apache-arrow';
import * as P from 'parquet-wasm';
import { loadNativeZstd } from '../src/load/parquet/native-zstd.js';
import { byteStreamSplit as splitStreams } from '../src/load/parquet/own-float-lists.js';
import { OwnParquetWriter } from '../src/load/parquet/own-writer.js';
import { PageRecompressor } from '../src/load/parquet/page-recompressor.js';
import { planParquetWriter } from '../src/load/parquet/parquet-encoder.js';
import { toRecordBatch, transformSpecFor, type Dtype } from '../src/transform/index.js';
import { RECORDS_PER_PAGE, pagePool } from './load-pages.js';

const PAGE_BYTES = 1 << 20;
const SCALARS = ['id', 'run', 'lumisection', 'title', 'entries', 'x_min', 'x_max', 'x_bin', 'y_min', 'y_max', 'y_bin'];

/** Node's native zstd, when the runtime has it (22.15+, 23.8+). */
type ZstdCompress = (buf: Uint8Array, options: { params: Record<number, number> }) => Buffer;
const zstdCompress = (zlib as unknown as { zstdCompressSync?: ZstdCompress }).zstdCompressSync;
const ZSTD_LEVEL = (zlib.constants as unknown as Record<string, number>).ZSTD_c_compressionLevel;

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The encoder worker's writer properties for histogram batches (src/load/parquet/worker.ts). */
function workerProperties(rows: number, compression = P.Compression.ZSTD): P.WriterProperties {
  let b = new P.WriterPropertiesBuilder()
    .setCompression(compression)
    .setMaxRowGroupSize(rows)
    .setDictionaryEnabled(false)
    .setEncoding(P.Encoding.BYTE_STREAM_SPLIT)
    .setStatisticsEnabled(P.EnabledStatistics.None);
  for (const name of SCALARS)
    b = b
      .setColumnDictionaryEnabled(name, true)
      .setColumnStatisticsEnabled(name, P.EnabledStatistics.Chunk)
      .setColumnEncoding(name, P.Encoding.PLAIN);
  return b.build();
}

function ipcOf(batch: RecordBatch): Uint8Array {
  const writer = new RecordBatchStreamWriter();
  writer.write(batch);
  return writer.finish().toUint8Array(true);
}

/** BYTE_STREAM_SPLIT of `values` into `out` (byte k of value i goes to out[k * n + i]): the own writer's. */
export function byteStreamSplit(values: Float64Array | Float32Array, out: Uint8Array): void {
  splitStreams(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), out, 0, values.BYTES_PER_ELEMENT);
}

/** The lower bound: BSS in JS, then native zstd level 1 per 1 MiB page. Returns compressed bytes. */
function nativeDataColumn(values: Float64Array | Float32Array, split: Uint8Array, compress: ZstdCompress): number {
  byteStreamSplit(values, split);
  let bytes = 0;
  for (let off = 0; off < split.length; off += PAGE_BYTES)
    bytes += compress(split.subarray(off, off + PAGE_BYTES), { params: { [ZSTD_LEVEL]: 1 } }).byteLength;
  return bytes;
}

/** The encoder worker's native path: parquet-wasm UNCOMPRESSED, every page recompressed. Returns the file's bytes. */
function uncompressedThenNative(ipc: Uint8Array, rows: number, compress: (body: Uint8Array) => Uint8Array): number {
  const plain = P.writeParquet(P.Table.fromIPCStream(ipc), workerProperties(rows, P.Compression.UNCOMPRESSED));
  let bytes = 0;
  const recompressor = new PageRecompressor(compress, (b) => (bytes += b.byteLength));
  recompressor.push(plain);
  recompressor.end();
  return bytes;
}

/** The own writer's file for the batch, one row group, pages compressed by `compress`. Returns its bytes. */
function ownWriter(batch: RecordBatch, ipc: Uint8Array, compress: (body: Uint8Array) => Uint8Array): number {
  const plan = planParquetWriter(batch.schema, batch, { compression: 'zstd', rowGroupBytes: 2 ** 40, metadata: {} });
  if (!plan.own) throw new Error('the own writer does not take the bench batch');
  let bytes = 0;
  const writer = new OwnParquetWriter(
    { ...plan, own: plan.own, maxRowGroupRows: batch.numRows },
    compress,
    (b) => (bytes += b.byteLength),
  );
  writer.push(ipc);
  writer.finish();
  return bytes;
}

/** One measured variant: CPU seconds for the whole batch, and the bytes it produced. */
interface Variant {
  name: string;
  run: () => number;
}

/** Runs the benchmark and prints a table plus one JSON line. */
export function main(quick: boolean): void {
  const records = quick ? 500 : 2000;
  const rounds = quick ? 2 : 4;
  const texts = pagePool(records / RECORDS_PER_PAGE, records);
  const recs = texts.flatMap((t) => (JSON.parse(t) as { results: unknown[] }).results);
  const batches = {} as Record<Dtype, RecordBatch>;
  const ipc = {} as Record<Dtype, Uint8Array>;
  const values = {} as Record<Dtype, Float64Array | Float32Array>;
  for (const dtype of ['float64', 'float32'] as const) {
    const spec = transformSpecFor('lumisection_histograms_2d', { layout: 'tensor', dtype });
    batches[dtype] = toRecordBatch(recs, spec).batch!;
    ipc[dtype] = ipcOf(batches[dtype]);
    const leaf = batches[dtype].getChild('data')!.data[0]!.children[0]!;
    values[dtype] = leaf.values as Float64Array | Float32Array;
  }
  const split = new Uint8Array(values.float64.byteLength);
  const native = loadNativeZstd(import.meta.url);
  const nativeZstd = 'zstd' in native ? native.zstd : undefined;
  const variants: Variant[] = [
    {
      name: 'JSON.parse of the records (P)',
      run: () => {
        let n = 0;
        for (const t of texts) n += (JSON.parse(t) as { results: unknown[] }).results.length;
        return n;
      },
    },
    ...(['float64', 'float32'] as const).flatMap((dtype): Variant[] => [
      {
        name: `parquet-wasm, ${dtype}, BSS + zstd (today)`,
        run: () => P.writeParquet(P.Table.fromIPCStream(ipc[dtype]), workerProperties(records)).byteLength,
      },
      {
        name: `parquet-wasm, ${dtype}, BSS, no compression`,
        run: () =>
          P.writeParquet(P.Table.fromIPCStream(ipc[dtype]), workerProperties(records, P.Compression.UNCOMPRESSED))
            .byteLength,
      },
      ...(nativeZstd
        ? [
            {
              name: `parquet-wasm UNCOMPRESSED + native zstd (${nativeZstd.name}), ${dtype}`,
              run: () => uncompressedThenNative(ipc[dtype], records, nativeZstd.compress),
            },
            {
              name: `own writer + native zstd (${nativeZstd.name}), ${dtype}`,
              run: () => ownWriter(batches[dtype], ipc[dtype], nativeZstd.compress),
            },
          ]
        : []),
      {
        name: `JS BSS of data, ${dtype} (no compression)`,
        run: () => {
          byteStreamSplit(values[dtype], split);
          return values[dtype].byteLength;
        },
      },
      ...(zstdCompress
        ? [
            {
              name: `JS BSS + native zstd 1 of data, ${dtype}`,
              run: () => nativeDataColumn(values[dtype], split.subarray(0, values[dtype].byteLength), zstdCompress),
            },
          ]
        : []),
    ]),
  ];
  const best = variants.map(() => Infinity);
  const bytes = variants.map(() => 0);
  for (let r = -1; r < rounds; r++) {
    variants.forEach((v, i) => {
      const c0 = cpuSeconds();
      bytes[i] = v.run();
      const cpu = cpuSeconds() - c0;
      if (r >= 0) best[i] = Math.min(best[i]!, cpu);
    });
  }
  const parse = best[0]!;
  console.log(
    `encoder-alternatives bench: ${records} 2D 72x56 records, tensor, this thread, best of ${rounds}, Node ${process.versions.node}` +
      `${zstdCompress ? '' : ' (no native zstd in this runtime: run under Node >= 22.15 for the native rows)'}${quick ? ' (quick)' : ''}`,
  );
  const rows = variants.map((v, i) => ({
    variant: v.name,
    usPerRecord: (best[i]! * 1e6) / records,
    ratioToParse: best[i]! / parse,
    mb: i === 0 ? 0 : bytes[i]! / 1e6,
  }));
  for (const r of rows)
    console.log(
      `${r.variant.padEnd(60)} ${r.usPerRecord.toFixed(0).padStart(5)} us/rec  ${r.ratioToParse.toFixed(2).padStart(5)} P` +
        (r.mb ? `  ${r.mb.toFixed(2).padStart(7)} MB` : ''),
    );
  process.stdout.write(
    JSON.stringify({
      bench: 'encoder-alternatives',
      quick,
      node: process.versions.node,
      nativeZstd: Boolean(zstdCompress),
      pageZstd: nativeZstd?.name ?? null,
      records,
      rounds,
      variants: rows,
    }) + '\n',
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main(process.argv.includes('--quick'));
