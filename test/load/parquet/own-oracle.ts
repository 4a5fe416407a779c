/**
 * The own writer's oracle: the same batches written by parquet-wasm the way the encoder worker
 * writes them (UNCOMPRESSED pages recompressed by native zstd, or uncompressed), and by the own
 * writer; then both footers normalised (byte offsets and sizes removed, `ARROW:schema` decoded to
 * an Arrow schema) and both offset indexes reduced to their page row ranges, for the tests to
 * compare.
 */
import { Table, tableFromIPC, tableToIPC, type RecordBatch, type Schema } from 'apache-arrow';
import * as P from 'parquet-wasm';
import { loadNativeZstd } from '../../../src/load/parquet/native-zstd.js';
import { OwnParquetWriter } from '../../../src/load/parquet/own-writer.js';
import { PageRecompressor } from '../../../src/load/parquet/page-recompressor.js';
import { planParquetWriter } from '../../../src/load/parquet/parquet-encoder.js';
import type { Compression, ParquetWriterPlan } from '../../../src/load/parquet/protocol.js';
import { parquetWriterProperties } from '../../../src/load/parquet/writer-properties.js';
import { parquetWasmUrl } from '../../../src/load/parquet/worker-script.js';
import { decodeStruct, field, type ThriftStruct } from '../../../src/load/parquet/thrift-compact.js';
import { footerOf, int, items } from './parquet-files.js';

const loaded = loadNativeZstd(parquetWasmUrl());
if (!('zstd' in loaded)) throw new Error(`the oracle needs a native zstd: ${loaded.error}`);
const zstd = loaded.zstd;

/** The encoder's plan for these batches (the own writer's columns included). */
export function planFor(
  batches: RecordBatch[],
  compression: Compression,
  rowGroupBytes: number,
): ParquetWriterPlan & Required<Pick<ParquetWriterPlan, 'own'>> {
  const plan = planParquetWriter(batches[0].schema, batches[0], {
    compression,
    rowGroupBytes,
    metadata: { 'dqm_export.test': 'oracle', 'dqm_export.note': 'naïve – ünïcode' },
  });
  if (!plan.own) throw new Error('the own writer does not take this schema');
  return plan as ParquetWriterPlan & Required<Pick<ParquetWriterPlan, 'own'>>;
}

/** One batch as the main thread ships it: a complete IPC stream. */
function ipcOf(batch: RecordBatch): Uint8Array {
  return tableToIPC(new Table([batch]), 'stream');
}

/** The file parquet-wasm writes for `batches`, as the worker has it write (and recompress) them. */
export async function wasmFile(batches: RecordBatch[], plan: ParquetWriterPlan): Promise<Uint8Array> {
  const native = plan.compression === 'zstd';
  const input = new ReadableStream({
    start(controller) {
      for (const batch of batches) {
        const table = P.Table.fromIPCStream(ipcOf(batch));
        for (const b of table.recordBatches()) controller.enqueue(b);
      }
      controller.close();
    },
  });
  const chunks: Uint8Array[] = [];
  const recompressor = native ? new PageRecompressor(zstd.compress, (b) => chunks.push(b.slice())) : null;
  const output = (await P.transformParquetStream(
    input,
    parquetWriterProperties(P, plan, native),
  )) as ReadableStream<Uint8Array>;
  for (const reader = output.getReader(); ;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (recompressor) recompressor.push(value);
    else chunks.push(value);
  }
  recompressor?.end();
  return Buffer.concat(chunks);
}

/** The file the own writer writes for `batches`. */
export function ownFile(
  batches: RecordBatch[],
  plan: ParquetWriterPlan & { own: NonNullable<ParquetWriterPlan['own']> },
): Uint8Array {
  const chunks: Uint8Array[] = [];
  const writer = new OwnParquetWriter(plan, plan.compression === 'zstd' ? zstd.compress : null, (b) =>
    chunks.push(b.slice()),
  );
  for (const batch of batches) writer.push(ipcOf(batch));
  const rows = writer.finish();
  const total = batches.reduce((n, b) => n + b.numRows, 0);
  if (rows !== total) throw new Error(`the own writer says ${rows} rows, ${total} were pushed`);
  return Buffer.concat(chunks);
}

/** Field ids removed before comparing: byte offsets and sizes, which differ with the level encodings. */
const OFFSETS_AND_SIZES = {
  rowGroup: [2, 5, 6],
  columnChunk: [4, 5],
  columnMetaData: [6, 7, 9, 10, 11],
};

function without(struct: ThriftStruct, ids: number[]): ThriftStruct {
  return { fields: struct.fields.filter((f) => !ids.includes(f.id)) };
}

/** The Arrow schema `ARROW:schema` holds, as comparable JSON. */
function arrowSchemaJson(base64: string): unknown {
  const message = Buffer.from(base64, 'base64');
  const stream = Buffer.concat([message, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])]);
  const schema: Schema = tableFromIPC(stream).schema;
  const fieldJson = (f: Schema['fields'][number]): unknown => ({
    name: f.name,
    type: String(f.type),
    nullable: f.nullable,
    metadata: Object.fromEntries(f.metadata),
    children: (f.type.children ?? []).map(fieldJson),
  });
  return { fields: schema.fields.map(fieldJson), metadata: Object.fromEntries(schema.metadata) };
}

/** The footer without offsets and sizes; `ARROW:schema` replaced by the schema it encodes. */
export function normalizedFooter(bytes: Uint8Array): { footer: ThriftStruct; arrowSchema: unknown } {
  const footer = footerOf(bytes);
  let arrowSchema: unknown = null;
  const kv = items(footer, 5).map((entry) => {
    const key = new TextDecoder().decode(field(entry, 1)!.value as Uint8Array);
    if (key !== 'ARROW:schema') return entry;
    arrowSchema = arrowSchemaJson(new TextDecoder().decode(field(entry, 2)!.value as Uint8Array));
    return without(entry, [2]);
  });
  // parquet-wasm's key-value order varies from file to file (a Rust HashMap): compare as a set.
  const key = (entry: ThriftStruct): string => Buffer.from(field(entry, 1)!.value as Uint8Array).toString('latin1');
  kv.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const groups = items(footer, 4).map((group) => {
    const chunks = items(group, 1).map((chunk) => {
      const meta = field(chunk, 3)!.value as ThriftStruct;
      const stripped = without(chunk, OFFSETS_AND_SIZES.columnChunk);
      return {
        fields: stripped.fields.map((f) =>
          f.id === 3 ? { ...f, value: without(meta, OFFSETS_AND_SIZES.columnMetaData) } : f,
        ),
      };
    });
    const stripped = without(group, OFFSETS_AND_SIZES.rowGroup);
    return {
      fields: stripped.fields.map((f) => (f.id === 1 ? { ...f, value: { elementType: 12, items: chunks } } : f)),
    };
  });
  return {
    footer: {
      fields: footer.fields.map((f) =>
        f.id === 4
          ? { ...f, value: { elementType: 12, items: groups } }
          : f.id === 5
            ? { ...f, value: { elementType: 12, items: kv } }
            : f,
      ),
    },
    arrowSchema,
  };
}

/** Per column chunk, its pages' first rows (and byte-array sizes) from the offset index. */
export function pageRows(bytes: Uint8Array): { firstRows: number[]; byteArrayBytes: unknown }[] {
  const out: { firstRows: number[]; byteArrayBytes: unknown }[] = [];
  for (const group of items(footerOf(bytes), 4))
    for (const chunk of items(group, 1)) {
      const at = int(chunk, 4)!;
      const { struct } = decodeStruct(bytes.subarray(at, at + int(chunk, 5)!));
      out.push({
        firstRows: items(struct, 1).map((location) => int(location, 3)!),
        byteArrayBytes: field(struct, 2)?.value ?? null,
      });
    }
  return out;
}
