import type { Money } from '@order-system/money';
import type { FailureReason, Reservation, ReservationStatus } from './reservation.js';

/** What happens to a reservation's stock when it ends; 'none' for a refund after the end. */
export type StockMove = 'sell' | 'release' | 'none';

export type InventoryEvent =
  | { type: 'OrderPlaced'; reservation: Reservation }
  | { type: 'OrderConfirmed'; orderId: string; paymentId: string }
  | { type: 'OrderFailed'; orderId: string; reason: FailureReason; message: string; paymentId?: string }
  | { type: 'RefundRequested'; orderId: string; paymentId: string; amount: Money; reason: string };

/** A reservation's one move to a terminal state, with its stock effect and event. */
export interface Settlement {
  status: Exclude<ReservationStatus, 'RESERVED'>;
  stock: StockMove;
  paymentId?: string;
  failureReason?: FailureReason;
  failureMessage?: string;
  event: InventoryEvent;
}

export interface PaymentResult {
  orderId: string;
  paymentId: string;
  approved: boolean;
  declineMessage: string;
}

/**
 * A payment result settles a reservation still RESERVED. An approval that
 * arrives after the reservation expired is refunded, never confirmed; any
 * other late or repeated result leaves the reservation as it is.
 */
export function settleByPayment(r: Reservation, payment: PaymentResult): Settlement | undefined {
  if (r.status !== 'RESERVED') {
    const expiredUnpaid = r.status === 'RELEASED' && r.failureReason === 'RESERVATION_EXPIRED' && !r.paymentId;
    if (!payment.approved || !expiredUnpaid) return undefined;
    const reason = 'payment approved after the reservation expired';
    return {
      status: 'RELEASED',
      stock: 'none',
      paymentId: payment.paymentId,
      failureReason: r.failureReason,
      failureMessage: `${r.failureMessage}; ${reason}: refunded`,
      event: { type: 'RefundRequested', orderId: r.orderId, paymentId: payment.paymentId, amount: r.total, reason },
    };
  }
  if (payment.approved) {
    return {
      status: 'COMMITTED',
      stock: 'sell',
      paymentId: payment.paymentId,
      event: { type: 'OrderConfirmed', orderId: r.orderId, paymentId: payment.paymentId },
    };
  }
  const message = payment.declineMessage || 'payment declined';
  return {
    status: 'RELEASED',
    stock: 'release',
    paymentId: payment.paymentId,
    failureReason: 'PAYMENT_DECLINED',
    failureMessage: message,
    event: { type: 'OrderFailed', orderId: r.orderId, reason: 'PAYMENT_DECLINED', message, paymentId: payment.paymentId },
  };
}

/** The reservation as a settlement leaves it. */
export function afterSettlement(r: Reservation, s: Settlement, at: Date): Reservation {
  return { ...r, status: s.status, paymentId: s.paymentId, failureReason: s.failureReason, failureMessage: s.failureMessage, updatedAt: at };
}

/** A reservation whose payment result did not arrive in time releases its stock. */
export function expire(r: Reservation, now: Date): Settlement | undefined {
  if (r.status !== 'RESERVED' || r.expiresAt > now) return undefined;
  const message = `no payment result by ${r.expiresAt.toISOString()}`;
  return {
    status: 'RELEASED',
    stock: 'release',
    failureReason: 'RESERVATION_EXPIRED',
    failureMessage: message,
    event: { type: 'OrderFailed', orderId: r.orderId, reason: 'RESERVATION_EXPIRED', message },
  };
}
