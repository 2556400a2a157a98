import { times } from '@order-system/money';
import { catalog, orders } from '@order-system/proto';
import { failureReasonToWire } from '../adapters/event-encoding.js';
import type { Product, Reservation, ReservationStatus } from '../domain/reservation.js';

const statusToWire: Record<ReservationStatus, orders.v1.OrderStatus> = {
  RESERVED: orders.v1.OrderStatus.ORDER_STATUS_PENDING,
  COMMITTED: orders.v1.OrderStatus.ORDER_STATUS_CONFIRMED,
  RELEASED: orders.v1.OrderStatus.ORDER_STATUS_FAILED,
};

export function productToWire(p: Product): catalog.v1.Product {
  return { productId: p.productId, sku: p.sku, name: p.name, price: p.price, available: p.available };
}

/** The order as inventory knows it: its lines, totals and where its reservation stands. */
export function reservationToWire(r: Reservation): orders.v1.Order {
  const status = statusToWire[r.status];
  const history: orders.v1.StatusChange[] = [
    { status: orders.v1.OrderStatus.ORDER_STATUS_PENDING, at: r.createdAt, reason: 'stock reserved' },
  ];
  if (r.status !== 'RESERVED') history.push({ status, at: r.updatedAt, reason: r.failureMessage ?? 'payment approved' });
  return {
    orderId: r.orderId,
    status,
    customer: r.customer,
    items: r.lines.map((l) => ({ ...l, lineTotal: times(l.unitPrice, l.quantity) })),
    total: r.total,
    failureReason: r.failureReason
      ? failureReasonToWire[r.failureReason]
      : orders.v1.FailureReason.FAILURE_REASON_UNSPECIFIED,
    failureMessage: r.failureMessage ?? '',
    paymentId: r.paymentId ?? '',
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    history,
  };
}
