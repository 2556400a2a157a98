import { setTimeout as sleep } from 'node:timers/promises';
import type { Caller } from '@order-system/auth';
import { invalid, isAppError, RateLimited } from '@order-system/errors';
import type { CallOptions } from '@order-system/grpc';
import { orders } from '@order-system/proto';
import { orderNotFound, visibleOrder } from '../domain/access.js';
import { ORDER_ID } from '../domain/validate-order.js';
import type { Deps } from './deps.js';

const terminal = (o: orders.v1.Order) => o.status !== orders.v1.OrderStatus.ORDER_STATUS_PENDING;

export interface WatchLimits {
  perCaller: number;
  total: number;
  /** A watch ends (OK) after this long; the client watches again to go on. */
  lifetimeMs: number;
}

/**
 * How many watches are open, per caller and in all: each holds a stream to
 * the order-store and a poll, so neither one caller nor all together may open
 * them without bound.
 */
export class Watches {
  private readonly open = new Map<string, number>();
  private total = 0;

  constructor(readonly limits: WatchLimits) {}

  /** Counts a watch in, or refuses it (RESOURCE_EXHAUSTED); the returned function counts it out. */
  enter(caller: Caller): () => void {
    const mine = this.open.get(caller.customerId) ?? 0;
    if (mine >= this.limits.perCaller) throw new RateLimited(`${caller.customerId} has ${mine} watches open, the most allowed; close one first`, 1);
    if (this.total >= this.limits.total) throw new RateLimited('the gateway has as many watches open as it allows; retry shortly', 1);
    this.open.set(caller.customerId, mine + 1);
    this.total++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.total--;
      const now = (this.open.get(caller.customerId) ?? 1) - 1;
      if (now === 0) this.open.delete(caller.customerId);
      else this.open.set(caller.customerId, now);
    };
  }
}

/**
 * The caller's order now, then each change, ending after a terminal state
 * (or when the watch reaches its lifetime). While the order-store has not
 * stored a just-accepted order yet, inventory's view stands in for it.
 */
export async function* watchOrder(deps: Deps, watches: Watches, caller: Caller, orderId: string, opts: CallOptions & { signal: AbortSignal }) {
  if (!ORDER_ID.test(orderId)) throw invalid('order_id must be 1-64 characters of [A-Za-z0-9._:-]');
  const leave = watches.enter(caller);
  const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(watches.limits.lifetimeMs)]);
  const call = { ...opts, signal };
  let last: orders.v1.Order | undefined;
  try {
    while (!signal.aborted) {
      try {
        for await (const { order } of deps.orderStore.watchOrder({ orderId }, call)) {
          if (!order) continue;
          visibleOrder(caller, order);
          if (!last || last.status !== order.status) yield order;
          last = order;
        }
        return;
      } catch (err) {
        if (signal.aborted && !opts.signal.aborted) return; // its lifetime is over: end cleanly
        if (!isAppError(err, 'not_found')) throw err;
        const order = await deps.inventory.getReservation({ orderId }, call).then(
          (r) => r.order,
          (e: unknown) => {
            throw isAppError(e, 'not_found') ? orderNotFound(orderId) : e;
          },
        );
        if (order) visibleOrder(caller, order);
        if (order && (!last || last.status !== order.status)) {
          last = order;
          yield order;
        }
        if (order && terminal(order)) return;
        await sleep(200, undefined, { signal }).catch(() => undefined);
      }
    }
  } finally {
    leave();
  }
}
