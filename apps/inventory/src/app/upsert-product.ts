import { randomUUID } from 'node:crypto';
import { invalid } from '@order-system/errors';
import { problemWith } from '@order-system/money';
import type { InventoryRepository, ProductInput } from '../domain/ports.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Creates or replaces a product; stock sets the units on sale now. */
export function upsertProduct(repo: InventoryRepository, input: ProductInput) {
  const problems = [
    input.productId && !UUID.test(input.productId) ? 'product_id must be a UUID' : '',
    /^[A-Za-z0-9._-]{1,64}$/.test(input.sku) ? '' : 'sku must be 1-64 characters of [A-Za-z0-9._-]',
    input.name.trim() && input.name.length <= 200 ? '' : 'name must be 1-200 characters',
    problemWith(input.price) ?? (input.price.units < 0 || input.price.nanos < 0 ? 'price must not be negative' : ''),
    Number.isSafeInteger(input.stock) && input.stock >= 0 ? '' : 'stock must be a non-negative integer',
  ].filter(Boolean);
  if (problems.length > 0) throw invalid(problems.join('; '));
  return repo.upsertProduct({ ...input, productId: input.productId || randomUUID() });
}
