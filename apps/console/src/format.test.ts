import { create } from '@bufbuild/protobuf';
import { FailureReason, MoneySchema, OrderSchema, OrderStatus } from '@order-system/proto/web';
import { describe, expect, it } from 'vitest';
import { failureText, formatMoney, newOrderId, statusName } from './format.js';

describe('format', () => {
  it('shows money exactly, for the reader’s locale', () => {
    expect(formatMoney(create(MoneySchema, { currencyCode: 'USD', units: 1299n, nanos: 990_000_000 }))).toMatch(/1,?299\.99/);
    expect(formatMoney({ currencyCode: 'USD', units: 12345678901234, nanos: 10_000_000 })).toMatch(/12,?345,?678,?901,?234\.01/);
  });

  it('names statuses and failures', () => {
    expect(statusName(OrderStatus.CONFIRMED)).toBe('CONFIRMED');
    const failed = create(OrderSchema, { status: OrderStatus.FAILED, failureReason: FailureReason.PAYMENT_DECLINED, failureMessage: 'card declined' });
    expect(failureText(failed)).toBe('Payment declined: card declined');
    expect(failureText(create(OrderSchema, { status: OrderStatus.CONFIRMED }))).toBe('');
  });

  it('makes order ids the gateway accepts, all different', () => {
    const ids = new Set(Array.from({ length: 100 }, newOrderId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
  });
});
