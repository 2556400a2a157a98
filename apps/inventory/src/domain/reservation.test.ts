import fc from 'fast-check';
import { isAppError } from '@order-system/errors';
import { equals, sum, times } from '@order-system/money';
import { thrown } from '@order-system/testing';
import { describe, expect, it } from 'vitest';
import { fingerprint, newReservation, priceLines, replay, type PlaceOrder, type Product } from './reservation.js';

const usd = (units: number, nanos = 0) => ({ currencyCode: 'USD', units, nanos });
const laptop: Product = { productId: '65d7f44c-5620-48e4-ac6d-f615de1c67d8', sku: 'LAPTOP001', name: 'Laptop', price: usd(1299, 990_000_000), available: 5 };
const mouse: Product = { productId: '4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f8a', sku: 'MOUSE001', name: 'Mouse', price: usd(49, 990_000_000), available: 50 };
const catalog = [laptop, mouse];
const now = new Date('2026-12-06T12:00:00Z');

const cmd = (items: PlaceOrder['items'], overrides: Partial<PlaceOrder> = {}): PlaceOrder => ({
  orderId: 'ORD-1',
  customer: { userId: 'user_1', email: 'a@example.com' },
  items,
  paymentToken: 'tok_visa',
  correlationId: 'c-1',
  ...overrides,
});

describe('priceLines', () => {
  it('prices each line from the catalog, by id or by sku', () => {
    const lines = priceLines([{ productId: laptop.productId, sku: '', quantity: 1 }, { productId: '', sku: 'MOUSE001', quantity: 2 }], catalog);
    expect(lines).toEqual([
      { productId: laptop.productId, sku: 'LAPTOP001', name: 'Laptop', unitPrice: laptop.price, quantity: 1 },
      { productId: mouse.productId, sku: 'MOUSE001', name: 'Mouse', unitPrice: mouse.price, quantity: 2 },
    ]);
  });

  it('refuses a product that does not exist as invalid input, naming it', () => {
    const err = thrown(() => priceLines([{ productId: '', sku: 'NOPE', quantity: 1 }], catalog));
    expect(isAppError(err, 'invalid') && err.message).toBe('items[0]: product "NOPE" does not exist');
  });

  it('refuses an id and a sku that name different products', () => {
    const err = thrown(() => priceLines([{ productId: laptop.productId, sku: 'MOUSE001', quantity: 1 }], catalog));
    expect(isAppError(err, 'invalid') && err.message).toContain(`product ${laptop.productId} has sku LAPTOP001`);
  });

  it('refuses one product on two lines, however each names it', () => {
    const err = thrown(() => priceLines([{ productId: laptop.productId, sku: '', quantity: 1 }, { productId: '', sku: 'LAPTOP001', quantity: 1 }], catalog));
    expect(isAppError(err, 'invalid') && err.message).toBe('items[1]: product LAPTOP001 appears in more than one line');
  });

  it('refuses a price the customer did not see as a failed precondition, with both prices', () => {
    const err = thrown(() => priceLines([{ productId: laptop.productId, sku: '', quantity: 1, expectedUnitPrice: usd(999) }], catalog));
    expect(isAppError(err, 'failed_precondition') && err.message).toBe('items[0]: the price of LAPTOP001 is 1299.99 USD, not 999.00 USD');
  });

  it('accepts the price the customer saw', () => {
    expect(priceLines([{ productId: laptop.productId, sku: '', quantity: 1, expectedUnitPrice: usd(1299, 990_000_000) }], catalog)).toHaveLength(1);
  });
});

describe('newReservation', () => {
  it('reserves the priced lines for ttl, totalled exactly', () => {
    const order = cmd([{ productId: '', sku: 'LAPTOP001', quantity: 2 }, { productId: '', sku: 'MOUSE001', quantity: 3 }]);
    const r = newReservation(order, priceLines(order.items, catalog), now, 60_000);
    expect(r).toMatchObject({ orderId: 'ORD-1', status: 'RESERVED', total: usd(2749, 950_000_000), createdAt: now });
    expect(r.expiresAt).toEqual(new Date(now.getTime() + 60_000));
  });

  it('refuses lines priced in more than one currency', () => {
    const euro = { ...mouse, price: { currencyCode: 'EUR', units: 45, nanos: 0 } };
    const order = cmd([{ productId: '', sku: 'LAPTOP001', quantity: 1 }, { productId: '', sku: 'MOUSE001', quantity: 1 }]);
    const err = thrown(() => newReservation(order, priceLines(order.items, [laptop, euro]), now, 60_000));
    expect(isAppError(err, 'invalid') && err.message).toBe('all items of an order must be priced in one currency');
  });

  it('totals any order as the sum of its lines', () => {
    const line = fc.record({ product: fc.constantFrom(laptop, mouse), quantity: fc.integer({ min: 1, max: 1000 }) });
    fc.assert(
      fc.property(fc.uniqueArray(line, { minLength: 1, maxLength: 2, selector: (l) => l.product.sku }), (lines) => {
        const order = cmd(lines.map((l) => ({ productId: '', sku: l.product.sku, quantity: l.quantity })));
        const r = newReservation(order, priceLines(order.items, catalog), now, 1000);
        expect(equals(r.total, sum('USD', lines.map((l) => times(l.product.price, l.quantity))))).toBe(true);
      }),
    );
  });
});

describe('replay: idempotency per order_id', () => {
  const order = cmd([{ productId: '', sku: 'LAPTOP001', quantity: 1 }]);
  const existing = newReservation(order, priceLines(order.items, catalog), now, 60_000);

  it('answers the same content with the order accepted before, as it stands', () => {
    const settled = { ...existing, status: 'COMMITTED' as const };
    expect(replay(settled, { ...order, correlationId: 'another call' })).toBe(settled);
  });

  it('refuses other content under the same order_id', () => {
    for (const changed of [
      { ...order, items: [{ ...order.items[0]!, quantity: 2 }] },
      { ...order, paymentToken: 'tok_chargeDeclined' },
      { ...order, customer: { ...order.customer, email: 'b@example.com' } },
    ]) {
      const err = thrown(() => replay(existing, changed));
      expect(isAppError(err, 'already_exists') && err.message).toBe('order ORD-1 already exists with different content');
    }
  });

  it('fingerprints the content only: equal requests agree, any change of a field differs', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), fc.string(), (user, quantity, token) => {
        const a = cmd([{ productId: '', sku: 'MOUSE001', quantity }], { customer: { userId: user, email: 'e@x.io' }, paymentToken: token });
        expect(fingerprint({ ...a, correlationId: 'other', orderId: 'ORD-1' })).toBe(fingerprint(a));
        expect(fingerprint({ ...a, items: [{ ...a.items[0]!, quantity: quantity + 1 }] })).not.toBe(fingerprint(a));
        expect(fingerprint({ ...a, paymentToken: `${token}x` })).not.toBe(fingerprint(a));
      }),
    );
  });
});
