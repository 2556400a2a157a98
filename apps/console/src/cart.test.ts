import { create } from '@bufbuild/protobuf';
import { ProductSchema } from '@order-system/proto/web';
import { describe, expect, it } from 'vitest';
import { addToCart, removeFromCart, setQuantity, syncWithCatalog } from './cart.js';
import { total } from './format.js';

const laptop = create(ProductSchema, { productId: 'p1', sku: 'LAPTOP001', name: 'Laptop', price: { currencyCode: 'USD', units: 1299n, nanos: 990_000_000 }, available: 5n });
const mouse = create(ProductSchema, { productId: 'p2', sku: 'MOUSE001', name: 'Mouse', price: { currencyCode: 'USD', units: 49n, nanos: 990_000_000 }, available: 9n });

describe('the cart', () => {
  it('adds to a line, keeps quantities within 1-1000, and totals exactly', () => {
    let cart = addToCart([], laptop, 2);
    cart = addToCart(cart, laptop, 1);
    cart = addToCart(cart, mouse, 3);
    expect(cart.map((l) => [l.sku, l.quantity])).toEqual([['LAPTOP001', 3], ['MOUSE001', 3]]);
    expect(total(cart)).toEqual({ currencyCode: 'USD', units: 4049, nanos: 940_000_000 });
    expect(setQuantity(cart, 'p2', 5000)[1]!.quantity).toBe(1000);
    expect(setQuantity(cart, 'p2', 0)[1]!.quantity).toBe(1);
    expect(removeFromCart(cart, 'p1').map((l) => l.sku)).toEqual(['MOUSE001']);
  });

  it('follows a fresh catalog: new prices, products gone taken out, and says so', () => {
    const cart = addToCart(addToCart([], laptop, 1), mouse, 1);
    const cheaper = create(ProductSchema, { productId: 'p1', sku: 'LAPTOP001', name: 'Laptop', price: { currencyCode: 'USD', units: 999n }, available: 5n });
    const { cart: synced, changes } = syncWithCatalog(cart, [cheaper]);
    expect(synced).toEqual([{ productId: 'p1', sku: 'LAPTOP001', name: 'Laptop', price: { currencyCode: 'USD', units: 999, nanos: 0 }, quantity: 1 }]);
    expect(changes).toEqual(["LAPTOP001's price is updated", 'MOUSE001 is no longer sold and was taken out of your cart']);
  });
});
