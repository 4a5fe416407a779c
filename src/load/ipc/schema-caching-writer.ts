/**
 * An IPC stream writer that encodes each schema once. The Parquet path sends every batch to its worker
 * as a complete IPC stream (schema, dictionaries, batch, end), and the transform builds a new, equal
 * Schema object for every batch, so apache-arrow's writer built and encoded the same schema flatbuffer
 * per batch (24 % of `run`'s main thread in an early 100 ms window: docs/decisions.md). The cached
 * bytes are exactly what the writer's `_writeMessage` writes for a schema: continuation marker,
 * length, flatbuffer, padding to 8 bytes.
 */
import { Message, RecordBatchStreamWriter, util, type Field, type Schema, type TypeMap } from 'apache-arrow';

/** Key-value metadata maps with the same entries. */
function sameMetadata(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** Field metadata equal, through nested fields (apache-arrow's comparator ignores metadata). */
function sameFieldMetadata(a: readonly Field[], b: readonly Field[]): boolean {
  return a.every((f, i) => {
    const g = b[i]!;
    const fc = (f.type.children ?? []) as Field[];
    const gc = (g.type.children ?? []) as Field[];
    return sameMetadata(f.metadata, g.metadata) && sameFieldMetadata(fc, gc);
  });
}

/** True when two schemas encode to the same IPC schema message. */
export function sameSchema(a: Schema, b: Schema): boolean {
  return (
    a === b ||
    (util.compareSchemas(a, b) && sameMetadata(a.metadata, b.metadata) && sameFieldMetadata(a.fields, b.fields))
  );
}

/** The IPC schema message of `schema`, framed as the stream writer frames it. */
export function encodeSchemaMessage(schema: Schema): Uint8Array {
  const flatbuffer = Message.encode(Message.from(schema));
  const size = (flatbuffer.byteLength + 8 + 7) & ~7;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, -1, true);
  view.setInt32(4, size - 8, true);
  bytes.set(flatbuffer, 8);
  return bytes;
}

/** A stream writer that reuses the last schema's encoded message while the schema stays equal. */
export class SchemaCachingStreamWriter<T extends TypeMap = TypeMap> extends RecordBatchStreamWriter<T> {
  private cachedSchema: Schema | null = null;
  private cachedBytes: Uint8Array = new Uint8Array(0);

  protected override _writeSchema(schema: Schema<T>): this {
    if (this.cachedSchema === null || !sameSchema(schema, this.cachedSchema)) {
      this.cachedBytes = encodeSchemaMessage(schema);
      this.cachedSchema = schema;
    }
    return this._write(this.cachedBytes);
  }
}
