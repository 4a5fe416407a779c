/**
 * The few parts of an Arrow IPC stream the own Parquet writer (own-writer.ts) needs: the schema
 * message's bytes (kept as they are, for the footer's `ARROW:schema`), and per record batch and
 * dictionary batch its field nodes and body buffers, as views of the stream. The column layout
 * comes from the writer's plan, so the schema itself is never decoded.
 *
 * Hand-written rather than apache-arrow's reader: loading apache-arrow in an encoder worker costs
 * ~110 ms of CPU (4 worker starts, load ~1.6), the start-up #16 counts; reading the framing and two
 * flatbuffer tables is ~100 lines. Format: Arrow's Message.fbs, Schema.fbs and the IPC "streaming
 * format" (continuation marker, metadata length, flatbuffer Message, body).
 *
 * Imports nothing: the Parquet encoder worker loads it (src/load/parquet/worker-script.ts).
 */

/** One field node: a column's (or child's) length and null count, in depth-first field order. */
export interface FieldNode {
  length: number;
  nullCount: number;
}

/** A record batch's nodes and buffers (views of the stream's body, in the schema's buffer order). */
export interface IpcBatch {
  length: number;
  nodes: FieldNode[];
  buffers: Uint8Array[];
}

/** What one IPC stream (one batch of the export) holds. */
export interface IpcStream {
  /** The schema message as framed in the stream (continuation marker, length, flatbuffer). */
  schemaMessage: Uint8Array;
  /** Dictionary batches by dictionary id (the last one when a stream repeats an id). */
  dictionaries: Map<number, IpcBatch>;
  batches: IpcBatch[];
}

/** The stream is not what the writer can read. */
export class IpcReadError extends Error {
  constructor(message: string) {
    super(`reading an Arrow IPC batch: ${message}`);
    this.name = 'IpcReadError';
  }
}

const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY_BATCH = 2;
const HEADER_RECORD_BATCH = 3;

/** A flatbuffer table: where it starts and its vtable. */
class Table {
  private readonly vtable: number;
  private readonly vtableSize: number;

  constructor(
    private readonly view: DataView,
    readonly at: number,
  ) {
    this.vtable = at - view.getInt32(at, true);
    this.vtableSize = view.getUint16(this.vtable, true);
  }

  /** Byte position of field `index`, or 0 when absent. */
  private field(index: number): number {
    const slot = 4 + 2 * index;
    if (slot >= this.vtableSize) return 0;
    const offset = this.view.getUint16(this.vtable + slot, true);
    return offset === 0 ? 0 : this.at + offset;
  }

  uint8(index: number): number {
    const at = this.field(index);
    return at ? this.view.getUint8(at) : 0;
  }

  int64(index: number): number {
    const at = this.field(index);
    return at ? Number(this.view.getBigInt64(at, true)) : 0;
  }

  bool(index: number): boolean {
    return this.uint8(index) !== 0;
  }

  table(index: number): Table | null {
    const at = this.field(index);
    return at ? new Table(this.view, at + this.view.getUint32(at, true)) : null;
  }

  /** A vector of structs: its first element's position and its length. */
  vector(index: number): { at: number; length: number } {
    const at = this.field(index);
    if (!at) return { at: 0, length: 0 };
    const start = at + this.view.getUint32(at, true);
    return { at: start + 4, length: this.view.getUint32(start, true) };
  }
}

/**
 * The last message's table, kept: Tables live for one batch, and once a full collection (the encoder
 * worker runs one every ~24 MB written) found none alive, V8 dropped their hidden class and the
 * optimised code that read them (docs/decisions.md, "Own Parquet writer: one shape per object, kept
 * alive between files").
 */
const kept: { table: Table | null } = { table: null };

/** A RecordBatch table and its body as nodes and buffer views. */
function readBatch(table: Table, view: DataView, body: Uint8Array): IpcBatch {
  if (table.table(3)) throw new IpcReadError('compressed IPC bodies are not supported');
  const nodes: FieldNode[] = [];
  const nodeVector = table.vector(1);
  for (let i = 0; i < nodeVector.length; i++) {
    const at = nodeVector.at + 16 * i;
    nodes.push({ length: Number(view.getBigInt64(at, true)), nullCount: Number(view.getBigInt64(at + 8, true)) });
  }
  const buffers: Uint8Array[] = [];
  const bufferVector = table.vector(2);
  for (let i = 0; i < bufferVector.length; i++) {
    const at = bufferVector.at + 16 * i;
    const offset = Number(view.getBigInt64(at, true));
    const length = Number(view.getBigInt64(at + 8, true));
    if (offset + length > body.byteLength) throw new IpcReadError('a buffer lies outside the message body');
    buffers.push(body.subarray(offset, offset + length));
  }
  return { length: table.int64(0), nodes, buffers };
}

/** Splits an IPC stream into its messages and reads the batches (views of `bytes`, no copies). */
export function readIpcStream(bytes: Uint8Array): IpcStream {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let schemaMessage: Uint8Array | null = null;
  const dictionaries = new Map<number, IpcBatch>();
  const batches: IpcBatch[] = [];
  let at = 0;
  while (at + 8 <= bytes.byteLength) {
    const start = at;
    let length = view.getInt32(at, true);
    at += 4;
    if (length === -1) {
      length = view.getInt32(at, true);
      at += 4;
    }
    if (length === 0) break;
    if (length < 0 || at + length > bytes.byteLength) throw new IpcReadError('a message overruns the stream');
    const metadataAt = at;
    at += length;
    const message = new Table(view, metadataAt + view.getUint32(metadataAt, true));
    kept.table = message;
    const bodyLength = message.int64(3);
    if (at + bodyLength > bytes.byteLength) throw new IpcReadError('a message body overruns the stream');
    const body = bytes.subarray(at, at + bodyLength);
    at += bodyLength;
    const header = message.table(2);
    const type = message.uint8(1);
    if (type === HEADER_SCHEMA) schemaMessage = bytes.subarray(start, metadataAt + length);
    else if (type === HEADER_RECORD_BATCH && header) batches.push(readBatch(header, view, body));
    else if (type === HEADER_DICTIONARY_BATCH && header) {
      if (header.bool(2)) throw new IpcReadError('delta dictionaries are not supported');
      const data = header.table(1);
      if (!data) throw new IpcReadError('a dictionary batch without data');
      dictionaries.set(header.int64(0), readBatch(data, view, body));
    } else throw new IpcReadError(`unexpected message type ${type}`);
  }
  if (!schemaMessage) throw new IpcReadError('the stream has no schema message');
  return { schemaMessage, dictionaries, batches };
}
