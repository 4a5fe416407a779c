/**
 * A parsed chunk to an Arrow RecordBatch with the transform's output plan (select, rename,
 * constants, layout, dtype): the same schema and values the transform builds from the same records
 * served as JSON. Scalar columns go through the transform's own accumulators; `data` wraps the
 * chunk's typed array without copying it.
 */
import {
  Field,
  type FixedSizeList,
  Float32,
  Float64,
  type List,
  RecordBatch,
  Schema,
  Struct,
  makeData,
  type Data,
} from 'apache-arrow';
import { compileSpec, histogramDataType, type ColumnDef, type TransformSpec } from '../../transform/index.js';
import { constantData, scalarAccumulator } from '../../transform/scalar-columns.js';
import { tensorMetadata } from '../../transform/histogram-data.js';
import type { HistogramScalars } from '../../domain.js';
import type { HistogramChunk } from './chunk.js';

type ScalarName = Exclude<keyof HistogramScalars, 'source_data_file'>;

/** The histogram `data` column of a chunk in `spec`'s layout. */
function dataColumn(
  chunk: HistogramChunk,
  spec: TransformSpec,
  dims: 1 | 2,
): { data: Data; metadata: Map<string, string> } {
  const n = chunk.rows;
  const elemType = spec.dtype === 'float32' ? new Float32() : new Float64();
  let values = chunk.data;
  // The chunk's dtype follows the spec; convert only if a caller mixed them up.
  if (spec.dtype === 'float32' && !(values instanceof Float32Array)) values = Float32Array.from(values);
  if (spec.dtype === 'float64' && !(values instanceof Float64Array)) values = Float64Array.from(values);
  const used = chunk.dataOffsets[n];
  const child = makeData({
    type: elemType,
    length: used,
    data: values.subarray(0, used),
    nullCount: 0,
  } as never) as Data;
  const shape =
    n === 0 ? (dims === 1 ? [0] : [0, 0]) : dims === 1 ? [chunk.x_bin[0]] : [chunk.y_bin[0], chunk.x_bin[0]];
  if (spec.layout === 'tensor') {
    const type = histogramDataType('tensor', spec.dtype, dims, shape) as FixedSizeList;
    return { data: makeData({ type, length: n, child, nullCount: 0 }), metadata: tensorMetadata(shape) };
  }
  if (spec.layout === 'array') {
    // One fixed-size list per dimension: 2D rows are n x y lists of x values (parse-range.ts cuts a
    // chunk where the shape changes).
    const type = histogramDataType('array', spec.dtype, dims, shape) as FixedSizeList;
    const inner = type.children[0].type;
    const rows =
      dims === 2 ? makeData({ type: inner as FixedSizeList, length: n * shape[0]!, child, nullCount: 0 }) : child;
    return { data: makeData({ type, length: n, child: rows, nullCount: 0 }), metadata: new Map() };
  }
  const type = histogramDataType(spec.layout, spec.dtype, dims) as List;
  if (spec.layout === 'nested' && dims === 2) {
    // Inner lists are the histogram rows (x_bin values each), outer lists the records.
    let rows = 0;
    for (let i = 0; i < n; i++) rows += chunk.y_bin[i];
    const inner = new Int32Array(rows + 1);
    const outer = new Int32Array(n + 1);
    let r = 0;
    for (let i = 0; i < n; i++) {
      const x = chunk.x_bin[i];
      let at = chunk.dataOffsets[i];
      for (let iy = 0; iy < chunk.y_bin[i]; iy++) {
        inner[r++] = at;
        at += x;
      }
      outer[i + 1] = r;
    }
    inner[r] = used;
    const innerData = makeData({
      type: type.children[0].type as List,
      length: rows,
      valueOffsets: inner,
      child,
      nullCount: 0,
    });
    return {
      data: makeData({ type, length: n, valueOffsets: outer, child: innerData, nullCount: 0 }),
      metadata: new Map(),
    };
  }
  return {
    data: makeData({ type, length: n, valueOffsets: chunk.dataOffsets, child, nullCount: 0 }),
    metadata: new Map(),
  };
}

/** The chunk's rows as one RecordBatch of `spec`'s columns, or null for a chunk with no rows. */
export function chunkToBatch(chunk: HistogramChunk, spec: TransformSpec): RecordBatch | null {
  const n = chunk.rows;
  if (n === 0) return null;
  const dims = spec.endpoint === 'lumisection_histograms_1d' ? 1 : 2;
  const plan = compileSpec(spec);
  const children: Data[] = [];
  const fields: Field[] = [];
  for (const out of plan.outputs) {
    if (!('kind' in out.source)) {
      const data = constantData(out.source.constant, n);
      children.push(data);
      fields.push(new Field(out.name, data.type, false));
      continue;
    }
    const def: ColumnDef = out.source;
    if (def.kind === 'hist1d' || def.kind === 'hist2d') {
      const { data, metadata } = dataColumn(chunk, spec, dims);
      children.push(data);
      fields.push(new Field(out.name, data.type, false, metadata));
      continue;
    }
    const acc = scalarAccumulator(def.kind as Exclude<ColumnDef['kind'], 'hist1d' | 'hist2d'>, def.nullable, n);
    if (def.name === 'source_data_file') {
      for (let i = 0; i < n; i++) acc.push(chunk.source_data_file);
    } else if (def.name === 'title') {
      for (let i = 0; i < n; i++) acc.push(chunk.title[i]);
    } else {
      const column = chunk[def.name as ScalarName] as ArrayLike<number>;
      for (let i = 0; i < n; i++) acc.push(column[i]);
    }
    const data = acc.finish();
    children.push(data);
    fields.push(new Field(out.name, data.type, def.nullable));
  }
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: n, children, nullCount: 0 }));
}
