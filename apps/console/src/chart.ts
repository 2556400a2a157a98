import { timestampDate } from '@bufbuild/protobuf/wkt';
import { OrderStatus, type Order } from '@order-system/proto/web';

export interface MinuteCount {
  /** The minute's start (ms since the epoch). */
  minute: number;
  confirmed: number;
  failed: number;
}

const MINUTE = 60_000;

/** When an order reached its terminal state: its history's last entry, else its last update. */
function settledAt(o: Order): number | undefined {
  const last = o.history.at(-1);
  const at = last && last.status === o.status && last.at ? last.at : o.updatedAt;
  return at ? timestampDate(at).getTime() : undefined;
}

/**
 * Confirmed and failed orders per minute over the last `minutes` minutes
 * (the current one included), oldest first; every minute is present, empty
 * ones as zeros.
 */
export function perMinute(orders: Order[], minutes: number, now: number): MinuteCount[] {
  const current = Math.floor(now / MINUTE) * MINUTE;
  const first = current - (minutes - 1) * MINUTE;
  const buckets = Array.from({ length: minutes }, (_, i) => ({ minute: first + i * MINUTE, confirmed: 0, failed: 0 }));
  for (const o of orders) {
    if (o.status !== OrderStatus.CONFIRMED && o.status !== OrderStatus.FAILED) continue;
    const at = settledAt(o);
    if (at === undefined || at < first || at >= current + MINUTE) continue;
    const bucket = buckets[Math.floor((at - first) / MINUTE)]!;
    if (o.status === OrderStatus.CONFIRMED) bucket.confirmed++;
    else bucket.failed++;
  }
  return buckets;
}
