import type { Logger } from 'pino';
import { COMMIT_INTERVAL_MS } from './consumer.js';

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
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    /** The offset a partition may commit once every message before `next` is applied. */
    private readonly committable: (partition: number, next: bigint) => bigint,
    private readonly commit: (partition: number, offset: bigint) => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), COMMIT_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
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
