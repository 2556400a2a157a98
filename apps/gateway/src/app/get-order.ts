import { invalid, isAppError } from '@order-system/errors';
import type { CallOptions } from '@order-system/grpc';
import { orders } from '@order-system/proto';
import type { Caller } from '@order-system/auth';
import { orderNotFound, visibleOrder } from '../domain/access.js';
import { ORDER_ID } from '../domain/validate-order.js';
import type { Deps } from './deps.js';

const { ORDER_STATUS_PENDING } = orders.v1.OrderStatus;

/**
 * The stored order (with its history) from order-store. order-store is a
 * projection of inventory's decisions and lags them by a moment, so when it
 * has no order, is down, or still shows a PENDING order, inventory's view is
 * read too and wins if it is further along: a client reads its own writes, and
 * an order it once saw settled never reads as PENDING again. Another
 * customer's order is NOT_FOUND, as one that does not exist.
 */
export async function getOrder(
  deps: Deps,
  caller: Caller,
  orderId: string,
  opts: CallOptions,
  /** Inventory's view, when the caller has just read it. */
  known?: orders.v1.Order,
): Promise<orders.v1.Order> {
  return visibleOrder(caller, await currentOrder(deps, orderId, opts, known));
}

/** The order as it stands now, whoever it belongs to. */
async function currentOrder(deps: Deps, orderId: string, opts: CallOptions, known?: orders.v1.Order): Promise<orders.v1.Order> {
  if (!ORDER_ID.test(orderId)) throw invalid('order_id must be 1-64 characters of [A-Za-z0-9._:-]');
  const inventoryView = async () =>
    known ?? (await deps.inventory.getReservation({ orderId }, opts).then(({ order }) => order, () => undefined));
  let stored: orders.v1.Order | undefined;
  try {
    ({ order: stored } = await deps.orderStore.getOrder({ orderId }, opts));
  } catch (err) {
    if (!isAppError(err, 'not_found') && !isAppError(err, 'unavailable')) throw err;
    const fallback = await inventoryView();
    if (fallback) return fallback;
    throw isAppError(err, 'not_found') ? orderNotFound(orderId) : err;
  }
  if (!stored) throw new Error('order-store answered without an order');
  if (stored.status !== ORDER_STATUS_PENDING) return stored;
  const decided = await inventoryView();
  return decided && decided.status !== ORDER_STATUS_PENDING ? decided : stored;
}
