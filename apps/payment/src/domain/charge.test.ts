import { describe, expect, it } from 'vitest';
import { charge, paymentEventId } from './charge.js';

const amount = { currencyCode: 'USD', units: 10, nanos: 0 };

describe('charge', () => {
  it('honours the test tokens whatever the failure rate', () => {
    expect(charge({ orderId: 'a', paymentToken: 'tok_visa', amount }, 1).approved).toBe(true);
    expect(charge({ orderId: 'a', paymentToken: 'tok_chargeDeclined', amount }, 0).approved).toBe(false);
  });

  it('is deterministic per order', () => {
    const first = charge({ orderId: 'ORD-42', paymentToken: '', amount }, 0.5);
    expect(charge({ orderId: 'ORD-42', paymentToken: '', amount }, 0.5)).toEqual(first);
    expect(paymentEventId('ORD-42')).toBe(paymentEventId('ORD-42'));
    expect(paymentEventId('ORD-42')).not.toBe(paymentEventId('ORD-43'));
  });

  it('declines about failureRate of orders', () => {
    const n = 20_000;
    let declined = 0;
    for (let i = 0; i < n; i++) if (!charge({ orderId: `o-${i}`, paymentToken: '', amount }, 0.2).approved) declined++;
    expect(declined / n).toBeGreaterThan(0.18);
    expect(declined / n).toBeLessThan(0.22);
    expect([0, 1].map((rate) => charge({ orderId: 'x', paymentToken: '', amount }, rate).approved)).toEqual([true, false]);
  });
});
