import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAppError } from '@order-system/errors';
import { orderProblems, validateOrder, type OrderRequest } from './validate-order.js';

const LAPTOP = '65d7f44c-5620-48e4-ac6d-f615de1c67d8';
const valid = (): OrderRequest => ({
  orderId: 'ORD-TEST-005',
  customer: { userId: 'user_002', email: 'test2@gmail.com' },
  items: [{ productId: LAPTOP, sku: 'LAPTOP001', quantity: 1 }],
  paymentToken: '',
});

describe('validateOrder', () => {
  it('accepts the original example order', () => {
    expect(orderProblems(valid())).toEqual([]);
  });

  it.each([
    ['missing order_id', (r: OrderRequest) => (r.orderId = ''), 'order_id must be 1-64 characters'],
    ['malformed order_id', (r: OrderRequest) => (r.orderId = 'ORD 1/2'), 'order_id must be 1-64 characters'],
    ['order_id too long', (r: OrderRequest) => (r.orderId = 'x'.repeat(65)), 'order_id must be 1-64 characters'],
    ['missing customer', (r: OrderRequest) => delete r.customer, 'customer is required'],
    ['missing email', (r: OrderRequest) => (r.customer!.email = ''), 'customer.email must be a valid e-mail'],
    ['malformed email', (r: OrderRequest) => (r.customer!.email = 'not-an-email'), 'customer.email must be a valid e-mail'],
    ['no items', (r: OrderRequest) => (r.items = []), 'items must not be empty'],
    ['quantity 0', (r: OrderRequest) => (r.items[0]!.quantity = 0), 'items[0].quantity must be an integer from 1 to 1000'],
    ['quantity 1001', (r: OrderRequest) => (r.items[0]!.quantity = 1001), 'items[0].quantity must be an integer'],
    ['no product', (r: OrderRequest) => (r.items[0] = { productId: '', sku: '', quantity: 1 }), 'items[0] must name a product_id or a sku'],
    ['repeated product', (r: OrderRequest) => r.items.push({ productId: LAPTOP, sku: '', quantity: 2 }), 'items[1] repeats product'],
    ['bad price', (r: OrderRequest) => (r.items[0]!.expectedUnitPrice = { currencyCode: 'usd', units: 1, nanos: 0 }), 'items[0].expected_unit_price'],
  ])('rejects %s, naming the field', (_name, mutate, message) => {
    const req = valid();
    mutate(req);
    let error: unknown;
    try {
      validateOrder(req);
    } catch (err) {
      error = err;
    }
    expect(isAppError(error, 'invalid')).toBe(true);
    expect((error as Error).message).toContain(message);
  });

  it('never throws anything but a clear INVALID_ARGUMENT on arbitrary input (property)', () => {
    const item = fc.record({
      productId: fc.oneof(fc.constant(LAPTOP), fc.uuid(), fc.string({ maxLength: 80 })),
      sku: fc.string({ maxLength: 80 }),
      quantity: fc.oneof(fc.integer(), fc.double()),
      expectedUnitPrice: fc.option(
        fc.record({ currencyCode: fc.string({ maxLength: 4 }), units: fc.integer(), nanos: fc.integer() }),
        { nil: undefined },
      ),
    });
    const request = fc.record({
      orderId: fc.string({ maxLength: 100, unit: 'binary' }),
      customer: fc.option(fc.record({ userId: fc.string({ maxLength: 200 }), email: fc.oneof(fc.emailAddress(), fc.string()) }), {
        nil: undefined,
      }),
      items: fc.array(item, { maxLength: 120 }),
      paymentToken: fc.string({ maxLength: 200 }),
    });
    fc.assert(
      fc.property(request, (req) => {
        const problems = orderProblems(req);
        try {
          validateOrder(req);
          expect(problems).toEqual([]);
          // What passes is what the rules allow.
          expect(req.orderId).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
          expect(req.items.length).toBeGreaterThan(0);
          for (const i of req.items) expect(i.quantity >= 1 && i.quantity <= 1000 && Number.isInteger(i.quantity)).toBe(true);
        } catch (err) {
          expect(isAppError(err, 'invalid')).toBe(true);
          expect(problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
