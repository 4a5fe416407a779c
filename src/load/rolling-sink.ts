/**
 * The format-independent part of a sink: file naming, rollover at the maximum size, schema changes,
 * provenance metadata, and the two-phase finish (files complete under temporary names) then commit
 * (rename in place), so a slice's files appear together and an abort leaves none.
 */
import { join } from 'node:path';
import { RecordBatch, Schema } from 'apache-arrow';
import { InputError, InternalError } from '../errors.js';
import { commitFile, ensureDirectory, removeTemporary, temporaryPathFor } from './atomic.js';
import { batchByteLength } from './batch-bytes.js';
import type { FileEncoder, FileEncoderFactory } from './file-encoder.js';
import { partitionPath } from './partition-path.js';
import { schemaSignature, schemaToJSON } from './schema-json.js';
import type { OutputFormat, SchemaChangePolicy, Sink, WrittenFile } from './types.js';

/** Default size at which files roll over. */
export const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;

/** Settings of a rolling sink, resolved from SinkOptions. */
export interface RollingSinkSettings {
  dir: string;
  format: OutputFormat;
  extension: string;
  filePrefix: string;
  maxFileBytes: number;
  metadata: Record<string, string>;
  partition: Record<string, string>;
  onSchemaChange: SchemaChangePolicy;
  /** Number of the first file (the partitioned writer continues numbering after an eviction). */
  firstSequence: number;
}

interface OpenFile {
  encoder: FileEncoder;
  temporaryPath: string;
  finalPath: string;
  relativePath: string;
  schema: Schema;
  signature: string;
  rows: number;
}

interface FinishedFile {
  temporaryPath: string;
  finalPath: string;
  file: WrittenFile;
}

function describeSchemaChange(before: Schema, after: Schema): string {
  const a = schemaToJSON(before, false).fields;
  const b = schemaToJSON(after, false).fields;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) {
      const show = (f: (typeof a)[number] | undefined): string =>
        f
          ? `${f.name}: ${f.type}${f.metadata?.['ARROW:extension:metadata'] ? ' ' + f.metadata['ARROW:extension:metadata'] : ''}`
          : 'nothing';
      return `${show(a[i])} became ${show(b[i])}`;
    }
  }
  return 'field metadata changed';
}

/** A sink that writes numbered files through an encoder factory. */
export class RollingSink implements Sink {
  private current: OpenFile | null = null;
  private readonly finished: FinishedFile[] = [];
  private sequence: number;
  private state: 'open' | 'finished' | 'closed' | 'aborted' = 'open';
  /** Files of `finished` already renamed to their final name (a commit can fail halfway). */
  private committed = 0;
  private readonly subdir: string;

  constructor(
    private readonly settings: RollingSinkSettings,
    private readonly factory: FileEncoderFactory,
  ) {
    this.sequence = settings.firstSequence;
    this.subdir = Object.keys(settings.partition).length > 0 ? partitionPath(settings.partition) : '';
  }

  /** Number the next file would get. */
  get nextSequence(): number {
    return this.sequence;
  }

  async write(batch: RecordBatch): Promise<void> {
    if (this.state !== 'open') throw new InternalError('E_SINK_STATE', `sink: write after ${this.state}`);
    if (batch.numRows === 0) return;
    const signature = schemaSignature(batch.schema);
    if (this.current && signature !== this.current.signature) {
      if (this.settings.onSchemaChange !== 'new-file') {
        throw new InputError(
          'E_SCHEMA_CHANGE',
          `sink: the schema changed within ${this.current.relativePath}: ${describeSchemaChange(this.current.schema, batch.schema)} (onSchemaChange: error)`,
          {
            file: this.current.relativePath,
          },
        );
      }
      await this.finishCurrent();
    }
    const arrowBytes = batchByteLength(batch);
    if (
      this.current &&
      this.current.rows > 0 &&
      this.current.encoder.projectedBytes(arrowBytes) > this.settings.maxFileBytes
    ) {
      await this.finishCurrent();
    }
    if (!this.current) this.current = await this.openFile(batch, signature);
    const file = this.current;
    await file.encoder.write(new RecordBatch(file.schema, batch.data), arrowBytes);
    file.rows += batch.numRows;
  }

  private async openFile(batch: RecordBatch, signature: string): Promise<OpenFile> {
    const name = `${this.settings.filePrefix}-${String(this.sequence).padStart(5, '0')}.${this.settings.extension}`;
    const relativePath = this.subdir ? `${this.subdir}/${name}` : name;
    const finalPath = join(this.settings.dir, ...relativePath.split('/'));
    const temporaryPath = temporaryPathFor(finalPath);
    await ensureDirectory(join(this.settings.dir, ...this.subdir.split('/').filter(Boolean)));
    const metadata = new Map(batch.schema.metadata);
    for (const [k, v] of Object.entries(this.settings.metadata)) metadata.set(k, v);
    const schema = new Schema(batch.schema.fields, metadata);
    this.sequence++;
    const encoder = await this.factory(temporaryPath, schema, batch);
    return { encoder, temporaryPath, finalPath, relativePath, schema, signature, rows: 0 };
  }

  private async finishCurrent(): Promise<void> {
    const file = this.current;
    if (!file) return;
    this.current = null;
    let result;
    try {
      result = await file.encoder.finish();
    } catch (err) {
      await removeTemporary(file.temporaryPath).catch(() => {});
      throw err;
    }
    if (result.rows !== file.rows) {
      await removeTemporary(file.temporaryPath).catch(() => {});
      throw new InternalError(
        'E_ROW_COUNT',
        `sink: ${file.relativePath} holds ${result.rows} rows, ${file.rows} were written`,
        { file: file.relativePath },
      );
    }
    this.finished.push({
      temporaryPath: file.temporaryPath,
      finalPath: file.finalPath,
      file: {
        path: file.relativePath,
        format: this.settings.format,
        rows: result.rows,
        bytes: result.bytes,
        sha256: result.sha256,
        partition: { ...this.settings.partition },
        schema: schemaToJSON(file.schema),
      },
    });
  }

  /** Completes every file under its temporary name; nothing is visible yet. Idempotent. */
  async finish(): Promise<void> {
    if (this.state === 'finished') return;
    if (this.state !== 'open') throw new InternalError('E_SINK_STATE', `sink: finish after ${this.state}`);
    await this.finishCurrent();
    this.state = 'finished';
  }

  /** Renames the finished files to their final names, in order, and returns them. */
  async commit(): Promise<WrittenFile[]> {
    if (this.state !== 'finished') throw new InternalError('E_SINK_STATE', `sink: commit while ${this.state}`);
    for (const f of this.finished) {
      await commitFile(f.temporaryPath, f.finalPath);
      this.committed++;
    }
    this.state = 'closed';
    return this.finished.map((f) => f.file);
  }

  async close(): Promise<WrittenFile[]> {
    try {
      await this.finish();
      return await this.commit();
    } catch (err) {
      await this.abort().catch(() => {});
      throw err;
    }
  }

  /**
   * Deletes every file of this sink, open, finished or half-committed. After a successful close it
   * does nothing, unless `includeCommitted` (the partitioned writer undoing a close that failed halfway).
   */
  async abort(includeCommitted = false): Promise<void> {
    if (this.state === 'aborted' || (this.state === 'closed' && !includeCommitted)) return;
    this.state = 'aborted';
    const file = this.current;
    this.current = null;
    if (file) await file.encoder.abort().catch(() => removeTemporary(file.temporaryPath));
    for (let i = 0; i < this.finished.length; i++) {
      const f = this.finished[i];
      await removeTemporary(i < this.committed ? f.finalPath : f.temporaryPath);
    }
  }
}
