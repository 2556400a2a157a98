import type { Completion, Placed } from '../domain/order.js';
import { placedOrder } from '../domain/order.js';
import type { OrderRepository } from '../domain/ports.js';
import type { OrderChanges } from './order-changes.js';

export type OrderEventInput = { type: 'placed'; placed: Placed } | { type: 'completed'; completion: Completion };

/**
 * Builds the stored order from its events, idempotently: a redelivered event
 * finds its effect already there and changes nothing.
 */
export async function recordOrderEvent(repo: OrderRepository, changes: OrderChanges, e: OrderEventInput) {
  const result =
    e.type === 'placed' ? await repo.insert(placedOrder(e.placed), e.placed.eventId) : await repo.complete(e.completion);
  if (result === 'missing') {
    // Events of one order arrive in order, so its OrderPlaced is stored first;
    // retry in case it is being stored right now, then dead-letter.
    throw new Error(`order ${e.type === 'completed' ? e.completion.orderId : ''} is not stored yet`);
  }
  const orderId = e.type === 'placed' ? e.placed.orderId : e.completion.orderId;
  if (result === 'inserted' || result === 'completed') changes.notify(orderId);
  return result;
}
