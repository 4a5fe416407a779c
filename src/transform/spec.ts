/**
 * What a transform produces, as plain data: the endpoint, the histogram `data` layout and dtype, and
 * the column selection, renaming and constants. `transformSpecFor` fills the defaults and rejects bad
 * values with ConfigErrors that list the valid ones; `compileSpec` turns a spec into the output plan.
 */
import { STREAM_ENDPOINTS as ENDPOINTS, type StreamEndpoint as Endpoint } from '../endpoints.js';
import { ConfigError } from '../errors.js';
import { COLUMNS, type ColumnDef } from './columns.js';

/**
 * How histogram `data` is stored:
 * - `nested`: 1D `list<float>`, 2D `list<list<float>>` with `data[iy][ix]` as served;
 * - `flat`: one `list<float>` per record, 2D row-major with Y outer (`x_bin`/`y_bin` reshape it);
 * - `tensor`: `fixed_size_list<float, y*x>` tagged `arrow.fixed_shape_tensor` with shape `[y, x]`
 *   (1D: `[x]`); every row of a batch has the same shape. pyarrow restores the tensor
 *   (`to_numpy_ndarray()` is `(N, y, x)`); Hugging Face `datasets` cannot load it;
 * - `array`: 2D `fixed_size_list<fixed_size_list<float, x>, y>`, 1D `fixed_size_list<float, x>`,
 *   no extension type: `datasets`, polars and DuckDB see the shape; one shape per batch as `tensor`.
 */
export type Layout = 'nested' | 'flat' | 'tensor' | 'array';
export const LAYOUTS: readonly Layout[] = ['nested', 'flat', 'tensor', 'array'];

/** Element type of `data`: float64 keeps the served values bit-exact; float32 is `Math.fround` of each. */
export type Dtype = 'float64' | 'float32';
export const DTYPES: readonly Dtype[] = ['float64', 'float32'];

/** What a tensor (or array) shape change does: throw (`error`) or start a new batch, and so a new file (`new-file`). */
export type ShapeChangePolicy = 'error' | 'new-file';

/** A value for a constant column. Strings become dictionary-encoded utf8, integers int64, other numbers float64. */
export type ConstantValue = string | number | boolean;

/** Everything a transform needs; build it with `transformSpecFor`. */
export interface TransformSpec {
  /** The endpoint the records come from; decides the columns. */
  endpoint: Endpoint;
  /** Layout of histogram `data` (ignored for other endpoints). */
  layout: Layout;
  /** Element type of histogram `data`. */
  dtype: Dtype;
  /** Source columns to output, in this order (default: all, in catalogue order). */
  select?: string[];
  /** Output name per source column (`{lumisection: 'ls'}`). */
  rename?: Record<string, string>;
  /** Extra columns with one value for every row (e.g. a dataset label), appended after the others. */
  constants?: Record<string, ConstantValue>;
  /** Tensor and array layouts only: what a record whose shape differs from the batch's first record does. */
  onShapeChange?: ShapeChangePolicy;
  /** Throw an InputError at the first invalid record instead of collecting rejects. */
  strict?: boolean;
}

/** Options of `transformSpecFor`: the spec without the endpoint, every field optional. */
export type TransformOptions = Partial<Omit<TransformSpec, 'endpoint'>>;

/** One output column of a compiled spec. */
export interface OutputColumn {
  /** Output (possibly renamed) name. */
  name: string;
  /** The catalogue column it comes from, or the constant value. */
  source: ColumnDef | { constant: ConstantValue };
}

/** A spec turned into the list of output columns; cached per spec object. */
export interface CompiledSpec {
  spec: TransformSpec;
  /** Every catalogue column of the endpoint (all are validated, selected or not). */
  all: readonly ColumnDef[];
  outputs: OutputColumn[];
}

function list(values: readonly string[]): string {
  return values.join(', ');
}

/**
 * Fills the defaults (`nested`, `float64`, all columns, `onShapeChange: 'error'`, not strict) and
 * validates the options against the endpoint's columns. Throws ConfigError naming the bad value.
 */
export function transformSpecFor(endpoint: Endpoint, options: TransformOptions = {}): TransformSpec {
  const spec: TransformSpec = {
    endpoint,
    layout: options.layout ?? 'nested',
    dtype: options.dtype ?? 'float64',
    onShapeChange: options.onShapeChange ?? 'error',
    strict: options.strict ?? false,
  };
  if (options.select !== undefined) spec.select = [...options.select];
  if (options.rename !== undefined) spec.rename = { ...options.rename };
  if (options.constants !== undefined) spec.constants = { ...options.constants };
  compileSpec(spec);
  return spec;
}

const compiled = new WeakMap<TransformSpec, CompiledSpec>();

/** Validates a spec and lists its output columns. Memoised per spec object (specs are treated as immutable). */
export function compileSpec(spec: TransformSpec): CompiledSpec {
  const hit = compiled.get(spec);
  if (hit) return hit;
  if (!(ENDPOINTS as readonly string[]).includes(spec.endpoint)) {
    throw new ConfigError(
      'E_TRANSFORM_ENDPOINT',
      `transform: unknown endpoint "${spec.endpoint}". Valid values are: ${list(ENDPOINTS)}`,
      { field: 'endpoint' },
    );
  }
  if (!LAYOUTS.includes(spec.layout)) {
    throw new ConfigError(
      'E_TRANSFORM_LAYOUT',
      `transform: invalid layout "${spec.layout}". Valid values are: ${list(LAYOUTS)}`,
      { field: 'layout' },
    );
  }
  if (!DTYPES.includes(spec.dtype)) {
    throw new ConfigError(
      'E_TRANSFORM_DTYPE',
      `transform: invalid dtype "${spec.dtype}". Valid values are: ${list(DTYPES)}`,
      { field: 'dtype' },
    );
  }
  if (spec.onShapeChange !== undefined && spec.onShapeChange !== 'error' && spec.onShapeChange !== 'new-file') {
    throw new ConfigError(
      'E_TRANSFORM_SHAPE_POLICY',
      `transform: invalid onShapeChange "${String(spec.onShapeChange)}". Valid values are: error, new-file`,
      { field: 'onShapeChange' },
    );
  }
  const all = COLUMNS[spec.endpoint];
  const names = all.map((col) => col.name);
  const byName = new Map(all.map((col) => [col.name, col]));

  const selected = spec.select ?? names;
  if (selected.length === 0) {
    throw new ConfigError('E_TRANSFORM_SELECT', `transform: select is empty. Valid values are: ${list(names)}`, {
      field: 'select',
    });
  }
  const seen = new Set<string>();
  for (const name of selected) {
    if (!byName.has(name)) {
      throw new ConfigError(
        'E_TRANSFORM_SELECT',
        `transform: unknown column "${name}" in select for ${spec.endpoint}. Valid values are: ${list(names)}`,
        { field: 'select' },
      );
    }
    if (seen.has(name))
      throw new ConfigError('E_TRANSFORM_SELECT', `transform: column "${name}" is selected twice`, { field: 'select' });
    seen.add(name);
  }
  const rename = spec.rename ?? {};
  for (const [from, to] of Object.entries(rename)) {
    if (!byName.has(from)) {
      throw new ConfigError(
        'E_TRANSFORM_RENAME',
        `transform: cannot rename unknown column "${from}" of ${spec.endpoint}. Valid values are: ${list(names)}`,
        { field: `rename.${from}` },
      );
    }
    if (typeof to !== 'string' || to.length === 0) {
      throw new ConfigError('E_TRANSFORM_RENAME', `transform: rename of "${from}" must be a non-empty string`, {
        field: `rename.${from}`,
      });
    }
  }
  const outputs: OutputColumn[] = selected.map((name) => ({ name: rename[name] ?? name, source: byName.get(name)! }));
  for (const [name, value] of Object.entries(spec.constants ?? {})) {
    const ok =
      typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) {
      throw new ConfigError(
        'E_TRANSFORM_CONSTANT',
        `transform: constant "${name}" must be a string, a finite number or a boolean`,
        { field: `constants.${name}` },
      );
    }
    if (name.length === 0)
      throw new ConfigError('E_TRANSFORM_CONSTANT', 'transform: a constant column needs a name', {
        field: 'constants',
      });
    outputs.push({ name, source: { constant: value } });
  }
  const outNames = new Set<string>();
  for (const out of outputs) {
    if (outNames.has(out.name)) {
      throw new ConfigError(
        'E_TRANSFORM_DUPLICATE',
        `transform: two output columns are named "${out.name}" (check rename and constants)`,
        { field: out.name },
      );
    }
    outNames.add(out.name);
  }
  const result: CompiledSpec = { spec, all, outputs };
  compiled.set(spec, result);
  return result;
}
