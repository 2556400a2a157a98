import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Reservation } from './reservation.js';
import { afterSettlement, expire, settleByPayment, type PaymentResult } from './settlement.js';

const usd = (units: number) => ({ currencyCode: 'USD', units, nanos: 0 });
const created = new Date('2026-12-06T12:00:00Z');
const expiresAt = new Date('2026-12-06T12:05:00Z');

const reserved: Reservation = {
  orderId: 'ORD-1',
  fingerprint: 'f',
  status: 'RESERVED',
  customer: { userId: 'user_1', email: 'a@example.com' },
  paymentToken: 'tok_visa',
  lines: [{ productId: 'p-1', sku: 'SKU1', name: 'Thing', unitPrice: usd(5), quantity: 2 }],
  total: usd(10),
  createdAt: created,
  updatedAt: created,
  expiresAt,
};
const approved: PaymentResult = { orderId: 'ORD-1', paymentId: 'pay-1', approved: true, declineMessage: '' };
const declined: PaymentResult = { orderId: 'ORD-1', paymentId: 'pay-1', approved: false, declineMessage: 'card declined' };

describe('settleByPayment', () => {
  it('sells the stock of a reserved order whose payment was approved, and confirms it', () => {
    expect(settleByPayment(reserved, approved)).toEqual({
      status: 'COMMITTED',
      stock: 'sell',
      paymentId: 'pay-1',
      event: { type: 'OrderConfirmed', orderId: 'ORD-1', paymentId: 'pay-1' },
    });
  });

  it('releases the stock of a reserved order whose payment was declined, and fails it with the decline', () => {
    expect(settleByPayment(reserved, declined)).toMatchObject({
      status: 'RELEASED',
      stock: 'release',
      failureReason: 'PAYMENT_DECLINED',
      failureMessage: 'card declined',
      event: { type: 'OrderFailed', reason: 'PAYMENT_DECLINED', message: 'card declined' },
    });
    expect(settleByPayment(reserved, { ...declined, declineMessage: '' })?.failureMessage).toBe('payment declined');
  });

  it('leaves a settled order as it is, whatever result comes again', () => {
    for (const first of [approved, declined]) {
      const settled = afterSettlement(reserved, settleByPayment(reserved, first)!, created);
      expect(settleByPayment(settled, approved)).toBeUndefined();
      expect(settleByPayment(settled, declined)).toBeUndefined();
    }
  });

  it('refunds an approval that comes after the reservation expired, once, and never confirms it', () => {
    const expired = afterSettlement(reserved, expire(reserved, expiresAt)!, expiresAt);
    const refund = settleByPayment(expired, approved)!;
    expect(refund).toMatchObject({
      status: 'RELEASED',
      stock: 'none',
      paymentId: 'pay-1',
      failureReason: 'RESERVATION_EXPIRED',
      event: { type: 'RefundRequested', orderId: 'ORD-1', paymentId: 'pay-1', amount: usd(10) },
    });
    const refunded = afterSettlement(expired, refund, expiresAt);
    expect(settleByPayment(refunded, approved)).toBeUndefined();
    expect(settleByPayment(expired, declined)).toBeUndefined(); // a late decline: nothing to give back
  });
});

describe('expire', () => {
  it('releases a reservation whose payment result did not come by its expiry', () => {
    expect(expire(reserved, expiresAt)).toMatchObject({
      status: 'RELEASED',
      stock: 'release',
      failureReason: 'RESERVATION_EXPIRED',
      event: { type: 'OrderFailed', reason: 'RESERVATION_EXPIRED' },
    });
  });

  it('leaves a reservation before its expiry, and a settled one at any time, alone', () => {
    expect(expire(reserved, new Date(expiresAt.getTime() - 1))).toBeUndefined();
    const confirmed = afterSettlement(reserved, settleByPayment(reserved, approved)!, created);
    expect(expire(confirmed, new Date(expiresAt.getTime() + 60_000))).toBeUndefined();
  });
});

describe('a reservation, whatever happens to it', () => {
  it('moves its stock once at most, sells only on an approval that came in time, and is never confirmed after expiring', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('payment' as const), approved: fc.boolean() }),
      fc.record({ kind: fc.constant('expiry' as const), late: fc.boolean() }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 10 }), (steps) => {
        let r = reserved;
        const moves: string[] = [];
        const events: string[] = [];
        for (const s of steps) {
          const settlement =
            s.kind === 'payment'
              ? settleByPayment(r, s.approved ? approved : declined)
              : expire(r, new Date(expiresAt.getTime() + (s.late ? 1 : -1)));
          if (!settlement) continue;
          if (settlement.stock !== 'none') moves.push(settlement.stock);
          events.push(settlement.event.type);
          r = afterSettlement(r, settlement, created);
        }
        expect(moves.length).toBeLessThanOrEqual(1);
        expect(events.filter((e) => e !== 'RefundRequested').length).toBeLessThanOrEqual(1);
        expect(events.filter((e) => e === 'RefundRequested').length).toBeLessThanOrEqual(1);
        if (events.includes('OrderConfirmed')) expect(r.status).toBe('COMMITTED');
        if (r.failureReason === 'RESERVATION_EXPIRED') expect(events).not.toContain('OrderConfirmed');
        expect(r.status === 'RESERVED').toBe(moves.length === 0);
      }),
    );
  });
});
