import { invalid } from '@order-system/errors';
import { decodeEvent, type IncomingMessage } from '@order-system/kafka';
import { orderLogger, type Logger } from '@order-system/logger';
import { counter, type MetricsRegistry } from '@order-system/metrics';
import { events } from '@order-system/proto';
import { settlePayment } from '../app/settle-payment.js';
import type { InventoryRepository } from '../domain/ports.js';

/** payment-events → settle the order's reservation. */
export function paymentEventsHandler(repo: InventoryRepository, log: Logger, metrics: MetricsRegistry) {
  const settlements = counter(metrics, {
    name: 'inventory_settlements_total',
    help: 'Payment results applied to reservations, by payment (approved, declined) and result (settled; unchanged: already ended; duplicate: seen before).',
    labelNames: ['payment', 'result'],
  });
  const released = counter(metrics, { name: 'stock_released_units_total', help: 'Reserved units put back on sale (declined or expired orders).' });
  return async (message: IncomingMessage): Promise<void> => {
    const event = decodeEvent(events.v1.PaymentEvent, message);
    const processed = event.paymentProcessed;
    if (!processed) return; // an event kind this version does not act on
    const correlationId = message.headers['x-correlation-id'] ?? event.eventId;
    const { result, move, units } = await settlePayment(
      repo,
      event.eventId,
      {
        orderId: event.orderId,
        paymentId: processed.paymentId,
        approved: processed.outcome === events.v1.PaymentOutcome.PAYMENT_OUTCOME_APPROVED,
        declineMessage: processed.declineMessage,
      },
      correlationId,
    );
    if (result === 'unknown_order') throw invalid(`payment for unknown order ${event.orderId}`);
    if (move === 'release') released.inc(units);
    settlements.inc({ payment: processed.outcome === events.v1.PaymentOutcome.PAYMENT_OUTCOME_APPROVED ? 'approved' : 'declined', result });
    orderLogger(log, event.orderId, correlationId).info({ result, outcome: processed.outcome }, 'payment settled');
  };
}
