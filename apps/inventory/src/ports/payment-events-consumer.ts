import { decodeEvent, type ConsumerOptions, type IncomingMessage } from '@order-system/kafka';
import { orderFields, type Logger } from '@order-system/logger';
import { counter, type MetricsRegistry } from '@order-system/metrics';
import { events } from '@order-system/proto';
import { settlePayments, type PaymentSettlement } from '../app/settle-payment.js';
import type { InventoryRepository } from '../domain/ports.js';

const { PAYMENT_OUTCOME_APPROVED } = events.v1.PaymentOutcome;

/** payment-events → settle the orders' reservations, a batch of results per transaction. */
export function paymentEventsHandler(
  repo: InventoryRepository,
  log: Logger,
  metrics: MetricsRegistry,
): Pick<ConsumerOptions, 'handle' | 'handleBatch'> {
  const settlements = counter(metrics, {
    name: 'inventory_settlements_total',
    help: 'Payment results applied to reservations, by payment (approved, declined) and result (settled; unchanged: already ended; duplicate: seen before).',
    labelNames: ['payment', 'result'],
  });
  const released = counter(metrics, { name: 'stock_released_units_total', help: 'Reserved units put back on sale (declined or expired orders).' });

  const handleBatch = async (messages: IncomingMessage[]) => {
    const results = messages.flatMap(toSettlement); // an event kind this version does not act on is skipped
    if (results.length === 0) return;
    const outcomes = await settlePayments(repo, results);
    results.forEach(({ payment, correlationId }, i) => {
      const { result, move, units } = outcomes[i]!;
      if (move === 'release') released.inc(units);
      settlements.inc({ payment: payment.approved ? 'approved' : 'declined', result });
      log.info({ ...orderFields(payment.orderId, correlationId), result, approved: payment.approved }, 'payment settled');
    });
  };
  return { handleBatch, handle: (message) => handleBatch([message]) };
}

function toSettlement(message: IncomingMessage): PaymentSettlement[] {
  const event = decodeEvent(events.v1.PaymentEvent, message);
  const processed = event.paymentProcessed;
  if (!processed) return [];
  const payment = {
    orderId: event.orderId,
    paymentId: processed.paymentId,
    approved: processed.outcome === PAYMENT_OUTCOME_APPROVED,
    declineMessage: processed.declineMessage,
  };
  return [{ eventId: event.eventId, correlationId: message.headers['x-correlation-id'] ?? event.eventId, payment }];
}
