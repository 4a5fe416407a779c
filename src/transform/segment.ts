/**
 * A segment: the accepted records of one batch being accumulated column by column, and the layout of
 * a spec's columns it is built from (resolved once per spec, not per record).
 */
import { Field, RecordBatch, Schema, Struct, makeData, type Data } from 'apache-arrow';
import { COLUMNS, type ColumnDef } from './columns.js';
import { HistogramDataAccumulator } from './histogram-data.js';
import { constantData, scalarAccumulator, type ColumnAccumulator } from './scalar-columns.js';
import { compileSpec, type CompiledSpec, type TransformSpec } from './spec.js';

/** Histogram dimensions of an endpoint's records: 0 (not a histogram), 1 or 2. */
export function dimsOf(spec: TransformSpec): 0 | 1 | 2 {
  // From the catalogue's `data` column, so DIALS th1/th2 get their bins like DQM Playground's.
  const data = COLUMNS[spec.endpoint].find((c) => c.kind === 'hist1d' || c.kind === 'hist2d');
  return data ? (data.kind === 'hist1d' ? 1 : 2) : 0;
}

/** True when the histogram `data` column is one of the outputs. */
export function dataSelected(plan: CompiledSpec): boolean {
  return plan.outputs.some((o) => 'kind' in o.source && (o.source.kind === 'hist1d' || o.source.kind === 'hist2d'));
}

/** A spec's columns, resolved for building batches. */
export interface BatchLayout {
  spec: TransformSpec;
  plan: CompiledSpec;
  dims: 0 | 1 | 2;
  /** The spec's layout, or `flat` when `data` is not selected (it is still checked). */
  layout: TransformSpec['layout'];
  /** Catalogue index of `x_bin` and `y_bin` (-1 when absent). */
  xIdx: number;
  yIdx: number;
  /** The catalogue's histogram column, if the endpoint has one. */
  dataDef: ColumnDef | undefined;
  /** Output slot -> catalogue index, or -1 for a constant. */
  sourceIndex: number[];
}

const layouts = new WeakMap<TransformSpec, BatchLayout>();

/** The batch layout of a spec (cached per spec object, as `compileSpec` is). */
export function batchLayout(spec: TransformSpec): BatchLayout {
  let out = layouts.get(spec);
  if (out) return out;
  const plan = compileSpec(spec);
  const all = plan.all;
  out = {
    spec,
    plan,
    dims: dimsOf(spec),
    layout: dataSelected(plan) ? spec.layout : 'flat',
    xIdx: all.findIndex((c) => c.name === 'x_bin'),
    yIdx: all.findIndex((c) => c.name === 'y_bin'),
    dataDef: all.find((c) => c.kind === 'hist1d' || c.kind === 'hist2d'),
    sourceIndex: plan.outputs.map((o) => ('kind' in o.source ? all.indexOf(o.source as ColumnDef) : -1)),
  };
  layouts.set(spec, out);
  return out;
}

/** The columns of one batch being built. */
export interface Segment {
  /** Per output slot; null for constants and `data`. */
  accumulators: (ColumnAccumulator | null)[];
  data: HistogramDataAccumulator | null;
  rows: number;
}

/** A segment sized for up to `remaining` records shaped like `firstRecord`. */
export function newSegment(L: BatchLayout, remaining: number, firstRecord: unknown): Segment {
  let expected = 0;
  if (L.dims > 0 && typeof firstRecord === 'object' && firstRecord !== null) {
    const r = firstRecord as Record<string, unknown>;
    const x = Number(r.x_bin) || 1;
    const y = L.dims === 2 ? Number(r.y_bin) || 1 : 1;
    expected = remaining * x * y;
  }
  return {
    accumulators: L.plan.outputs.map((o, k) => {
      const def = o.source as ColumnDef;
      if (L.sourceIndex[k] < 0 || def.kind === 'hist1d' || def.kind === 'hist2d') return null;
      return scalarAccumulator(def.kind, def.nullable, remaining);
    }),
    data: L.dims > 0 ? new HistogramDataAccumulator(L.layout, L.spec.dtype, L.dims as 1 | 2, expected) : null,
    rows: 0,
  };
}

/** Appends a checked record's scalar values (`checked` is indexed like the catalogue). */
export function pushScalars(L: BatchLayout, seg: Segment, checked: readonly unknown[]): void {
  for (let k = 0; k < L.sourceIndex.length; k++) {
    const acc = seg.accumulators[k];
    if (acc) acc.push(checked[L.sourceIndex[k]]);
  }
  seg.rows++;
}

/** The segment as a RecordBatch, or null when it has no rows. */
export function finishSegment(L: BatchLayout, seg: Segment): RecordBatch | null {
  if (seg.rows === 0) return null;
  const children: Data[] = [];
  const fields: Field[] = [];
  L.plan.outputs.forEach((out, k) => {
    if (L.sourceIndex[k] < 0) {
      const value = (out.source as { constant: string | number | boolean }).constant;
      const data = constantData(value, seg.rows);
      children.push(data);
      fields.push(new Field(out.name, data.type, false));
      return;
    }
    const def = out.source as ColumnDef;
    if (def.kind === 'hist1d' || def.kind === 'hist2d') {
      const data = seg.data!.finish();
      children.push(data);
      fields.push(new Field(out.name, data.type, false, seg.data!.fieldMetadata()));
      return;
    }
    const data = seg.accumulators[k]!.finish();
    children.push(data);
    fields.push(new Field(out.name, data.type, def.nullable));
  });
  const schema = new Schema(fields);
  return new RecordBatch(schema, makeData({ type: new Struct(fields), length: seg.rows, children, nullCount: 0 }));
}
