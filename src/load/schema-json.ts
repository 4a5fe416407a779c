/**
 * Arrow schemas as plain JSON (for manifests) and as a comparable signature (to notice a schema
 * change between batches, such as a new tensor shape, before a writer silently starts over).
 */
import type { DataType, Field, Schema } from 'apache-arrow';

/** One field as JSON: name, Arrow type as Arrow prints it, nullability, metadata and children. */
export interface FieldJSON {
  name: string;
  /** Arrow's rendering of the type, e.g. `FixedSizeList[4032]<Float32>`, `Dictionary<Int32, Utf8>`. */
  type: string;
  nullable: boolean;
  /** Field metadata, e.g. the tensor extension name and shape. */
  metadata?: Record<string, string>;
  /** Child fields of nested types (list items, struct members). */
  children?: FieldJSON[];
}

/** A schema as JSON. */
export interface SchemaJSON {
  fields: FieldJSON[];
  /** Schema metadata (the provenance keys). */
  metadata?: Record<string, string>;
}

function childrenOf(type: DataType): Field[] {
  const children = (type as DataType & { children?: Field[] }).children;
  return Array.isArray(children) ? children : [];
}

function fieldToJSON(field: Field): FieldJSON {
  const out: FieldJSON = { name: field.name, type: String(field.type), nullable: field.nullable };
  if (field.metadata.size > 0)
    out.metadata = Object.fromEntries([...field.metadata].sort(([a], [b]) => (a < b ? -1 : 1)));
  const children = childrenOf(field.type);
  if (children.length > 0) out.children = children.map(fieldToJSON);
  return out;
}

/** The schema as JSON; `withMetadata: false` leaves out schema-level metadata (provenance). */
export function schemaToJSON(schema: Schema, withMetadata = true): SchemaJSON {
  const out: SchemaJSON = { fields: schema.fields.map(fieldToJSON) };
  if (withMetadata && schema.metadata.size > 0)
    out.metadata = Object.fromEntries([...schema.metadata].sort(([a], [b]) => (a < b ? -1 : 1)));
  return out;
}

/** A string equal for two schemas exactly when their fields (names, types, nullability, field metadata) are. */
export function schemaSignature(schema: Schema): string {
  return JSON.stringify(schemaToJSON(schema, false).fields);
}
