import { invalid } from '@order-system/errors';
import { decodeEvent, type ConsumerOptions, type IncomingMessage } from '@order-system/kafka';
import { orderLogger, type Logger } from '@order-system/logger';
import { counter, type MetricsRegistry } from '@order-system/metrics';
import { events } from '@order-system/proto';
import type { OrderChanges } from '../app/order-changes.js';
import { recordOrderEvents, type OrderEventInput, type RecordResult } from '../app/record-order-event.js';
import type { OrderRepository } from '../domain/ports.js';
import { reasonFromWire } from './wire.js';

/** order-events → the stored orders, a batch at a time. */
export function orderEventsHandler(
  repo: OrderRepository,
  changes: OrderChanges,
  log: Logger,
  metrics: MetricsRegistry,
): Pick<ConsumerOptions, 'handle' | 'handleBatch'> {
  // Counted where an order's state is stored, once: a redelivered event finds it stored and counts nothing.
  const created = counter(metrics, { name: 'orders_created_total', help: 'Orders stored as placed.' });
  const confirmed = counter(metrics, { name: 'orders_confirmed_total', help: 'Orders stored as confirmed.' });
  const failed = counter(metrics, { name: 'orders_failed_total', help: 'Orders stored as failed, by reason.', labelNames: ['reason'] });
  const recorded = (input: Decoded, result: RecordResult) => {
    if (result === 'inserted') created.inc();
    if (result === 'completed' && input.type === 'completed') {
      if (input.completion.status === 'CONFIRMED') confirmed.inc();
      else failed.inc({ reason: input.completion.failureReason ?? 'UNSPECIFIED' });
    }
    const orderId = input.type === 'placed' ? input.placed.orderId : input.completion.orderId;
    orderLogger(log, orderId, input.correlationId).info({ event: input.eventType, result }, 'order event recorded');
  };
  const handleBatch = async (messages: IncomingMessage[]) => {
    // A refund (money going back) leaves the stored order, FAILED already, as it is.
    const inputs = messages.flatMap((m): Decoded[] => {
      const event = decodeEvent(events.v1.OrderEvent, m);
      if (event.refundRequested) return [];
      return [{ ...toInput(event), correlationId: m.headers['x-correlation-id'] ?? event.eventId, eventType: m.headers['event-type'] }];
    });
    await recordOrderEvents(repo, changes, inputs, recorded);
  };
  return { handleBatch, handle: (message) => handleBatch([message]) };
}

/** An event as recorded, with what its log line names. */
type Decoded = OrderEventInput & { correlationId: string; eventType?: string };

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
      placed: { eventId: e.eventId, orderId: e.orderId, customer: p.customer, lines, total: p.total, createdAt: p.createdAt ?? at, at },
    };
  }
  if (e.orderConfirmed) {
    const confirmed = { eventId: e.eventId, orderId: e.orderId, status: 'CONFIRMED' as const, paymentId: e.orderConfirmed.paymentId, at };
    return { type: 'completed', completion: confirmed };
  }
  if (e.orderFailed) {
    const f = e.orderFailed;
    return {
      type: 'completed',
      completion: {
        eventId: e.eventId,
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
