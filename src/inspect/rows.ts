/**
 * A record batch seen as histogram rows, whatever the layout: every layout keeps a row's bins
 * contiguous in one leaf buffer (tensor: `fixed_size_list`; flat and 1D: `list`; nested 2D:
 * `list<list>`), so `values(i)` is a zero-copy subarray of it. Scalars come from their columns, or
 * from the hive partition when the column was dropped from the files (`run=315705/`).
 */
import { DataType, type Data, type RecordBatch, type Vector } from 'apache-arrow';
import { InputError } from '../errors.js';

/** Typed array of a row's bins. */
export type Bins = Float32Array | Float64Array;

/** Histogram rows of one batch. */
export interface HistogramRows {
  length: number;
  /** `nested`, `flat`, `tensor` or `array`. */
  layout: 'nested' | 'flat' | 'tensor' | 'array';
  dtype: 'float32' | 'float64';
  run(i: number): number;
  lumisection(i: number): number;
  title(i: number): string;
  /** `entries`, or null when the column is absent. */
  entries(i: number): number | null;
  /** The row's bins (row-major, y outer), zero-copy. */
  values(i: number): Bins;
  /** Bins along x and y (1 for 1D); from x_bin/y_bin, else from the data's shape. */
  shape(i: number): [number, number];
  /** x_min, x_max, y_min, y_max when the columns exist (null otherwise). */
  ranges(i: number): { x: [number, number] | null; y: [number, number] | null };
  /** 1 or 2. */
  dims: 1 | 2;
}

function num(v: unknown): number {
  return typeof v === 'bigint' ? Number(v) : (v as number);
}

function leafOf(data: Data): Data {
  let d = data;
  while (d.children.length > 0) d = d.children[0]!;
  return d;
}

function dtypeOf(leaf: Data): 'float32' | 'float64' {
  if (DataType.isFloat(leaf.type)) return leaf.type.precision === 2 ? 'float64' : 'float32';
  throw new InputError(
    'E_INSPECT_COLUMN',
    `histogram data holds ${String(leaf.type)} values, expected float32 or float64`,
    { field: 'data' },
  );
}

/** The tensor shape from the column's extension metadata, if there is one. */
function tensorShape(batch: RecordBatch): number[] | null {
  const field = batch.schema.fields.find((f) => f.name === 'data');
  const meta = field?.metadata.get('ARROW:extension:metadata');
  if (!meta) return null;
  try {
    const shape = (JSON.parse(meta) as { shape?: unknown }).shape;
    return Array.isArray(shape) && shape.every((n) => Number.isInteger(n)) ? (shape as number[]) : null;
  } catch {
    return null;
  }
}

function scalarColumn(
  batch: RecordBatch,
  name: string,
  partition: Record<string, string>,
  where: string,
): (i: number) => number {
  const col = batch.getChild(name);
  if (col) return (i) => num(col.get(i));
  const value = partition[name];
  if (value !== undefined && value !== '' && Number.isFinite(Number(value))) {
    const n = Number(value);
    return () => n;
  }
  throw new InputError(
    'E_INSPECT_COLUMN',
    `${where}: no ${name} column and no ${name}= partition directory (a histogram dataset needs one)`,
    { file: where, field: name },
  );
}

function optionalNumber(col: Vector | null): ((i: number) => number) | null {
  return col ? (i) => num(col.get(i)) : null;
}

/**
 * Views `batch` as histogram rows, or returns null when it has no `data` column (runs, lumisections,
 * data files). Throws InputError E_INSPECT_COLUMN naming `where` when a needed column is missing.
 */
export function histogramRows(
  batch: RecordBatch,
  partition: Record<string, string>,
  where: string,
): HistogramRows | null {
  const dataCol = batch.getChild('data');
  if (!dataCol) return null;
  const data = dataCol.data[0]!;
  const leaf = leafOf(data);
  const buffer = leaf.values as Bins;
  const titleCol = batch.getChild('title');
  if (!titleCol)
    throw new InputError('E_INSPECT_COLUMN', `${where}: no title column (a histogram dataset needs one)`, {
      file: where,
      field: 'title',
    });
  const run = scalarColumn(batch, 'run', partition, where);
  const lumisection = scalarColumn(batch, 'lumisection', partition, where);
  const entriesOf = optionalNumber(batch.getChild('entries'));
  const xBin = optionalNumber(batch.getChild('x_bin'));
  const yBin = optionalNumber(batch.getChild('y_bin'));
  const [xMin, xMax, yMin, yMax] = ['x_min', 'x_max', 'y_min', 'y_max'].map((n) => optionalNumber(batch.getChild(n)));
  const nested2d = DataType.isList(data.type) && data.children[0]!.children.length > 0;
  const tensor = DataType.isFixedSizeList(data.type);
  // The array layout nests one fixed-size list per dimension ([y][x]); its shape is in the type.
  const inner = tensor ? data.children[0]!.type : null;
  const arrayOf2d = inner !== null && DataType.isFixedSizeList(inner);
  const dims: 1 | 2 =
    nested2d || arrayOf2d || yBin !== null || (tensor && (tensorShape(batch)?.length ?? 1) === 2) ? 2 : 1;
  const layout = arrayOf2d
    ? 'array'
    : tensor
      ? tensorShape(batch)
        ? 'tensor'
        : 'array'
      : nested2d
        ? 'nested'
        : dims === 2
          ? 'flat'
          : 'nested';
  const shapeMeta = arrayOf2d
    ? [(data.type as { listSize: number }).listSize, (inner as { listSize: number }).listSize]
    : tensor
      ? tensorShape(batch)
      : null;

  // apache-arrow slices list offsets and fixed-size-list children with their parent, so indexes are
  // relative to the batch and no `offset` is added (checked against sliced vectors).
  const listSize = tensor
    ? (data.type as { listSize: number }).listSize * (arrayOf2d ? (inner as { listSize: number }).listSize : 1)
    : 0;
  /** [start, end) of row i in the leaf buffer, and the nested row's inner-list count. */
  const span = (i: number): [number, number, number] => {
    if (tensor) return [i * listSize, (i + 1) * listSize, 0];
    const offsets = data.valueOffsets as Int32Array;
    const a = offsets[i]!;
    const b = offsets[i + 1]!;
    if (!nested2d) return [a, b, 0];
    const innerOffsets = data.children[0]!.valueOffsets as Int32Array;
    return [innerOffsets[a]!, innerOffsets[b]!, b - a];
  };

  return {
    length: batch.numRows,
    layout,
    dtype: dtypeOf(leaf),
    dims,
    run,
    lumisection,
    title: (i) => String(titleCol.get(i)),
    entries: (i) => (entriesOf ? entriesOf(i) : null),
    values: (i) => {
      const [a, b] = span(i);
      return buffer.subarray(a, b);
    },
    shape: (i) => {
      if (xBin) return [xBin(i), yBin ? yBin(i) : 1];
      if (shapeMeta) return shapeMeta.length === 2 ? [shapeMeta[1]!, shapeMeta[0]!] : [shapeMeta[0]!, 1];
      const [a, b, ny] = span(i);
      return nested2d && ny > 0 ? [(b - a) / ny, ny] : [b - a, 1];
    },
    ranges: (i) => ({
      x: xMin && xMax ? [xMin(i), xMax(i)] : null,
      y: yMin && yMax ? [yMin(i), yMax(i)] : null,
    }),
  };
}
