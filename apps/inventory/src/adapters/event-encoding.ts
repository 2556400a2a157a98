import { randomUUID } from 'node:crypto';
import { events, orders } from '@order-system/proto';
import type { FailureReason } from '../domain/reservation.js';
import type { InventoryEvent } from '../domain/settlement.js';

export const failureReasonToWire: Record<FailureReason, orders.v1.FailureReason> = {
  PAYMENT_DECLINED: orders.v1.FailureReason.FAILURE_REASON_PAYMENT_DECLINED,
  INSUFFICIENT_STOCK: orders.v1.FailureReason.FAILURE_REASON_INSUFFICIENT_STOCK,
  RESERVATION_EXPIRED: orders.v1.FailureReason.FAILURE_REASON_RESERVATION_EXPIRED,
};

export interface EncodedEvent {
  topic: string;
  key: string;
  payload: Buffer;
  headers: Record<string, string>;
}

/** A domain event as the protobuf record published on order-events. */
export function encodeEvent(event: InventoryEvent, topic: string, correlationId: string): EncodedEvent {
  const orderId = event.type === 'OrderPlaced' ? event.reservation.orderId : event.orderId;
  const envelope: events.v1.OrderEvent = {
    eventId: randomUUID(),
    orderId,
    occurredAt: new Date(),
    ...payload(event),
  };
  return {
    topic,
    key: orderId,
    payload: Buffer.from(events.v1.OrderEvent.encode(envelope).finish()),
    headers: { 'x-correlation-id': correlationId, 'event-type': event.type, 'event-id': envelope.eventId },
  };
}

function payload(event: InventoryEvent): Partial<events.v1.OrderEvent> {
  switch (event.type) {
    case 'OrderPlaced': {
      const r = event.reservation;
      return {
        orderPlaced: {
          customer: r.customer,
          lines: r.lines,
          total: r.total,
          paymentToken: r.paymentToken,
          createdAt: r.createdAt,
        },
      };
    }
    case 'OrderConfirmed':
      return { orderConfirmed: { paymentId: event.paymentId } };
    case 'OrderFailed':
      return {
        orderFailed: { reason: failureReasonToWire[event.reason], message: event.message, paymentId: event.paymentId ?? '' },
      };
    case 'RefundRequested':
      return { refundRequested: { paymentId: event.paymentId, amount: event.amount, reason: event.reason } };
  }
}
