import { invalid } from '@order-system/errors';
import { decodeEvent, type IncomingMessage, type Producer } from '@order-system/kafka';
import { orderLogger, type Logger } from '@order-system/logger';
import { counter, type MetricsRegistry } from '@order-system/metrics';
import { events } from '@order-system/proto';
import { charge, paymentEventId, refundEventId } from '../domain/charge.js';

/**
 * order-events: OrderPlaced → charge → PaymentProcessed on payment-events;
 * RefundRequested → refund → PaymentRefunded.
 */
export function orderEventsHandler(producer: Producer, paymentEventsTopic: string, failureRate: number, log: Logger, metrics: MetricsRegistry) {
  const payments = counter(metrics, {
    name: 'payments_total',
    help: 'Payment results published, by outcome: approved, declined, refunded (a redelivered request counts again).',
    labelNames: ['outcome'],
  });
  const publish = (event: events.v1.PaymentEvent, type: string, correlationId: string) =>
    producer.send(paymentEventsTopic, [
      {
        key: event.orderId,
        value: events.v1.PaymentEvent.encode(event).finish(),
        headers: { 'x-correlation-id': correlationId, 'event-type': type, 'event-id': event.eventId },
      },
    ]);

  return async (message: IncomingMessage): Promise<void> => {
    const event = decodeEvent(events.v1.OrderEvent, message);
    const correlationId = message.headers['x-correlation-id'] ?? event.eventId;
    const refund = event.refundRequested;
    if (refund) {
      const refunded = { paymentId: refund.paymentId, amount: refund.amount };
      await publish({ eventId: refundEventId(event.orderId), orderId: event.orderId, occurredAt: new Date(), paymentRefunded: refunded }, 'PaymentRefunded', correlationId);
      payments.inc({ outcome: 'refunded' });
      orderLogger(log, event.orderId, correlationId).info({ paymentId: refund.paymentId }, 'payment refunded');
      return;
    }
    const placed = event.orderPlaced;
    if (!placed) return; // only placed orders ask for payment
    if (!placed.total) throw invalid(`order ${event.orderId}: OrderPlaced without total`);
    const result = charge({ orderId: event.orderId, paymentToken: placed.paymentToken, amount: placed.total }, failureRate);
    const out: events.v1.PaymentEvent = {
      eventId: paymentEventId(event.orderId),
      orderId: event.orderId,
      occurredAt: new Date(),
      paymentProcessed: {
        paymentId: result.paymentId,
        outcome: result.approved
          ? events.v1.PaymentOutcome.PAYMENT_OUTCOME_APPROVED
          : events.v1.PaymentOutcome.PAYMENT_OUTCOME_DECLINED,
        amount: placed.total,
        declineMessage: result.declineMessage,
      },
    };
    await publish(out, 'PaymentProcessed', correlationId);
    payments.inc({ outcome: result.approved ? 'approved' : 'declined' });
    orderLogger(log, event.orderId, correlationId).info(
      { paymentId: result.paymentId, approved: result.approved },
      'payment processed',
    );
  };
}
