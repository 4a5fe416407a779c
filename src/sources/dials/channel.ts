/**
 * A bounded hand-over queue between slice walkers and one consumer: `push` waits while `capacity`
 * items are waiting (backpressure: at most that many pages in memory besides the ones being fetched),
 * `take` waits for the next item, and a failure reaches the consumer at once.
 */
export class Channel<T> {
  private readonly items: T[] = [];
  private readonly spaceWaiters: Array<() => void> = [];
  private itemWaiter: { resolve: (v: T | null) => void; reject: (e: unknown) => void } | null = null;
  private closed = false;
  private failure: { error: unknown } | null = null;

  constructor(private readonly capacity: number) {}

  /** Adds an item once there is room; resolves immediately after a failure (the item is dropped). */
  async push(item: T): Promise<void> {
    while (this.items.length >= this.capacity && !this.failure)
      await new Promise<void>((r) => this.spaceWaiters.push(r));
    if (this.failure) return;
    const w = this.itemWaiter;
    if (w) {
      this.itemWaiter = null;
      w.resolve(item);
    } else this.items.push(item);
  }

  /** The next item, null once closed and drained; rejects with the failure. */
  take(): Promise<T | null> {
    if (this.failure) return Promise.reject(this.failure.error);
    const item = this.items.shift();
    if (item !== undefined) {
      this.spaceWaiters.shift()?.();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => (this.itemWaiter = { resolve, reject }));
  }

  /** No more items will come. */
  close(): void {
    this.closed = true;
    if (this.items.length === 0) {
      const w = this.itemWaiter;
      this.itemWaiter = null;
      w?.resolve(null);
    }
  }

  /** Fails the consumer and releases every waiting producer. */
  fail(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    for (const w of this.spaceWaiters.splice(0)) w();
    const w = this.itemWaiter;
    this.itemWaiter = null;
    w?.reject(error);
  }
}
