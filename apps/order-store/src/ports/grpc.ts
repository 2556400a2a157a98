import { invalid, notFound } from '@order-system/errors';
import { bindService, type ServiceBinding } from '@order-system/grpc';
import { orders, orderstore } from '@order-system/proto';
import type { OrderChanges } from '../app/order-changes.js';
import { watchOrder } from '../app/watch-order.js';
import type { OrderRepository } from '../domain/ports.js';
import { orderToWire, statusFromWire } from './wire.js';

export function orderStoreGrpcService(repo: OrderRepository, changes: OrderChanges, watchPollMs: number): ServiceBinding {
  return bindService(orderstore.v1.OrderStoreServiceService, {
    async getOrder(req) {
      const order = await repo.get(req.orderId);
      if (!order) throw notFound(`order ${req.orderId} not found`);
      return { order: orderToWire(order) };
    },

    async listOrders(req) {
      if (req.pageSize < 0 || req.pageSize > 100) throw invalid('page_size must be between 0 and 100');
      const status =
        req.status === orders.v1.OrderStatus.ORDER_STATUS_UNSPECIFIED ? undefined : statusFromWire(req.status);
      if (req.status !== orders.v1.OrderStatus.ORDER_STATUS_UNSPECIFIED && !status) throw invalid('status is not valid');
      const page = await repo.list(
        { customerUserId: req.customerUserId || undefined, status },
        req.pageSize || 20,
        req.pageToken,
      );
      return { orders: page.orders.map(orderToWire), nextPageToken: page.nextPageToken };
    },

    async *watchOrder(req, ctx) {
      for await (const order of watchOrder(repo, changes, req.orderId, watchPollMs, ctx.signal)) {
        yield { order: orderToWire(order) };
      }
    },
  });
}
