import type { Logger } from 'pino';

/** How often a consumer with undurableFrom commits what became durable since its last batch. */
export const COMMIT_INTERVAL_MS = 1000;

/**
 * The commits of a consumer whose handler holds writes back (undurableFrom):
 * each partition commits up to its first message whose effect is not yet
 * durable, after each batch and every COMMIT_INTERVAL_MS for what became
 * durable since. An offset is committed once; a failed commit is tried again
 * with the next.
 */
export class HeldCommits {
  private readonly applied = new Map<number, bigint>();
  private readonly committed = new Map<number, bigint>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  /** Commits on a timer from the start; close() stops it. */
  constructor(
    /** The offset of the partition's first message whose effect is not durable yet, if any. */
    private readonly undurableFrom: (partition: number) => string | undefined,
    private readonly commit: (partition: number, offset: bigint) => Promise<void>,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), COMMIT_INTERVAL_MS).unref();
  }

  /** Stops the timer: what is not committed yet is left to the partitions' next owner. */
  abandon(): void {
    clearInterval(this.timer);
  }

  /** Stops the timer and commits what may be committed, one last time. */
  close(): Promise<void> {
    this.abandon();
    return this.flush();
  }

  /** Every message of the partition before `next` is applied (or held). */
  appliedUpTo(partition: number, next: bigint): void {
    this.applied.set(partition, next);
  }

  /** After a rebalance: forgets the partitions this member no longer owns, whose new owner reads from the committed offset. */
  owned(partitions: number[]): void {
    for (const partition of this.applied.keys()) {
      if (partitions.includes(partition)) continue;
      this.applied.delete(partition);
      this.committed.delete(partition);
    }
  }

  /**
   * Commits what may be committed, one flush after another (so the offsets
   * recorded as committed are the broker's). `commit` overrides the
   * constructor's, for a batch's own commit path.
   */
  flush(partitions: Iterable<number> = [...this.applied.keys()], commit = this.commit): Promise<void> {
    const run = this.flushing.then(() => this.flushNow([...partitions], commit));
    this.flushing = run;
    return run;
  }

  /** `next`, or the partition's first message whose effect is not durable yet if that comes before. */
  private committable(partition: number, next: bigint): bigint {
    const from = this.undurableFrom(partition);
    return from !== undefined && BigInt(from) < next ? BigInt(from) : next;
  }

  private async flushNow(partitions: number[], commit: (partition: number, offset: bigint) => Promise<void>): Promise<void> {
    for (const partition of partitions) {
      const next = this.applied.get(partition);
      if (next === undefined) continue;
      const offset = this.committable(partition, next);
      if (offset <= (this.committed.get(partition) ?? -1n)) continue;
      try {
        await commit(partition, offset);
        this.committed.set(partition, offset);
      } catch (err) {
        // The next flush tries again; until then a crash delivers more again, never less.
        this.log.warn({ err, partition, offset: String(offset) }, 'commit failed');
      }
    }
  }
}
