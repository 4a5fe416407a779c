/**
 * Records to Arrow record batches. Pure functions: plain JSON records in, a RecordBatch (or, for
 * tensors whose shape changes, several) and the list of rejected records out. Every record is
 * checked against the column catalogue; nothing is silently dropped or padded.
 */
import { Field, type RecordBatch, Schema } from 'apache-arrow';
import { ConfigError, InputError } from '../errors.js';
import { RECORD_KEY } from './columns.js';
import { Invalid, checkField } from './field-check.js';
import { HistogramDataAccumulator, histogramDataType, isFixedShape, tensorMetadata } from './histogram-data.js';
import { constantType, scalarType } from './scalar-columns.js';
import {
  batchLayout,
  dimsOf,
  finishSegment,
  newSegment,
  pushScalars,
  type BatchLayout,
  type Segment,
} from './segment.js';
import { compileSpec, type TransformSpec } from './spec.js';

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
        throw new ConfigError(
          'E_TRANSFORM_SHAPE',
          `arrowSchemaFor: the ${spec.layout} layout needs the histogram shape ([x] or [y, x])`,
          { field: 'shape' },
        );
      }
      const metadata = spec.layout === 'tensor' ? tensorMetadata(shape!) : new Map<string, string>();
      return new Field(out.name, histogramDataType(spec.layout, spec.dtype, dims as 1 | 2, shape), false, metadata);
    }
    return new Field(out.name, scalarType(def.kind), def.nullable);
  });
  return new Schema(fields);
}

function recordId(endpoint: TransformSpec['endpoint'], record: unknown): number | null {
  const key = RECORD_KEY[endpoint];
  if (key === null || typeof record !== 'object' || record === null) return null;
  const value = (record as Record<string, unknown>)[key];
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
}

/** Why a record is refused: one line, and the field at fault when there is one. */
interface Problem {
  reason: string;
  field?: string;
}

/**
 * Checks a record against every catalogue column, writing the checked values into `checked`
 * (indexed like the catalogue); returns the first problem, or null.
 */
function checkRecord(L: BatchLayout, record: unknown, checked: unknown[]): Problem | null {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return {
      reason: `expected an object, got ${record === null ? 'null' : Array.isArray(record) ? 'an array' : typeof record}`,
    };
  }
  const r = record as Record<string, unknown>;
  const all = L.plan.all;
  for (let j = 0; j < all.length; j++) {
    const value = checkField(all[j], r[all[j].name]);
    if (value instanceof Invalid) return { reason: value.reason, field: all[j].name };
    checked[j] = value;
  }
  return null;
}

/** The record's histogram bins, checked: `[x_bin, y_bin or null]`, or the problem. */
function binsOf(L: BatchLayout, checked: readonly unknown[]): [number, number | null] | Problem {
  const xBin = checked[L.xIdx] as number;
  const yBin = L.dims === 2 ? (checked[L.yIdx] as number) : null;
  if (xBin < 1 || (yBin !== null && yBin < 1)) {
    return {
      reason: `expected at least one bin, got ${xBin < 1 ? 'x_bin=' + xBin : 'y_bin=' + yBin}`,
      field: xBin < 1 ? 'x_bin' : 'y_bin',
    };
  }
  return [xBin, yBin];
}

/** A record whose tensor shape differs from the batch's, with `onShapeChange: error`. */
function shapeChangeError(L: BatchLayout, seg: Segment, record: unknown, index: number, shape: number[]): InputError {
  const id = recordId(L.spec.endpoint, record);
  return new InputError(
    'E_SHAPE_CHANGE',
    `${L.spec.endpoint} record ${id !== null ? 'id=' + id : '#' + index}: ${L.spec.layout} shape [${shape.join(', ')}] differs from [${seg.data!.shape!.join(', ')}] (onShapeChange: error)`,
    { field: 'data', id, index },
  );
}

/** Converts records to batches; see `toRecordBatch` for the rules. */
export function toRecordBatches(records: readonly unknown[], spec: TransformSpec): BatchesResult {
  const L = batchLayout(spec);
  const batches: RecordBatch[] = [];
  const rejects: Reject[] = [];
  const checked: unknown[] = new Array(L.plan.all.length);
  const reject = (index: number, record: unknown, { reason, field }: Problem): void => {
    const id = recordId(spec.endpoint, record);
    if (spec.strict) {
      const who = id !== null ? `${RECORD_KEY[spec.endpoint]}=${id}` : `#${index}`;
      throw new InputError(
        'E_RECORD_INVALID',
        `${spec.endpoint} record ${who}: ${field ? field + ': ' : ''}${reason}`,
        { field, id, index },
      );
    }
    rejects.push(field === undefined ? { id, reason, index } : { id, reason, field, index });
  };
  const flush = (seg: Segment): void => {
    const batch = finishSegment(L, seg);
    if (batch) batches.push(batch);
  };

  let seg = newSegment(L, records.length, records[0]);
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    const problem = checkRecord(L, record, checked);
    if (problem) {
      reject(i, record, problem);
      continue;
    }
    if (seg.data && L.dataDef) {
      const bins = binsOf(L, checked);
      if (!Array.isArray(bins)) {
        reject(i, record, bins);
        continue;
      }
      const [xBin, yBin] = bins;
      const data = (record as Record<string, unknown>)[L.dataDef.name];
      if (!seg.data.accepts(xBin, yBin)) {
        // A record whose data disagrees with its own x_bin/y_bin is a reject, not a shape change.
        const probe = new HistogramDataAccumulator('flat', spec.dtype, L.dims as 1 | 2, 0).append(data, xBin, yBin);
        if (probe) {
          reject(i, record, probe);
          continue;
        }
        if (spec.onShapeChange !== 'new-file')
          throw shapeChangeError(L, seg, record, i, yBin === null ? [xBin] : [yBin, xBin]);
        flush(seg);
        seg = newSegment(L, records.length - i, record);
      }
      const failure = seg.data!.append(data, xBin, yBin);
      if (failure) {
        reject(i, record, failure);
        continue;
      }
    }
    pushScalars(L, seg, checked);
  }
  flush(seg);
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
