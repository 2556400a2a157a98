import { sum, times, toDecimalString, type Money as ExactMoney } from '@order-system/money';
import { FailureReason, OrderStatus, type Money, type Order } from '@order-system/proto/web';
import { timestampDate } from '@bufbuild/protobuf/wkt';

/** The wire's Money (int64 units as bigint) as the money lib's. */
export const exact = (m: Money | undefined): ExactMoney => ({ currencyCode: m?.currencyCode ?? 'USD', units: Number(m?.units ?? 0n), nanos: m?.nanos ?? 0 });

/** "$1,299.99": the exact decimal, formatted for the reader's locale. */
export function formatMoney(m: Money | ExactMoney | undefined): string {
  const money = m && typeof m.units === 'bigint' ? exact(m as Money) : (m as ExactMoney | undefined);
  if (!money) return '';
  const decimal = toDecimalString(money);
  try {
    // A decimal string keeps every digit (Intl.NumberFormat v3).
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: money.currencyCode }).format(decimal as unknown as number);
  } catch {
    return `${decimal} ${money.currencyCode}`;
  }
}

/** A cart's total: the exact sum of price × quantity. */
export function total(lines: { price: ExactMoney; quantity: number }[]): ExactMoney {
  const currency = lines[0]?.price.currencyCode ?? 'USD';
  return sum(currency, lines.map((l) => times(l.price, l.quantity)));
}

export type StatusName = 'PENDING' | 'CONFIRMED' | 'FAILED' | 'UNKNOWN';

/** The status as the API names it, without its prefix: PENDING, CONFIRMED, FAILED. */
export function statusName(status: OrderStatus): StatusName {
  const name = OrderStatus[status];
  return name === 'PENDING' || name === 'CONFIRMED' || name === 'FAILED' ? name : 'UNKNOWN';
}

export const isTerminal = (o: Order) => o.status === OrderStatus.CONFIRMED || o.status === OrderStatus.FAILED;

const REASONS: Record<FailureReason, string> = {
  [FailureReason.UNSPECIFIED]: '',
  [FailureReason.PAYMENT_DECLINED]: 'Payment declined',
  [FailureReason.INSUFFICIENT_STOCK]: 'Not enough stock',
  [FailureReason.RESERVATION_EXPIRED]: 'Reservation expired',
};

/** Why an order failed, in words: "Payment declined: card declined". */
export function failureText(o: Order): string {
  if (o.status !== OrderStatus.FAILED) return '';
  const reason = REASONS[o.failureReason] || 'Failed';
  return o.failureMessage ? `${reason}: ${o.failureMessage}` : reason;
}

export const orderTime = (o: Order) => (o.createdAt ? timestampDate(o.createdAt) : undefined);

export const formatTime = (d: Date | undefined) => (d ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '');

/** A fresh order id (the idempotency key): readable, random, in the gateway's alphabet. Not crypto.randomUUID: that needs a secure context. */
export function newOrderId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `WEB-${Date.now().toString(36).toUpperCase()}-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
