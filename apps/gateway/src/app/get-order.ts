import { invalid, isAppError } from '@order-system/errors';
import type { CallOptions } from '@order-system/grpc';
import type { orders } from '@order-system/proto';
import { ORDER_ID } from '../domain/validate-order.js';
import type { Deps } from './deps.js';

/**
 * The stored order (with its history) from order-store; an order accepted a
 * moment ago and not stored yet, or order-store being down, falls back to
 * inventory's view of it, so a client always reads its own writes.
 */
export async function getOrder(deps: Deps, orderId: string, opts: CallOptions): Promise<orders.v1.Order> {
  if (!ORDER_ID.test(orderId)) throw invalid('order_id must be 1-64 characters of [A-Za-z0-9._:-]');
  try {
    const { order } = await deps.orderStore.getOrder({ orderId }, opts);
    if (order) return order;
  } catch (err) {
    if (!isAppError(err, 'not_found') && !isAppError(err, 'unavailable')) throw err;
    const fallback = await deps.inventory.getReservation({ orderId }, opts).catch(() => undefined);
    if (fallback?.order) return fallback.order;
    throw err;
  }
  throw new Error('order-store answered without an order');
}
