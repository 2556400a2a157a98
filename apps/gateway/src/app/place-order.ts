import type { CallOptions } from '@order-system/grpc';
import type { orders } from '@order-system/proto';
import type { Caller } from '@order-system/auth';
import { customerOfNewOrder } from '../domain/access.js';
import { validateOrder } from '../domain/validate-order.js';
import type { Deps } from './deps.js';
import { getOrder } from './get-order.js';

export interface Placed {
  order: orders.v1.Order;
  /** False when the same order was placed before: the existing order is returned. */
  created: boolean;
}

/**
 * Places an order in the caller's name (a request naming another customer is
 * refused), validates it, then has inventory price it and reserve its stock,
 * atomically and idempotently per order_id. Payment and storage follow
 * asynchronously; a replay answers with the order as it stands now. Order
 * ids are global: another customer's order under the same id differs in its
 * customer, so inventory answers ALREADY_EXISTS with no content.
 */
export async function placeOrder(deps: Deps, caller: Caller, req: orders.v1.CreateOrderRequest, opts: CallOptions): Promise<Placed> {
  const userId = customerOfNewOrder(caller, req.customer?.userId);
  const own = { ...req, customer: { userId, email: req.customer?.email ?? '' } };
  validateOrder(own);
  const { order, created } = await deps.inventory.reserveStock({ order: own }, opts);
  if (!order) throw new Error('inventory answered without an order');
  if (created) return { order, created };
  return { order: await getOrder(deps, caller, req.orderId, opts, order).catch(() => order), created };
}
