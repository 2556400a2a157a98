import type { CallOptions } from '@order-system/grpc';
import type { orders } from '@order-system/proto';
import { validateOrder } from '../domain/validate-order.js';
import type { Deps } from './deps.js';
import { getOrder } from './get-order.js';

export interface Placed {
  order: orders.v1.Order;
  /** False when the same order was placed before: the existing order is returned. */
  created: boolean;
}

/**
 * Validates the request, then has inventory price it and reserve its stock,
 * atomically and idempotently per order_id. Payment and storage follow
 * asynchronously; a replay answers with the order as it stands now.
 */
export async function placeOrder(deps: Deps, req: orders.v1.CreateOrderRequest, opts: CallOptions): Promise<Placed> {
  validateOrder(req);
  const { order, created } = await deps.inventory.reserveStock({ order: req }, opts);
  if (!order) throw new Error('inventory answered without an order');
  if (created) return { order, created };
  return { order: await getOrder(deps, req.orderId, opts, order).catch(() => order), created };
}
