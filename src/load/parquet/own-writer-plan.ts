/**
 * Which files the own Parquet writer (own-writer.ts) writes: the main thread maps the Arrow schema
 * to the writer's columns when it can map every one, and the worker then writes the file with it
 * (unless the compression or codec asks for parquet-wasm). Supported: what the default transforms
 * of the histogram endpoints produce, i.e. non-null lists (fixed-size or not, one or two levels) of
 * non-null float32/float64 next to int32, int64, float64 and utf8 columns, nullable or not, utf8
 * possibly behind an int32-indexed Arrow dictionary. Anything else (timestamps, booleans, structs,
 * other integer widths, lists of anything but floats) leaves the file to parquet-wasm.
 */
import { DataType, type Field, type Schema } from 'apache-arrow';
import type { OwnColumn, OwnListLevel } from './protocol.js';

/** The own writer's column for a list of floats, or null. */
function floatListColumn(field: Field): OwnColumn | null {
  if (field.nullable) return null;
  const levels: OwnListLevel[] = [];
  let type: DataType = field.type;
  while (DataType.isList(type) || DataType.isFixedSizeList(type)) {
    const child = type.children[0];
    if (!child) return null;
    if (DataType.isFixedSizeList(type) && type.listSize <= 0) return null;
    levels.push({
      ...(DataType.isFixedSizeList(type) ? { fixedSize: type.listSize } : {}),
      itemName: child.name,
      itemNullable: child.nullable,
    });
    type = child.type;
  }
  if (levels.length === 0 || levels.length > 2 || !DataType.isFloat(type)) return null;
  const width = type.precision === 1 ? 4 : type.precision === 2 ? 8 : null;
  return width ? { kind: 'floats', name: field.name, width, levels } : null;
}

/** The own writer's column for a scalar field, or null. */
function scalarColumn(field: Field): OwnColumn | null {
  const { type, name, nullable } = field;
  if (DataType.isDictionary(type)) {
    const indices = type.indices;
    if (!DataType.isUtf8(type.dictionary) || indices.bitWidth !== 32 || !indices.isSigned) return null;
    return { kind: 'utf8', name, nullable, arrowDictionary: true };
  }
  if (DataType.isUtf8(type)) return { kind: 'utf8', name, nullable };
  if (DataType.isInt(type) && type.isSigned && (type.bitWidth === 32 || type.bitWidth === 64))
    return { kind: type.bitWidth === 32 ? 'int32' : 'int64', name, nullable };
  if (DataType.isFloat(type) && type.precision === 2) return { kind: 'float64', name, nullable };
  return null;
}

/**
 * The own writer's columns for `schema`, or undefined when any column is outside what it writes,
 * or when the schema has no float lists (the plan's writer settings differ then).
 */
export function ownWriterColumns(schema: Schema): OwnColumn[] | undefined {
  const columns: OwnColumn[] = [];
  let lists = 0;
  for (const field of schema.fields) {
    const isList = DataType.isList(field.type) || DataType.isFixedSizeList(field.type);
    const column = isList ? floatListColumn(field) : scalarColumn(field);
    if (!column) return undefined;
    if (isList) lists++;
    columns.push(column);
  }
  return lists > 0 ? columns : undefined;
}
