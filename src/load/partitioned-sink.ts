/**
 * The partitioned writer: routes each row to the sink of its partition (`run=315705/part-00000.parquet`),
 * opening sinks on demand. Partition columns are dropped from the files (Hive convention: the path
 * carries them). At most `maxOpenPartitions` partitions have an open file; the least recently used
 * one is finished (its files stay temporary) and a later row of it starts a new file. All files are
 * renamed in place together at `close()`; `abort()` removes every one.
 */
import { DataType, Schema, type RecordBatch } from 'apache-arrow';
import { ConfigError, InternalError } from '../errors.js';
import { encoderFactory, resolveSinkOptions } from './open-sink.js';
import { partitionPath } from './partition-path.js';
import { RollingSink } from './rolling-sink.js';
import { dropColumns, takeRows } from './take.js';
import type { Sink, SinkOptions, WrittenFile } from './types.js';

/** Options of `openPartitionedSink`. */
export interface PartitionedSinkOptions extends Omit<SinkOptions, 'partition'> {
  /** Columns whose values name the partition directories, outermost first. */
  partitionBy: string[];
  /** Partitions with an open file at once (default 32); each open Parquet file holds a row group in memory. */
  maxOpenPartitions?: number;
}

interface Partition {
  values: Record<string, string>;
  sinks: RollingSink[];
  open: RollingSink | null;
  nextSequence: number;
}

function partitionValue(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

const PARTITIONABLE = (type: DataType): boolean =>
  DataType.isInt(type) ||
  DataType.isUtf8(type) ||
  DataType.isBool(type) ||
  (DataType.isDictionary(type) && DataType.isUtf8(type.dictionary));

/** Opens a partitioned sink. Throws ConfigError when `partitionBy` is empty or names a column twice. */
export function openPartitionedSink(options: PartitionedSinkOptions): Sink {
  if (options.partitionBy.length === 0)
    throw new ConfigError('E_PARTITION_BY', 'partitioned sink: partitionBy is empty', { field: 'partitionBy' });
  if (new Set(options.partitionBy).size !== options.partitionBy.length) {
    throw new ConfigError(
      'E_PARTITION_BY',
      `partitioned sink: partitionBy names a column twice (${options.partitionBy.join(', ')})`,
      { field: 'partitionBy' },
    );
  }
  resolveSinkOptions(options);
  const maxOpen = Math.max(1, options.maxOpenPartitions ?? 32);
  const partitions = new Map<string, Partition>();
  const recent: Partition[] = [];
  const drop = new Set(options.partitionBy);
  let state: 'open' | 'closed' | 'aborted' = 'open';
  let checkedSchema: Schema | null = null;
  let fileSchema: Schema | null = null;

  const sinkFor = async (key: string, values: Record<string, string>): Promise<RollingSink> => {
    let p = partitions.get(key);
    if (!p) {
      p = { values, sinks: [], open: null, nextSequence: 0 };
      partitions.set(key, p);
    }
    const i = recent.indexOf(p);
    if (i >= 0) recent.splice(i, 1);
    recent.push(p);
    if (!p.open) {
      const opened = recent.filter((q) => q.open);
      if (opened.length >= maxOpen) {
        const victim = opened[0];
        await victim.open!.finish();
        victim.nextSequence = victim.open!.nextSequence;
        victim.open = null;
      }
      const resolved = { ...resolveSinkOptions({ ...options, partition: values }), firstSequence: p.nextSequence };
      p.open = new RollingSink(resolved, encoderFactory(options, resolved));
      p.sinks.push(p.open);
    }
    return p.open;
  };

  const check = (schema: Schema): void => {
    if (checkedSchema === schema) return;
    for (const name of options.partitionBy) {
      const field = schema.fields.find((f) => f.name === name);
      if (!field)
        throw new ConfigError(
          'E_PARTITION_BY',
          `partitioned sink: no column "${name}" to partition by. Columns are: ${schema.fields.map((f) => f.name).join(', ')}`,
          { field: 'partitionBy' },
        );
      if (!PARTITIONABLE(field.type))
        throw new ConfigError(
          'E_PARTITION_BY',
          `partitioned sink: cannot partition by "${name}" of type ${String(field.type)} (integers, strings and booleans only)`,
          { field: 'partitionBy' },
        );
    }
    checkedSchema = schema;
    fileSchema = new Schema(
      schema.fields.filter((f) => !drop.has(f.name)),
      schema.metadata,
    );
  };

  return {
    async write(batch: RecordBatch): Promise<void> {
      if (state !== 'open') throw new InternalError('E_SINK_STATE', `partitioned sink: write after ${state}`);
      if (batch.numRows === 0) return;
      check(batch.schema);
      const columns = options.partitionBy.map((name) => batch.getChild(name)!);
      const groups = new Map<string, { values: Record<string, string>; rows: number[] }>();
      for (let r = 0; r < batch.numRows; r++) {
        const values: Record<string, string> = {};
        for (let c = 0; c < columns.length; c++)
          values[options.partitionBy[c]] = partitionValue(columns[c].get(r)) ?? '';
        const key = partitionPath(values);
        let g = groups.get(key);
        if (!g) groups.set(key, (g = { values, rows: [] }));
        g.rows.push(r);
      }
      for (const [key, g] of groups) {
        const contiguous = g.rows[g.rows.length - 1] - g.rows[0] === g.rows.length - 1;
        const part = contiguous
          ? batch.slice(g.rows[0], g.rows[0] + g.rows.length)
          : takeRows(batch, Int32Array.from(g.rows));
        await (await sinkFor(key, g.values)).write(dropColumns(part, drop, fileSchema!));
      }
    },

    async close(): Promise<WrittenFile[]> {
      if (state !== 'open') throw new InternalError('E_SINK_STATE', `partitioned sink: close after ${state}`);
      const all = [...partitions.values()].flatMap((p) => p.sinks);
      try {
        for (const sink of all) await sink.finish();
        const files: WrittenFile[] = [];
        for (const sink of all) files.push(...(await sink.commit()));
        state = 'closed';
        return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      } catch (err) {
        // Undo everything, including sinks that a close failing halfway had already committed.
        state = 'aborted';
        for (const p of partitions.values()) for (const sink of p.sinks) await sink.abort(true).catch(() => {});
        throw err;
      }
    },

    async abort(): Promise<void> {
      if (state !== 'open') return;
      state = 'aborted';
      for (const p of partitions.values()) for (const sink of p.sinks) await sink.abort();
    },
  };
}
