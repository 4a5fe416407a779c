/**
 * A byte sink for apache-arrow's IPC writers that hands over what was written, synchronously after
 * each `writer.write()`. (The writer's default sink only drains through an async iterator, which
 * cannot tell "no more bytes for now" from "wait for more".) Chunks are views of the batch's own
 * buffers where apache-arrow allows it: nothing is copied or joined here.
 */
import { AsyncByteQueue } from 'apache-arrow';

/** Collects the writer's output chunks until `take()`. */
export class CollectingQueue extends AsyncByteQueue {
  private chunks: Uint8Array[] = [];

  override write(value: Uint8Array | ArrayBufferView | ArrayBuffer): void {
    const bytes =
      value instanceof Uint8Array
        ? value
        : ArrayBuffer.isView(value)
          ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
          : new Uint8Array(value);
    if (bytes.byteLength > 0) this.chunks.push(bytes);
  }

  /** Everything written since the last call. */
  take(): Uint8Array[] {
    const out = this.chunks;
    this.chunks = [];
    return out;
  }
}
