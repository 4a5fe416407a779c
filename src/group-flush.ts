/**
 * Group commit: callers that each need a flush (an fsync) done after their own write share one.
 * A caller that arrives while a flush runs waits for the next one, which starts when that ends and
 * serves everyone who arrived meanwhile; a caller that arrives while the next one is still waiting
 * joins it. So each caller's flush starts after its call, as its own would have, and slices that
 * commit together (src/pipeline/commit-queue.ts) pay one journal fsync and one directory fsync
 * instead of one each: on this virtual machine every asynchronous file operation costs the main
 * thread ~0.1 ms (docs/decisions.md, "Run: journal lines and directory syncs are grouped").
 */
export class GroupFlush {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  /** @param flush does the work for everyone waiting; its rejection rejects them all. */
  constructor(private readonly flush: () => Promise<void>) {}

  /** Resolves once a flush that started after this call has completed. */
  request(): Promise<void> {
    if (this.queued) return this.queued;
    const start = async (): Promise<void> => {
      this.queued = undefined; // from now on, a caller needs the flush after this one
      await this.flush();
    };
    const previous = this.running;
    const next = previous
      ? previous.then(start, start) // after the running flush, whatever its outcome
      : start();
    if (previous) this.queued = next;
    this.running = next;
    const clear = (): void => {
      if (this.running === next) this.running = undefined;
    };
    next.then(clear, clear);
    return next;
  }
}

/** One GroupFlush per key (a directory), dropped once idle. */
export class KeyedGroupFlush {
  private readonly groups = new Map<string, { group: GroupFlush; waiting: number }>();

  constructor(private readonly flush: (key: string) => Promise<void>) {}

  /** `GroupFlush.request` for `key`'s group. */
  async request(key: string): Promise<void> {
    let entry = this.groups.get(key);
    if (!entry) {
      entry = { group: new GroupFlush(() => this.flush(key)), waiting: 0 };
      this.groups.set(key, entry);
    }
    entry.waiting++;
    try {
      await entry.group.request();
    } finally {
      if (--entry.waiting === 0 && this.groups.get(key) === entry) this.groups.delete(key);
    }
  }
}
