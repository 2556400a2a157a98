import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { OrderSchema, OrderStatus } from '@order-system/proto/web';
import { describe, expect, it } from 'vitest';
import { perMinute } from './chart.js';

const minute = 60_000;
const now = Date.UTC(2025, 0, 1, 12, 30, 20);
const order = (status: OrderStatus, at: number, historyAt?: number) =>
  create(OrderSchema, {
    orderId: `o-${at}`,
    status,
    updatedAt: timestampFromMs(at),
    history: historyAt === undefined ? [] : [{ status, at: timestampFromMs(historyAt) }],
  });

describe('perMinute', () => {
  it('counts confirmed and failed orders in the minute they settled, every minute present', () => {
    const counts = perMinute(
      [
        order(OrderStatus.CONFIRMED, now - 5_000),
        order(OrderStatus.CONFIRMED, now - 15_000),
        order(OrderStatus.FAILED, now - 2 * minute),
        order(OrderStatus.PENDING, now - 1_000),
        order(OrderStatus.CONFIRMED, now - 11 * minute), // before the window
        // The history's time wins over a later update (the order was read again, say).
        order(OrderStatus.CONFIRMED, now, now - 3 * minute),
      ],
      10,
      now,
    );
    expect(counts).toHaveLength(10);
    expect(counts.at(-1)).toEqual({ minute: Date.UTC(2025, 0, 1, 12, 30), confirmed: 2, failed: 0 });
    expect(counts.at(-3)).toMatchObject({ confirmed: 0, failed: 1 });
    expect(counts.at(-4)).toMatchObject({ confirmed: 1, failed: 0 });
    expect(counts.reduce((n, c) => n + c.confirmed + c.failed, 0)).toBe(4);
    expect(counts[0]!.minute).toBe(Date.UTC(2025, 0, 1, 12, 21));
  });
});
