import type { InventoryRepository } from '../domain/ports.js';
import { settleByPayment, type PaymentResult } from '../domain/settlement.js';

/** Sells or releases an order's reserved stock once its payment result arrives. */
export function settlePayment(repo: InventoryRepository, eventId: string, payment: PaymentResult, correlationId: string) {
  return repo.settle(eventId, payment.orderId, correlationId, (r) => settleByPayment(r, payment));
}
