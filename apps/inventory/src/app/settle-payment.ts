import type { InventoryRepository } from '../domain/ports.js';
import { settleByPayment, type PaymentResult } from '../domain/settlement.js';

/** A payment result, from the event that carried it. */
export interface PaymentSettlement {
  eventId: string;
  correlationId: string;
  payment: PaymentResult;
}

/**
 * Sells or releases orders' reserved stock once their payment results arrive:
 * a batch of results in one transaction, applied in order.
 */
export function settlePayments(repo: InventoryRepository, results: PaymentSettlement[]) {
  return repo.settle(
    results.map(({ eventId, correlationId, payment }) => ({
      eventId,
      orderId: payment.orderId,
      correlationId,
      decide: (r) => settleByPayment(r, payment),
    })),
  );
}
