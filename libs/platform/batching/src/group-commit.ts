export interface GroupCommitOptions<T, R> {
  /** Runs two or more items in one transaction: a result each, in order, or one error for all. */
  many: (items: T[]) => Promise<R[]>;
  /** Runs one item alone. */
  one: (item: T) => Promise<R>;
  /** True for an error that would fail each item alone as well (the database is down): not retried one at a time. */
  shared: (err: unknown) => boolean;
  /** The most items in one batch. */
  maxBatch: number;
  /** The most batches in flight at once (default 1). */
  maxInFlight?: number;
}

interface Call<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit without timers: a call made while fewer than maxInFlight
 * batches are in flight goes out at once, together with the calls made in the
 * same synchronous run (it waits for a microtask, not a timer); calls made
 * while every slot is taken queue and go out together, as the next batch, when
 * one returns. Batches grow with load, and a lone call waits for nothing. A
 * batch that fails for a reason of its own is run again one item at a time, so
 * that one bad item cannot fail the others.
 */
export class GroupCommit<T, R> {
  private queue: Call<T, R>[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;

  constructor(private readonly opts: GroupCommitOptions<T, R>) {
    this.maxInFlight = opts.maxInFlight ?? 1;
  }

  run(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.queue.push({ item, resolve, reject }) === 1) queueMicrotask(() => this.pump());
    });
  }

  private pump() {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      this.inFlight++;
      void this.send(this.queue.splice(0, this.opts.maxBatch)).finally(() => {
        this.inFlight--;
        this.pump();
      });
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
