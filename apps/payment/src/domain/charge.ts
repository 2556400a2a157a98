import { createHash } from 'node:crypto';
import type { Money } from '@order-system/money';

export interface ChargeRequest {
  orderId: string;
  paymentToken: string;
  amount: Money;
}

export interface ChargeResult {
  /** Stable per order: a redelivered request gets the same id and outcome. */
  paymentId: string;
  approved: boolean;
  declineMessage: string;
}

/** Test tokens, as card networks' sandboxes have them. */
export const ALWAYS_APPROVE = 'tok_visa';
export const ALWAYS_DECLINE = 'tok_chargeDeclined';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * The simulated payment provider: declines `failureRate` of orders, chosen by
 * a hash of the order id, so the decision is the same on every delivery.
 */
export function charge(req: ChargeRequest, failureRate: number): ChargeResult {
  const paymentId = `pay_${digest(`payment:${req.orderId}`).toString('base64url').slice(0, 22)}`;
  if (req.paymentToken === ALWAYS_APPROVE) return { paymentId, approved: true, declineMessage: '' };
  if (req.paymentToken === ALWAYS_DECLINE) {
    return { paymentId, approved: false, declineMessage: 'card declined (test token tok_chargeDeclined)' };
  }
  const draw = digest(`decision:${req.orderId}`).readUInt32BE(0) / 2 ** 32; // uniform in [0, 1)
  return draw < failureRate
    ? { paymentId, approved: false, declineMessage: 'card declined by the simulated provider' }
    : { paymentId, approved: true, declineMessage: '' };
}

/** A UUID-shaped id derived from text: the same text, the same id. */
function stableId(text: string): string {
  const h = digest(text).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The event id of an order's payment result: the same result, the same id. */
export const paymentEventId = (orderId: string) => stableId(`payment-event:${orderId}`);

/** The event id of an order's refund. */
export const refundEventId = (orderId: string) => stableId(`refund-event:${orderId}`);
