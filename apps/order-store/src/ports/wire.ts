import { orders } from '@order-system/proto';
import type { FailureReason, Order, OrderStatus } from '../domain/order.js';

const { OrderStatus: S, FailureReason: F } = orders.v1;

const statusToWire: Record<OrderStatus, orders.v1.OrderStatus> = {
  PENDING: S.ORDER_STATUS_PENDING,
  CONFIRMED: S.ORDER_STATUS_CONFIRMED,
  FAILED: S.ORDER_STATUS_FAILED,
};

const reasonToWire: Record<FailureReason, orders.v1.FailureReason> = {
  UNSPECIFIED: F.FAILURE_REASON_UNSPECIFIED,
  PAYMENT_DECLINED: F.FAILURE_REASON_PAYMENT_DECLINED,
  INSUFFICIENT_STOCK: F.FAILURE_REASON_INSUFFICIENT_STOCK,
  RESERVATION_EXPIRED: F.FAILURE_REASON_RESERVATION_EXPIRED,
};

export const reasonFromWire = (r: orders.v1.FailureReason): FailureReason =>
  (Object.entries(reasonToWire).find(([, w]) => w === r)?.[0] as FailureReason | undefined) ?? 'UNSPECIFIED';

export const statusFromWire = (s: orders.v1.OrderStatus): OrderStatus | undefined =>
  Object.entries(statusToWire).find(([, w]) => w === s)?.[0] as OrderStatus | undefined;

export function orderToWire(o: Order): orders.v1.Order {
  return {
    orderId: o.orderId,
    status: statusToWire[o.status],
    customer: o.customer,
    items: o.items,
    total: o.total,
    failureReason: reasonToWire[o.failureReason ?? 'UNSPECIFIED'],
    failureMessage: o.failureMessage ?? '',
    paymentId: o.paymentId ?? '',
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
    history: o.history.map((h) => ({ status: statusToWire[h.status], at: h.at, reason: h.reason })),
  };
}
