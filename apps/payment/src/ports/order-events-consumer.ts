import { invalid } from '@order-system/errors';
import { decodeEvent, type ConsumerOptions, type IncomingMessage, type Producer } from '@order-system/kafka';
import { orderFields, type Logger } from '@order-system/logger';
import { counter, type MetricsRegistry } from '@order-system/metrics';
import { events } from '@order-system/proto';
import { charge, paymentEventId, refundEventId } from '../domain/charge.js';

/** A payment result to publish, and what to count and log once it is. */
interface Outcome {
  event: events.v1.PaymentEvent;
  type: 'PaymentProcessed' | 'PaymentRefunded';
  correlationId: string;
  outcome: 'approved' | 'declined' | 'refunded';
}

/**
 * order-events: OrderPlaced → charge → PaymentProcessed on payment-events;
 * RefundRequested → refund → PaymentRefunded. A batch of requests is answered
 * in one produce request.
 */
export function orderEventsHandler(
  producer: Producer,
  paymentEventsTopic: string,
  failureRate: number,
  log: Logger,
  metrics: MetricsRegistry,
): Pick<ConsumerOptions, 'handle' | 'handleBatch'> {
  const payments = counter(metrics, {
    name: 'payments_total',
    help: 'Payment results published, by outcome: approved, declined, refunded (a redelivered request counts again).',
    labelNames: ['outcome'],
  });

  const handleBatch = async (messages: IncomingMessage[]) => {
    const outcomes = messages.flatMap((m) => pay(m, failureRate));
    if (outcomes.length === 0) return;
    await producer.send(
      paymentEventsTopic,
      outcomes.map(({ event, type, correlationId }) => ({
        key: event.orderId,
        value: events.v1.PaymentEvent.encode(event).finish(),
        headers: { 'x-correlation-id': correlationId, 'event-type': type, 'event-id': event.eventId },
      })),
    );
    for (const { event, outcome, correlationId } of outcomes) {
      payments.inc({ outcome });
      const paymentId = event.paymentProcessed?.paymentId ?? event.paymentRefunded?.paymentId;
      log.info({ ...orderFields(event.orderId, correlationId), paymentId, outcome }, outcome === 'refunded' ? 'payment refunded' : 'payment processed');
    }
  };
  return { handleBatch, handle: (message) => handleBatch([message]) };
}

/** The payment result an order event asks for, if any. */
function pay(message: IncomingMessage, failureRate: number): Outcome[] {
  const event = decodeEvent(events.v1.OrderEvent, message);
  const correlationId = message.headers['x-correlation-id'] ?? event.eventId;
  const refund = event.refundRequested;
  if (refund) {
    const paymentRefunded = { paymentId: refund.paymentId, amount: refund.amount };
    const refunded = { eventId: refundEventId(event.orderId), orderId: event.orderId, occurredAt: new Date(), paymentRefunded };
    return [{ event: refunded, type: 'PaymentRefunded', correlationId, outcome: 'refunded' }];
  }
  const placed = event.orderPlaced;
  if (!placed) return []; // only placed orders ask for payment
  if (!placed.total) throw invalid(`order ${event.orderId}: OrderPlaced without total`);
  const result = charge({ orderId: event.orderId, paymentToken: placed.paymentToken, amount: placed.total }, failureRate);
  const processed: events.v1.PaymentEvent = {
    eventId: paymentEventId(event.orderId),
    orderId: event.orderId,
    occurredAt: new Date(),
    paymentProcessed: {
      paymentId: result.paymentId,
      outcome: result.approved ? events.v1.PaymentOutcome.PAYMENT_OUTCOME_APPROVED : events.v1.PaymentOutcome.PAYMENT_OUTCOME_DECLINED,
      amount: placed.total,
      declineMessage: result.declineMessage,
    },
  };
  return [{ event: processed, type: 'PaymentProcessed', correlationId, outcome: result.approved ? 'approved' : 'declined' }];
}
