/**
 * Slice commits in flight while the extraction goes on. Committing a slice waits for its files to be
 * finished by the encoder worker, synced and renamed, then for its journal line to be synced: ~10 ms
 * on this machine, whatever the slice's size. Awaited in the loop that consumes the extraction, that
 * wait held up every other slice's pages: an export of 400 one-page slices took ~6 s at any
 * concurrency, 4 s of it in those waits (docs/decisions.md, "Run: slices commit while the next ones
 * are fetched"). Here a commit runs beside the loop, at most `limit` at once; the first failure is
 * thrown to the loop at its next commit, or by `drain`.
 */
export class CommitQueue {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  /** @param limit commits in flight at once (at least 1). */
  constructor(private readonly limit: number) {}

  /**
   * Starts `commit` once fewer than `limit` are in flight. Throws the error of an earlier commit
   * that failed (then `commit` is not started).
   */
  async add(commit: () => Promise<void>): Promise<void> {
    this.throwFailure();
    while (this.inFlight.size >= Math.max(1, this.limit)) await Promise.race(this.inFlight);
    this.throwFailure();
    const done: Promise<void> = commit()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /** Waits for every commit started; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwFailure();
  }

  /** Waits for every commit started to end, successful or not (a failing run, before it cleans up). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private throwFailure(): void {
    if (this.failure) throw this.failure.error;
  }
}
