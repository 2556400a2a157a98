import { describe, expect, it } from 'vitest';
import { OrderChanges } from './order-changes.js';

describe('OrderChanges', () => {
  it.each(['ORD-1', 'error', '__proto__', 'constructor', 'hasOwnProperty'])('wakes the watchers of order %j on a change, and only them', async (orderId) => {
    const changes = new OrderChanges();
    const never = new AbortController().signal;
    let woke = 0;
    const watching = [changes.next(orderId, 60_000, never), changes.next(orderId, 60_000, never)].map((p) => p.then(() => woke++));
    const other = changes.next(`${orderId}-other`, 50, never).then(() => 'timed out');
    changes.notify(orderId);
    await Promise.all(watching);
    expect(woke).toBe(2);
    expect(await other).toBe('timed out');
    expect(() => changes.notify(orderId)).not.toThrow(); // nobody waiting any more
  });

  it('lets a watcher go on abort', async () => {
    const changes = new OrderChanges();
    const leave = new AbortController();
    const watching = changes.next('ORD-2', 60_000, leave.signal);
    leave.abort();
    await watching;
  });
});
