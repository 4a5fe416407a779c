/**
 * Records to Arrow record batches. Pure functions: plain JSON records in, a RecordBatch (or, for
 * tensors whose shape changes, several) and the list of rejected records out. Every record is
 * checked against the column catalogue; nothing is silently dropped or padded.
 */
import { Field, RecordBatch, Schema, Struct, makeData, type Data } from 'apache-arrow';
import { isHistogramEndpoint } from '../domain.js';
import { ConfigError, InputError } from '../errors.js';
import { RECORD_KEY, type ColumnDef } from './columns.js';
import { Invalid, checkField } from './field-check.js';
import { HistogramDataAccumulator, histogramDataType, isFixedShape, tensorMetadata } from './histogram-data.js';
import { constantData, constantType, scalarAccumulator, scalarType, type ColumnAccumulator } from './scalar-columns.js';
import { compileSpec, type CompiledSpec, type TransformSpec } from './spec.js';

/** A record that was not exported, and why. The caller writes these to the rejects JSON-lines file. */
export interface Reject {
  /** The record's id (`run_number` for runs), or null when it has none or it is unusable. */
  id: number | null;
  /** One line: what was expected and what was found. */
  reason: string;
  /** Path of the offending field (`data[3][7]`), when one field is at fault. */
  field?: string;
  /** Position of the record in the input array. */
  index: number;
}

/** Result of `toRecordBatch`. */
export interface BatchResult {
  /** The accepted records as one batch, or null when none was accepted. */
  batch: RecordBatch | null;
  rejects: Reject[];
}

/** Result of `toRecordBatches`. */
export interface BatchesResult {
  /** One batch per run of records with the same tensor shape (one batch for other layouts); never empty batches. */
  batches: RecordBatch[];
  rejects: Reject[];
}

function dimsOf(spec: TransformSpec): 0 | 1 | 2 {
  if (!isHistogramEndpoint(spec.endpoint)) return 0;
  return spec.endpoint === 'lumisection_histograms_1d' ? 1 : 2;
}

function dataSelected(plan: CompiledSpec): boolean {
  return plan.outputs.some((o) => 'kind' in o.source && (o.source.kind === 'hist1d' || o.source.kind === 'hist2d'));
}

/**
 * The Arrow schema a spec produces. For the tensor layout, `shape` (`[x]` or `[y, x]`) fixes the
 * list size and the extension metadata; without it the tensor schema cannot be known.
 */
export function arrowSchemaFor(spec: TransformSpec, shape?: readonly number[]): Schema {
  const plan = compileSpec(spec);
  const dims = dimsOf(spec);
  const fields = plan.outputs.map((out) => {
    if (!('kind' in out.source)) return new Field(out.name, constantType(out.source.constant), false);
    const def = out.source;
    if (def.kind === 'hist1d' || def.kind === 'hist2d') {
      if (isFixedShape(spec.layout) && !shape) {
        throw new ConfigError('E_TRANSFORM_SHAPE', `arrowSchemaFor: the ${spec.layout} layout needs the histogram shape ([x] or [y, x])`, { field: 'shape' });
      }
      const metadata = spec.layout === 'tensor' ? tensorMetadata(shape!) : new Map<string, string>();
      return new Field(out.name, histogramDataType(spec.layout, spec.dtype, dims as 1 | 2, shape), false, metadata);
    }
    return new Field(out.name, scalarType(def.kind), def.nullable);
  });
  return new Schema(fields);
}

interface Segment {
  accumulators: (ColumnAccumulator | null)[];
  data: HistogramDataAccumulator | null;
  rows: number;
}

function recordId(endpoint: TransformSpec['endpoint'], record: unknown): number | null {
  const key = RECORD_KEY[endpoint];
  if (key === null || typeof record !== 'object' || record === null) return null;
  const value = (record as Record<string, unknown>)[key];
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

/** Converts records to batches; see `toRecordBatch` for the rules. */
export function toRecordBatches(records: readonly unknown[], spec: TransformSpec): BatchesResult {
  const plan = compileSpec(spec);
  const dims = dimsOf(spec);
  const keepData = dataSelected(plan);
  const layout = keepData ? spec.layout : 'flat';
  const all = plan.all;
  const xIdx = all.findIndex((c) => c.name === 'x_bin');
  const yIdx = all.findIndex((c) => c.name === 'y_bin');
  const dataDef = all.find((c) => c.kind === 'hist1d' || c.kind === 'hist2d');
  // Output slot -> catalogue index (or -1 for constants), resolved once.
  const sourceIndex = plan.outputs.map((o) => ('kind' in o.source ? all.indexOf(o.source as ColumnDef) : -1));

  const batches: RecordBatch[] = [];
  const rejects: Reject[] = [];
  const checked: unknown[] = new Array(all.length);

  const newSegment = (remaining: number, firstRecord: unknown): Segment => {
    let expected = 0;
    if (dims > 0 && typeof firstRecord === 'object' && firstRecord !== null) {
      const r = firstRecord as Record<string, unknown>;
      const x = Number(r.x_bin) || 1;
      const y = dims === 2 ? Number(r.y_bin) || 1 : 1;
      expected = remaining * x * y;
    }
    return {
      accumulators: plan.outputs.map((o, k) => {
        const def = o.source as ColumnDef;
        if (sourceIndex[k] < 0 || def.kind === 'hist1d' || def.kind === 'hist2d') return null;
        return scalarAccumulator(def.kind, def.nullable, remaining);
      }),
      data: dims > 0 ? new HistogramDataAccumulator(layout, spec.dtype, dims as 1 | 2, expected) : null,
      rows: 0,
    };
  };

  const finishSegment = (seg: Segment): void => {
    if (seg.rows === 0) return;
    const children: Data[] = [];
    const fields: Field[] = [];
    plan.outputs.forEach((out, k) => {
      if (sourceIndex[k] < 0) {
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
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(fields), length: seg.rows, children, nullCount: 0 })));
  };

  const reject = (index: number, record: unknown, reason: string, field?: string): void => {
    const id = recordId(spec.endpoint, record);
    if (spec.strict) {
      const who = id !== null ? `${RECORD_KEY[spec.endpoint]}=${id}` : `#${index}`;
      throw new InputError('E_RECORD_INVALID', `${spec.endpoint} record ${who}: ${field ? field + ': ' : ''}${reason}`, { field, id, index });
    }
    rejects.push(field === undefined ? { id, reason, index } : { id, reason, field, index });
  };

  let seg = newSegment(records.length, records[0]);
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      reject(i, record, `expected an object, got ${record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record}`);
      continue;
    }
    const r = record as Record<string, unknown>;
    let bad = false;
    for (let j = 0; j < all.length; j++) {
      const value = checkField(all[j], r[all[j].name]);
      if (value instanceof Invalid) {
        reject(i, record, value.reason, all[j].name);
        bad = true;
        break;
      }
      checked[j] = value;
    }
    if (bad) continue;
    if (seg.data && dataDef) {
      const xBin = checked[xIdx] as number;
      const yBin = dims === 2 ? (checked[yIdx] as number) : null;
      if (xBin < 1 || (yBin !== null && yBin < 1)) {
        reject(i, record, `expected at least one bin, got ${xBin < 1 ? 'x_bin=' + xBin : 'y_bin=' + yBin}`, xBin < 1 ? 'x_bin' : 'y_bin');
        continue;
      }
      if (!seg.data.accepts(xBin, yBin)) {
        // A record whose data disagrees with its own x_bin/y_bin is a reject, not a shape change.
        const probe = new HistogramDataAccumulator('flat', spec.dtype, dims as 1 | 2, 0).append(r[dataDef.name], xBin, yBin);
        if (probe) {
          reject(i, record, probe.reason, probe.field);
          continue;
        }
        const shape = yBin === null ? [xBin] : [yBin, xBin];
        if (spec.onShapeChange !== 'new-file') {
          const id = recordId(spec.endpoint, record);
          throw new InputError(
            'E_SHAPE_CHANGE',
            `${spec.endpoint} record ${id !== null ? 'id=' + id : '#' + i}: ${spec.layout} shape [${shape.join(', ')}] differs from [${seg.data.shape!.join(', ')}] (onShapeChange: error)`,
            { field: 'data', id, index: i },
          );
        }
        finishSegment(seg);
        seg = newSegment(records.length - i, record);
      }
      const failure = seg.data!.append(r[dataDef.name], xBin, yBin);
      if (failure) {
        reject(i, record, failure.reason, failure.field);
        continue;
      }
    }
    for (let k = 0; k < sourceIndex.length; k++) {
      const acc = seg.accumulators[k];
      if (acc) acc.push(checked[sourceIndex[k]]);
    }
    seg.rows++;
  }
  finishSegment(seg);
  return { batches, rejects };
}

const shapeErrorVariants = new WeakMap<TransformSpec, TransformSpec>();

/** The spec with `onShapeChange: 'error'`, cached so the compiled plan is reused across calls. */
function shapeErrorVariant(spec: TransformSpec): TransformSpec {
  if (spec.onShapeChange !== 'new-file') return spec;
  let variant = shapeErrorVariants.get(spec);
  if (!variant) {
    variant = { ...spec, onShapeChange: 'error' };
    shapeErrorVariants.set(spec, variant);
  }
  return variant;
}

/**
 * Converts records to one RecordBatch. Every record is checked: required fields present, integers in
 * range, finite numbers, `data` with `x_bin` values (2D: `y_bin` rows of `x_bin`). A bad record becomes
 * a Reject (or, with `spec.strict`, an InputError `E_RECORD_INVALID` naming the record and field).
 * With the tensor layout all records must share one shape: a different shape throws `E_SHAPE_CHANGE`
 * (use `toRecordBatches` with `onShapeChange: 'new-file'` to split instead).
 */
export function toRecordBatch(records: readonly unknown[], spec: TransformSpec): BatchResult {
  const { batches, rejects } = toRecordBatches(records, shapeErrorVariant(spec));
  return { batch: batches[0] ?? null, rejects };
}
