import { invalid } from '@order-system/errors';
import { decodeEvent, type IncomingMessage } from '@order-system/kafka';
import { orderLogger, type Logger } from '@order-system/logger';
import { events } from '@order-system/proto';
import type { OrderChanges } from '../app/order-changes.js';
import { recordOrderEvent, type OrderEventInput } from '../app/record-order-event.js';
import type { OrderRepository } from '../domain/ports.js';
import { reasonFromWire } from './wire.js';

/** order-events → the stored order. */
export function orderEventsHandler(repo: OrderRepository, changes: OrderChanges, log: Logger) {
  return async (message: IncomingMessage): Promise<void> => {
    const event = decodeEvent(events.v1.OrderEvent, message);
    const correlationId = message.headers['x-correlation-id'] ?? event.eventId;
    if (event.refundRequested) return; // money going back: the stored order, FAILED already, does not change
    const result = await recordOrderEvent(repo, changes, toInput(event));
    orderLogger(log, event.orderId, correlationId).info({ event: message.headers['event-type'], result }, 'order event recorded');
  };
}

function toInput(e: events.v1.OrderEvent): OrderEventInput {
  const at = e.occurredAt ?? new Date();
  if (e.orderPlaced) {
    const p = e.orderPlaced;
    if (!p.customer || !p.total) throw invalid(`OrderPlaced ${e.eventId} without customer or total`);
    const lines = p.lines.map((l) => {
      if (!l.unitPrice) throw invalid(`OrderPlaced ${e.eventId}: line without unit_price`);
      return { ...l, unitPrice: l.unitPrice };
    });
    return {
      type: 'placed',
      placed: { orderId: e.orderId, customer: p.customer, lines, total: p.total, createdAt: p.createdAt ?? at, at },
    };
  }
  if (e.orderConfirmed) {
    return { type: 'completed', completion: { orderId: e.orderId, status: 'CONFIRMED', paymentId: e.orderConfirmed.paymentId, at } };
  }
  if (e.orderFailed) {
    const f = e.orderFailed;
    return {
      type: 'completed',
      completion: {
        orderId: e.orderId,
        status: 'FAILED',
        paymentId: f.paymentId || undefined,
        failureReason: reasonFromWire(f.reason),
        failureMessage: f.message,
        at,
      },
    };
  }
  throw invalid(`order event ${e.eventId} has no payload this version knows`);
}
