/**
 * DuckDB as the independent Parquet reader of the test suite. One in-memory database per test file
 * (created on first use, closed by `closeDuckDB`); results come back as plain JS rows.
 *
 *   const rows = await readParquetRows(path);                  // every column, every row
 *   const { rows, types } = await queryParquet(`SELECT ... FROM read_parquet(${sqlString(path)})`);
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

let instance: DuckDBInstance | null = null;
let connection: DuckDBConnection | null = null;

async function connect(): Promise<DuckDBConnection> {
  if (!connection) {
    instance = await DuckDBInstance.create(':memory:');
    connection = await instance.connect();
  }
  return connection;
}

/** A SQL string literal (single quotes doubled), for file paths in `read_parquet(...)`. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Result of a query: column names, DuckDB type names (`DOUBLE[]`, `BIGINT`, ...) and rows. */
export interface QueryResult {
  columns: string[];
  types: string[];
  /** Rows as JS values: BIGINT as bigint, lists as arrays, timestamps as Date, BLOB as Uint8Array. */
  rows: Record<string, unknown>[];
}

/** Runs any SQL (typically over `read_parquet(...)`) and returns the whole result. */
export async function queryParquet(sql: string): Promise<QueryResult> {
  const reader = await (await connect()).runAndReadAll(sql);
  return {
    columns: reader.columnNames(),
    types: reader.columnTypes().map(String),
    rows: reader.getRowObjectsJS() as Record<string, unknown>[],
  };
}

/** Every row of one Parquet file (or glob), in file order. */
export async function readParquetRows(path: string): Promise<Record<string, unknown>[]> {
  return (await queryParquet(`SELECT * FROM read_parquet(${sqlString(path)})`)).rows;
}

/** Column name -> DuckDB type, as DuckDB reads the file. */
export async function parquetColumnTypes(path: string): Promise<Record<string, string>> {
  const { columns, types } = await queryParquet(`SELECT * FROM read_parquet(${sqlString(path)}) LIMIT 0`);
  return Object.fromEntries(columns.map((c, i) => [c, types[i]]));
}

const decoder = new TextDecoder();

/** The file's key-value metadata (including `ARROW:schema`), decoded as UTF-8. */
export async function parquetKeyValueMetadata(path: string): Promise<Record<string, string>> {
  const { rows } = await queryParquet(`SELECT key, value FROM parquet_kv_metadata(${sqlString(path)})`);
  const text = (v: unknown): string => (v instanceof Uint8Array ? decoder.decode(v) : String(v));
  return Object.fromEntries(rows.map((r) => [text(r.key), text(r.value)]));
}

/** Closes the database (call in `afterAll`). */
export function closeDuckDB(): void {
  connection?.closeSync();
  instance?.closeSync();
  connection = null;
  instance = null;
}
