import { notFound } from '@order-system/errors';
import { isTerminal, type Order } from '../domain/order.js';
import type { OrderRepository } from '../domain/ports.js';
import type { OrderChanges } from './order-changes.js';

/** The order now, then each change, until it reaches a terminal state or the caller leaves. */
export async function* watchOrder(
  repo: OrderRepository,
  changes: OrderChanges,
  orderId: string,
  pollMs: number,
  signal: AbortSignal,
): AsyncIterable<Order> {
  let order = await repo.get(orderId);
  if (!order) throw notFound(`order ${orderId} not found`);
  yield order;
  while (!isTerminal(order.status) && !signal.aborted) {
    await changes.next(orderId, pollMs, signal);
    const next = await repo.get(orderId);
    if (next && (next.status !== order.status || next.updatedAt.getTime() !== order.updatedAt.getTime())) {
      order = next;
      yield order;
    }
  }
}
