import { createHash } from 'node:crypto';
import { alreadyExists, failedPrecondition, invalid } from '@order-system/errors';
import { equals, sum, times, toDecimalString, type Money } from '@order-system/money';

export interface Product {
  productId: string;
  sku: string;
  name: string;
  price: Money;
  available: number;
}

export interface Customer {
  userId: string;
  email: string;
}

export interface ItemRequest {
  /** The product, named by id or sku (or both, if they agree). */
  productId: string;
  sku: string;
  quantity: number;
  expectedUnitPrice?: Money;
}

export interface PlaceOrder {
  orderId: string;
  customer: Customer;
  items: ItemRequest[];
  paymentToken: string;
  correlationId: string;
}

export interface OrderLine {
  productId: string;
  sku: string;
  name: string;
  unitPrice: Money;
  quantity: number;
}

export type ReservationStatus = 'RESERVED' | 'COMMITTED' | 'RELEASED';
export type FailureReason = 'PAYMENT_DECLINED' | 'INSUFFICIENT_STOCK' | 'RESERVATION_EXPIRED';

export interface Reservation {
  orderId: string;
  /** Hash of the request's content: a replay must match it. */
  fingerprint: string;
  status: ReservationStatus;
  customer: Customer;
  paymentToken: string;
  lines: OrderLine[];
  total: Money;
  paymentId?: string;
  failureReason?: FailureReason;
  failureMessage?: string;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
}

/** The content of an order request, independent of field order and encoding. */
export function fingerprint(cmd: PlaceOrder): string {
  const canonical = JSON.stringify([
    cmd.customer.userId,
    cmd.customer.email,
    cmd.paymentToken,
    cmd.items.map((i) => [i.productId, i.sku, i.quantity, i.expectedUnitPrice ?? null]),
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}

/** An order_id seen before: the same content replays it, other content conflicts. */
export function replay(existing: Reservation, cmd: PlaceOrder): Reservation {
  if (existing.fingerprint !== fingerprint(cmd)) {
    throw alreadyExists(`order ${cmd.orderId} already exists with different content`);
  }
  return existing;
}

/**
 * Prices each requested line from the catalog. Unknown products are invalid
 * input; a price the customer did not see is a failed precondition.
 */
export function priceLines(items: ItemRequest[], catalog: Product[]): OrderLine[] {
  const byId = new Map(catalog.map((p) => [p.productId, p]));
  const bySku = new Map(catalog.map((p) => [p.sku, p]));
  const seen = new Set<string>();
  return items.map((item, i) => {
    const product = item.productId ? byId.get(item.productId) : bySku.get(item.sku);
    const name = item.productId || item.sku;
    if (!product) throw invalid(`items[${i}]: product ${JSON.stringify(name)} does not exist`);
    if (item.productId && item.sku && product.sku !== item.sku) {
      throw invalid(`items[${i}]: product ${item.productId} has sku ${product.sku}, not ${JSON.stringify(item.sku)}`);
    }
    if (seen.has(product.productId)) throw invalid(`items[${i}]: product ${product.sku} appears in more than one line`);
    seen.add(product.productId);
    if (item.expectedUnitPrice && !equals(item.expectedUnitPrice, product.price)) {
      throw failedPrecondition(
        `items[${i}]: the price of ${product.sku} is ${toDecimalString(product.price)} ${product.price.currencyCode}, ` +
          `not ${toDecimalString(item.expectedUnitPrice)} ${item.expectedUnitPrice.currencyCode}`,
      );
    }
    return { productId: product.productId, sku: product.sku, name: product.name, unitPrice: product.price, quantity: item.quantity };
  });
}

export function newReservation(cmd: PlaceOrder, lines: OrderLine[], now: Date, ttlMs: number): Reservation {
  const currency = lines[0]?.unitPrice.currencyCode ?? 'USD';
  if (lines.some((l) => l.unitPrice.currencyCode !== currency)) {
    throw invalid('all items of an order must be priced in one currency');
  }
  return {
    orderId: cmd.orderId,
    fingerprint: fingerprint(cmd),
    status: 'RESERVED',
    customer: cmd.customer,
    paymentToken: cmd.paymentToken,
    lines,
    total: sum(currency, lines.map((l) => times(l.unitPrice, l.quantity))),
    createdAt: now,
    updatedAt: now,
    expiresAt: new Date(now.getTime() + ttlMs),
  };
}

export function insufficientStock(product: Pick<Product, 'productId' | 'sku'>, requested: number, available: number) {
  return failedPrecondition(
    `insufficient stock for product ${product.productId} (${product.sku}): requested ${requested}, available ${available}`,
  );
}
