import { setTimeout as sleep } from 'node:timers/promises';
import { invalid, isAppError } from '@order-system/errors';
import type { CallOptions } from '@order-system/grpc';
import { orders } from '@order-system/proto';
import { ORDER_ID } from '../domain/validate-order.js';
import type { Deps } from './deps.js';

const terminal = (o: orders.v1.Order) => o.status !== orders.v1.OrderStatus.ORDER_STATUS_PENDING;

/**
 * The order now, then each change, ending after a terminal state. While
 * order-store has not stored a just-accepted order yet, inventory's view
 * stands in for it.
 */
export async function* watchOrder(deps: Deps, orderId: string, opts: CallOptions & { signal: AbortSignal }) {
  if (!ORDER_ID.test(orderId)) throw invalid('order_id must be 1-64 characters of [A-Za-z0-9._:-]');
  let last: orders.v1.Order | undefined;
  while (!opts.signal.aborted) {
    try {
      for await (const { order } of deps.orderStore.watchOrder({ orderId }, opts)) {
        if (!order) continue;
        if (!last || last.status !== order.status) yield order;
        last = order;
      }
      return;
    } catch (err) {
      if (!isAppError(err, 'not_found')) throw err;
      const { order } = await deps.inventory.getReservation({ orderId }, opts); // NOT_FOUND if never accepted
      if (order && (!last || last.status !== order.status)) {
        last = order;
        yield order;
      }
      if (order && terminal(order)) return;
      await sleep(200, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  }
}
