import { invalid } from '@order-system/errors';
import { decodeEvent, type IncomingMessage, type Producer } from '@order-system/kafka';
import { orderLogger, type Logger } from '@order-system/logger';
import { events } from '@order-system/proto';
import { charge, paymentEventId } from '../domain/charge.js';

/** order-events: OrderPlaced → charge → PaymentProcessed on payment-events. */
export function orderEventsHandler(producer: Producer, paymentEventsTopic: string, failureRate: number, log: Logger) {
  return async (message: IncomingMessage): Promise<void> => {
    const event = decodeEvent(events.v1.OrderEvent, message);
    const placed = event.orderPlaced;
    if (!placed) return; // only placed orders ask for payment
    if (!placed.total) throw invalid(`order ${event.orderId}: OrderPlaced without total`);
    const result = charge({ orderId: event.orderId, paymentToken: placed.paymentToken, amount: placed.total }, failureRate);
    const correlationId = message.headers['x-correlation-id'] ?? event.eventId;
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
    await producer.send(paymentEventsTopic, [
      {
        key: event.orderId,
        value: events.v1.PaymentEvent.encode(out).finish(),
        headers: { 'x-correlation-id': correlationId, 'event-type': 'PaymentProcessed', 'event-id': out.eventId },
      },
    ]);
    orderLogger(log, event.orderId, correlationId).info(
      { paymentId: result.paymentId, approved: result.approved },
      'payment processed',
    );
  };
}
