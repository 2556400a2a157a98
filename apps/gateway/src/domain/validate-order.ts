import { invalid } from '@order-system/errors';
import { problemWith, type Money } from '@order-system/money';

/** The shape of a CreateOrder request, as any transport decodes it. */
export interface OrderRequest {
  orderId: string;
  customer?: { userId: string; email: string };
  items: { productId: string; sku: string; quantity: number; expectedUnitPrice?: Money }[];
  paymentToken: string;
}

export const ORDER_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const EMAIL = /^[^\s@\p{C}]{1,64}@[^\s@\p{C}]+\.[^\s@\p{C}]{2,}$/u;
const PRINTABLE = /^[^\p{C}]+$/u;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_LINES = 100;
export const MAX_QUANTITY = 1000;

/** U+FFFD is what a decoder puts where the bytes were not UTF-8. */
const NOT_UTF8 = '\uFFFD';

/** Every problem with the request, each naming its field; empty when it is valid. */
export function orderProblems(req: OrderRequest): string[] {
  const problems: string[] = [];
  const texts: [string, string][] = [
    ['customer.user_id', req.customer?.userId ?? ''],
    ['customer.email', req.customer?.email ?? ''],
    ['payment_token', req.paymentToken],
    ...req.items.slice(0, MAX_LINES).flatMap((item, i): [string, string][] => [[`items[${i}].sku`, item.sku], [`items[${i}].product_id`, item.productId]]),
  ];
  for (const [field, text] of texts) if (text.includes(NOT_UTF8)) problems.push(`${field} is not valid UTF-8`);
  if (!ORDER_ID.test(req.orderId)) problems.push('order_id must be 1-64 characters of [A-Za-z0-9._:-]');
  if (!req.customer) problems.push('customer is required');
  else {
    const { userId, email } = req.customer;
    if (!userId || userId.length > 128 || !PRINTABLE.test(userId)) {
      problems.push('customer.user_id must be 1-128 printable characters');
    }
    if (email.length > 254 || !EMAIL.test(email)) problems.push('customer.email must be a valid e-mail address');
  }
  if (req.items.length === 0) problems.push('items must not be empty');
  if (req.items.length > MAX_LINES) problems.push(`items must have at most ${MAX_LINES} lines`);
  const seen = new Set<string>();
  req.items.slice(0, MAX_LINES).forEach((item, i) => {
    const at = `items[${i}]`;
    if (!item.productId && !item.sku) problems.push(`${at} must name a product_id or a sku`);
    if (item.productId && !UUID.test(item.productId)) {
      problems.push(`${at}.product_id must be a UUID, got ${JSON.stringify(item.productId.slice(0, 80))}`);
    }
    if (item.sku && (item.sku.length > 64 || !PRINTABLE.test(item.sku))) problems.push(`${at}.sku must be 1-64 printable characters`);
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY) {
      problems.push(`${at}.quantity must be an integer from 1 to ${MAX_QUANTITY}`);
    }
    const price = item.expectedUnitPrice && problemWith(item.expectedUnitPrice);
    if (price) problems.push(`${at}.expected_unit_price: ${price}`);
    for (const key of [item.productId && `id:${item.productId.toLowerCase()}`, item.sku && `sku:${item.sku}`]) {
      if (!key) continue;
      if (seen.has(key)) problems.push(`${at} repeats product ${key.slice(key.indexOf(':') + 1)}: use one line per product`);
      seen.add(key);
    }
  });
  if (req.paymentToken.length > 128) problems.push('payment_token must be at most 128 characters');
  return problems;
}

export function validateOrder(req: OrderRequest): void {
  const problems = orderProblems(req);
  if (problems.length > 0) throw invalid(problems.join('; '));
}
