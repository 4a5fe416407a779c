/**
 * One sink per slice, opened on the slice's first batch: slices are extracted side by side, and each
 * slice's files are committed (or dropped) on their own.
 */
import type { RecordBatch } from 'apache-arrow';
import type { Sink, WrittenFile } from './types.js';

/** The open sinks of the slices in flight, by slice key. */
export class SliceSinks {
  private readonly open = new Map<string, Sink>();

  /** @param openSink opens the sink of a slice key (called once per key, on its first batch). */
  constructor(private readonly openSink: (key: string) => Sink) {}

  /** Writes a batch to the slice's sink, opening it first if needed. */
  async write(key: string, batch: RecordBatch): Promise<void> {
    let sink = this.open.get(key);
    if (!sink) {
      sink = this.openSink(key);
      this.open.set(key, sink);
    }
    await sink.write(batch);
  }

  /** Closes the slice's sink and returns its files (none when the slice wrote no batch). */
  async close(key: string): Promise<WrittenFile[]> {
    const sink = this.open.get(key);
    this.open.delete(key);
    return sink ? await sink.close() : [];
  }

  /** Aborts every open sink; their errors are dropped (the run is failing already). */
  async abortAll(): Promise<void> {
    const sinks = [...this.open.values()];
    this.open.clear();
    for (const sink of sinks) await sink.abort().catch(() => {});
  }
}
