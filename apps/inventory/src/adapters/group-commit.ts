export interface GroupCommitOptions<T, R> {
  /** Runs two or more items in one transaction: a result each, in order, or one error for all. */
  many: (items: T[]) => Promise<R[]>;
  /** Runs one item alone. */
  one: (item: T) => Promise<R>;
  /** True for an error that would fail each item alone as well (the database is down): not retried one at a time. */
  shared: (err: unknown) => boolean;
  /** The most items in one batch. */
  maxBatch: number;
}

interface Call<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit without timers: a call made while no batch is in flight goes
 * out at once and alone; calls made while one is in flight queue and go out
 * together, as the next batch, when it returns. Batches grow with load, and a
 * lone call waits for nothing. A batch that fails for a reason of its own is
 * run again one item at a time, so that one bad item cannot fail the others.
 */
export class GroupCommit<T, R> {
  private queue: Call<T, R>[] = [];
  private inFlight = false;

  constructor(private readonly opts: GroupCommitOptions<T, R>) {}

  run(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.inFlight) void this.drain();
    });
  }

  private async drain() {
    this.inFlight = true;
    try {
      while (this.queue.length > 0) await this.send(this.queue.splice(0, this.opts.maxBatch));
    } finally {
      this.inFlight = false;
    }
  }

  private async send(batch: Call<T, R>[]) {
    if (batch.length > 1) {
      try {
        const results = await this.opts.many(batch.map((c) => c.item));
        batch.forEach((c, i) => c.resolve(results[i]!));
        return;
      } catch (err) {
        if (this.opts.shared(err)) {
          for (const c of batch) c.reject(err);
          return;
        }
      }
    }
    for (const c of batch) await this.opts.one(c.item).then(c.resolve, c.reject);
  }
}
