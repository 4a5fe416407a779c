/**
 * A counting semaphore whose permits are released by someone other than the acquirer. p-limit ties a
 * slot to a function call; backpressure needs a permit that travels with a fetched page until the
 * consumer has taken it, so it is a separate, tiny primitive.
 */
export class Semaphore {
  private available: number;
  private readonly waiters: Array<{ resolve: () => void; reject: (reason: unknown) => void }> = [];

  /** `permits` >= 1. */
  constructor(permits: number) {
    this.available = Math.max(1, Math.floor(permits));
  }

  /** Waits for a permit (FIFO); rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.available > 0 && this.waiters.length === 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Returns a permit, handing it to the oldest waiter if any. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next.resolve();
    else this.available++;
  }

  /** Permits free right now (tests and diagnostics). */
  get free(): number {
    return this.available;
  }
}
