/**
 * Tells watchers in this process that an order changed. Watchers also poll,
 * so a change applied by another instance is seen too. Order ids come from
 * callers, so they key a Map, never an event name ('error' would throw) or an
 * object's property ('__proto__').
 */
export class OrderChanges {
  private readonly waiting = new Map<string, Set<() => void>>();

  notify(orderId: string): void {
    const waiters = this.waiting.get(orderId);
    if (!waiters) return;
    this.waiting.delete(orderId);
    for (const wake of waiters) wake();
  }

  /** Resolves on the next change of orderId, after ms, or on abort. */
  next(orderId: string, ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        const waiters = this.waiting.get(orderId);
        waiters?.delete(done);
        if (waiters?.size === 0) this.waiting.delete(orderId);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const waiters = this.waiting.get(orderId) ?? new Set();
      waiters.add(done);
      this.waiting.set(orderId, waiters);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
