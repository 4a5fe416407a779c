/**
 * Arrow IPC file (`.arrow`) and stream (`.arrows`) encoders, through apache-arrow's writers.
 * Uncompressed only: see "Arrow IPC: no body compression" in docs/decisions.md.
 */
import {
  RecordBatchFileWriter,
  RecordBatchStreamWriter,
  type RecordBatch,
  type RecordBatchWriter,
  type Schema,
} from 'apache-arrow';
import type { EncodedFile, FileEncoder } from '../file-encoder.js';
import { HashingFile } from '../hashing-file.js';
import { CollectingQueue } from './collecting-queue.js';
import { DictionaryUnifier } from './dictionary-unifier.js';

/** Writes one IPC file or stream, with one growing dictionary per dictionary column. */
export class IpcEncoder implements FileEncoder {
  private readonly queue = new CollectingQueue();
  private readonly writer: RecordBatchWriter;
  private readonly unifier: DictionaryUnifier;
  private rows = 0;

  private constructor(
    private readonly file: HashingFile,
    format: 'arrow' | 'arrows',
    schema: Schema,
  ) {
    this.writer =
      format === 'arrow'
        ? new RecordBatchFileWriter({ autoDestroy: true })
        : new RecordBatchStreamWriter({ autoDestroy: true });
    this.writer.reset(this.queue, schema);
    this.unifier = new DictionaryUnifier(schema);
  }

  /** Creates the file at `path` for batches of `schema`. */
  static async open(path: string, format: 'arrow' | 'arrows', schema: Schema): Promise<IpcEncoder> {
    return new IpcEncoder(await HashingFile.create(path), format, schema);
  }

  private async flush(): Promise<void> {
    for (const chunk of this.queue.take()) await this.file.write(chunk);
  }

  async write(batch: RecordBatch): Promise<void> {
    this.writer.write(this.unifier.unify(batch));
    this.rows += batch.numRows;
    await this.flush();
  }

  projectedBytes(arrowBytes: number): number {
    // IPC bodies are the Arrow buffers themselves, plus a little framing.
    return this.file.bytes + arrowBytes;
  }

  async finish(): Promise<EncodedFile> {
    this.writer.close();
    await this.flush();
    const { bytes, sha256 } = await this.file.finish();
    return { bytes, sha256, rows: this.rows };
  }

  async abort(): Promise<void> {
    this.queue.take();
    await this.file.discard();
  }
}
