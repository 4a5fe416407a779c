/**
 * One dictionary per column per IPC file. Each transformed batch carries its own `title` dictionary,
 * but the Arrow IPC file format forbids dictionary replacement (apache-arrow's file writer throws).
 * The unifier re-indexes every batch into a file-wide dictionary that only grows: new values go into
 * a new chunk, which the writer emits as a delta dictionary batch (allowed in both IPC formats).
 */
import { Dictionary, RecordBatch, Struct, Vector, makeData, type Data, type Schema, type Utf8 } from 'apache-arrow';
import { utf8Data } from '../../transform/scalar-columns.js';

interface ColumnDictionary {
  lookup: Map<string, number>;
  chunks: Data<Utf8>[];
  vector: Vector<Utf8> | null;
}

/** Re-indexes the top-level dictionary columns of each batch into the file's dictionaries. */
export class DictionaryUnifier {
  private readonly columns = new Map<number, ColumnDictionary>();

  /** `schema` is the file schema: its Dictionary types (and ids) are the ones written. */
  constructor(private readonly schema: Schema) {}

  /** The batch with file-wide dictionary indices, under the file schema. */
  unify(batch: RecordBatch): RecordBatch {
    const children = batch.data.children.slice();
    let changed = false;
    this.schema.fields.forEach((field, i) => {
      if (!(field.type instanceof Dictionary) || !(field.type.dictionary.toString() === 'Utf8')) return;
      children[i] = this.reindex(i, field.type as Dictionary<Utf8>, children[i] as Data<Dictionary<Utf8>>);
      changed = true;
    });
    if (!changed) return new RecordBatch(this.schema, batch.data);
    const fields = this.schema.fields;
    return new RecordBatch(
      this.schema,
      makeData({ type: new Struct(fields), length: batch.numRows, children, nullCount: 0 }),
    );
  }

  private reindex(column: number, type: Dictionary<Utf8>, data: Data<Dictionary<Utf8>>): Data {
    let state = this.columns.get(column);
    if (!state) {
      state = { lookup: new Map(), chunks: [], vector: null };
      this.columns.set(column, state);
    }
    const local = data.dictionary ? (data.dictionary.toArray() as string[]) : [];
    const remap = new Int32Array(local.length);
    const added: string[] = [];
    local.forEach((value, k) => {
      let index = state!.lookup.get(value);
      if (index === undefined) {
        index = state!.lookup.size;
        state!.lookup.set(value, index);
        added.push(value);
      }
      remap[k] = index;
    });
    if (added.length > 0 || state.chunks.length === 0) {
      state.chunks.push(utf8Data(added));
      // Same first chunk object every time: the writer then sends only the new chunks, as deltas.
      state.vector = new Vector(state.chunks);
    }
    const source = data.values as Int32Array;
    const indices = new Int32Array(data.length);
    for (let i = 0; i < data.length; i++) indices[i] = remap[source[i]] ?? 0;
    if (data.nullCount === 0)
      return makeData({ type, length: data.length, data: indices, dictionary: state.vector!, nullCount: 0 });
    // A sliced column's bitmap is not rebased: rebuild it from the validity of each row.
    const bitmap = new Uint8Array((data.length + 7) >> 3);
    for (let i = 0; i < data.length; i++) if (data.getValid(i)) bitmap[i >> 3] |= 1 << (i & 7);
    return makeData({
      type,
      length: data.length,
      data: indices,
      dictionary: state.vector!,
      nullBitmap: bitmap,
      nullCount: data.nullCount,
    });
  }
}
