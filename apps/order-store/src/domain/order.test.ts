import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { complete, isTerminal, placedOrder, type Completion, type Order, type Placed } from './order.js';

const usd = (units: number) => ({ currencyCode: 'USD', units, nanos: 0 });
const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 12, 0, s));

const placed: Placed = {
  eventId: 'evt-placed',
  orderId: 'ORD-1',
  customer: { userId: 'user_1', email: 'a@example.com' },
  lines: [{ productId: 'p-1', sku: 'SKU1', name: 'Thing', unitPrice: usd(5), quantity: 3 }],
  total: usd(15),
  createdAt: at(0),
  at: at(0),
};

const confirmation: Completion = { eventId: 'evt-confirmed', orderId: 'ORD-1', status: 'CONFIRMED', paymentId: 'pay-1', at: at(2) };
const failure: Completion = {
  eventId: 'evt-failed',
  orderId: 'ORD-1',
  status: 'FAILED',
  failureReason: 'PAYMENT_DECLINED',
  failureMessage: 'card declined',
  paymentId: 'pay-1',
  at: at(3),
};

describe('placedOrder', () => {
  it('is PENDING, with each line totalled and one history entry', () => {
    const order = placedOrder(placed);
    expect(order.status).toBe('PENDING');
    expect(order.items[0]!.lineTotal).toEqual(usd(15));
    expect(order.history).toEqual([{ status: 'PENDING', at: at(0), reason: 'stock reserved, awaiting payment' }]);
  });
});

describe('complete: the order state machine', () => {
  const pending = placedOrder(placed);

  it('moves a PENDING order to CONFIRMED with its payment, appending to its history', () => {
    const outcome = complete(pending, [placed.eventId], confirmation);
    expect(outcome.result).toBe('completed');
    const order = (outcome as { order: Order }).order;
    expect(order).toMatchObject({ status: 'CONFIRMED', paymentId: 'pay-1', updatedAt: at(2) });
    expect(order.failureReason).toBeUndefined();
    expect(order.history.map((h) => [h.status, h.reason])).toEqual([
      ['PENDING', 'stock reserved, awaiting payment'],
      ['CONFIRMED', 'payment approved'],
    ]);
  });

  it('moves a PENDING order to FAILED with its reason and message', () => {
    const outcome = complete(pending, [placed.eventId], failure);
    expect(outcome).toMatchObject({ result: 'completed', order: { status: 'FAILED', failureReason: 'PAYMENT_DECLINED', failureMessage: 'card declined' } });
    expect((outcome as { order: Order }).order.history.at(-1)).toEqual({ status: 'FAILED', at: at(3), reason: 'card declined' });
  });

  it('refuses to move a terminal order again, whichever way', () => {
    const confirmed = (complete(pending, [placed.eventId], confirmation) as { order: Order }).order;
    const applied = [placed.eventId, confirmation.eventId];
    expect(complete(confirmed, applied, failure)).toEqual({ result: 'already_terminal' });
    expect(complete(confirmed, applied, { ...confirmation, eventId: 'evt-other' })).toEqual({ result: 'already_terminal' });
  });

  it('recognises an event applied before, terminal or not, and changes nothing', () => {
    expect(complete(pending, [placed.eventId, confirmation.eventId], confirmation)).toEqual({ result: 'duplicate' });
    const failed = (complete(pending, [placed.eventId], failure) as { order: Order }).order;
    expect(complete(failed, [placed.eventId, failure.eventId], failure)).toEqual({ result: 'duplicate' });
  });

  it('leaves the order it is given untouched', () => {
    const before = structuredClone(pending);
    complete(pending, [placed.eventId], confirmation);
    expect(pending).toEqual(before);
  });

  it('ends an order once, as its first completion says, whatever completions follow and however often they repeat', () => {
    const completions = fc.array(
      fc.record({
        eventId: fc.constantFrom('e1', 'e2', 'e3', 'e4'),
        status: fc.constantFrom('CONFIRMED' as const, 'FAILED' as const),
        second: fc.integer({ min: 1, max: 59 }),
      }),
      { minLength: 1, maxLength: 12 },
    );
    fc.assert(
      fc.property(completions, (events) => {
        let order = pending;
        const applied = [placed.eventId];
        for (const e of events) {
          const outcome = complete(order, applied, { ...e, orderId: 'ORD-1', at: at(e.second) });
          if (outcome.result === 'completed') {
            order = outcome.order;
            applied.push(e.eventId);
          }
        }
        expect(isTerminal(order.status)).toBe(true);
        expect(order.status).toBe(events[0]!.status);
        expect(order.history).toHaveLength(2);
        expect(applied).toEqual([placed.eventId, events[0]!.eventId]);
      }),
    );
  });
});
