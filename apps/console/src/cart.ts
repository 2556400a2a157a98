import { equals, type Money } from '@order-system/money';
import type { Product } from '@order-system/proto/web';
import { exact } from './format.js';

/** A cart line keeps the price the shopper saw: the order sends it, and the gateway refuses it if the catalog's differs. */
export interface CartLine {
  productId: string;
  sku: string;
  name: string;
  price: Money;
  quantity: number;
}

export const MAX_QUANTITY = 1000;

const clamp = (n: number) => Math.min(MAX_QUANTITY, Math.max(1, Math.trunc(n) || 1));

export function addToCart(cart: CartLine[], p: Product, quantity: number): CartLine[] {
  const existing = cart.find((l) => l.productId === p.productId);
  if (existing) return cart.map((l) => (l === existing ? { ...l, quantity: clamp(l.quantity + quantity) } : l));
  return [...cart, { productId: p.productId, sku: p.sku, name: p.name, price: exact(p.price), quantity: clamp(quantity) }];
}

export const setQuantity = (cart: CartLine[], productId: string, quantity: number) =>
  cart.map((l) => (l.productId === productId ? { ...l, quantity: clamp(quantity) } : l));

export const removeFromCart = (cart: CartLine[], productId: string) => cart.filter((l) => l.productId !== productId);

/**
 * The cart against a fresh catalog: lines whose product is gone are dropped,
 * prices are the catalog's. Says what changed, for the shopper.
 */
export function syncWithCatalog(cart: CartLine[], products: Product[]): { cart: CartLine[]; changes: string[] } {
  const byId = new Map(products.map((p) => [p.productId, p]));
  const changes: string[] = [];
  const synced: CartLine[] = [];
  for (const line of cart) {
    const p = byId.get(line.productId);
    if (!p) {
      changes.push(`${line.sku} is no longer sold and was taken out of your cart`);
      continue;
    }
    const price = exact(p.price);
    if (!equals(price, line.price)) changes.push(`${line.sku}'s price is updated`);
    synced.push({ ...line, sku: p.sku, name: p.name, price });
  }
  return { cart: synced, changes };
}

/** The cart is kept per user for as long as the tab (sessionStorage), so it survives a reload. */
const key = (userId: string) => `order-console.cart.${userId}`;

export function loadCart(userId: string): CartLine[] {
  try {
    const lines = JSON.parse(sessionStorage.getItem(key(userId)) ?? '[]') as unknown;
    return Array.isArray(lines) ? lines.filter(isLine) : [];
  } catch {
    return [];
  }
}

export function saveCart(userId: string, cart: CartLine[]) {
  if (cart.length === 0) sessionStorage.removeItem(key(userId));
  else sessionStorage.setItem(key(userId), JSON.stringify(cart));
}

function isLine(v: unknown): v is CartLine {
  const l = v as CartLine;
  return (
    typeof l?.productId === 'string' &&
    typeof l.sku === 'string' &&
    typeof l.name === 'string' &&
    typeof l.quantity === 'number' &&
    typeof l.price?.currencyCode === 'string' &&
    Number.isSafeInteger(l.price.units) &&
    Number.isInteger(l.price.nanos)
  );
}
