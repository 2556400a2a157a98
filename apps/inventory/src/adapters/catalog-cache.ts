import type { Product } from '../domain/reservation.js';

/**
 * Products by id and by sku, as last read or written by this process, so an
 * order is usually priced without a catalog query. It may be out of date
 * (another instance changed a product): reserve_order checks every line
 * against the catalog under its locks, and a stale line makes the caller read
 * the products afresh. Holds at most `capacity` products, dropping the
 * longest-cached first.
 */
export class CatalogCache {
  private readonly byId = new Map<string, Product>();
  private readonly idBySku = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  /** Every product named, or undefined if one is not cached. */
  find(ids: string[], skus: string[]): Product[] | undefined {
    const found = new Map<string, Product>();
    for (const id of ids) {
      const p = this.byId.get(id);
      if (!p) return undefined;
      found.set(p.productId, p);
    }
    for (const sku of skus) {
      const p = this.byId.get(this.idBySku.get(sku) ?? '');
      if (!p) return undefined;
      found.set(p.productId, p);
    }
    return [...found.values()];
  }

  put(product: Product): void {
    const previous = this.byId.get(product.productId);
    if (previous && this.idBySku.get(previous.sku) === previous.productId) this.idBySku.delete(previous.sku);
    this.byId.delete(product.productId); // re-inserted last: the newest entry
    this.byId.set(product.productId, product);
    this.idBySku.set(product.sku, product.productId);
    for (const [id, oldest] of this.byId) {
      if (this.byId.size <= this.capacity) break;
      this.byId.delete(id);
      if (this.idBySku.get(oldest.sku) === id) this.idBySku.delete(oldest.sku);
    }
  }
}
