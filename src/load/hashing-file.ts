/** A file written sequentially while its size and SHA-256 are computed, so nothing is read back. */
import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { toDqmError } from '../errors.js';
import { fsError, removeTemporary } from './atomic.js';

/** Sequential writer with running size and SHA-256. */
export class HashingFile {
  private readonly hash: Hash = createHash('sha256');
  private written = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Creates `path`, which must not exist (temporary names are random, so a clash is a bug). */
  static async create(path: string): Promise<HashingFile> {
    try {
      return new HashingFile(path, await open(path, 'wx'));
    } catch (err) {
      throw toDqmError(err);
    }
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.written;
  }

  /** Appends bytes. */
  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength === 0) return;
    this.hash.update(chunk);
    let offset = 0;
    try {
      while (offset < chunk.byteLength) {
        const { bytesWritten } = await this.handle.write(chunk, offset, chunk.byteLength - offset);
        offset += bytesWritten;
      }
    } catch (err) {
      throw fsError(err, this.path);
    }
    this.written += chunk.byteLength;
  }

  /** fsyncs and closes; returns the size and hex SHA-256. */
  async finish(): Promise<{ bytes: number; sha256: string }> {
    try {
      await this.handle.sync();
    } catch (err) {
      await this.handle.close().catch(() => {});
      throw fsError(err, this.path);
    }
    await this.handle.close();
    return { bytes: this.written, sha256: this.hash.digest('hex') };
  }

  /** Closes and deletes the file. */
  async discard(): Promise<void> {
    await this.handle.close().catch(() => {});
    await removeTemporary(this.path);
  }
}
