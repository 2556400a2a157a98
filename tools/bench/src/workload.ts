import type { orders } from '@order-system/proto';

/**
 * The order mix: 1-3 lines of distinct regular products, about 10 % declined
 * by token (the rest left to PAYMENT_FAILURE_RATE), about 5 % with a line on a
 * small-stock product (insufficient stock once it runs out), and about 5 % of
 * requests re-sending an earlier order unchanged (a client retry).
 */
export const MIX = { declineRate: 0.1, scarceRate: 0.05, duplicateRate: 0.05, customers: 1000 } as const;

/** The user ids of the mix's customers. */
export const mixCustomers = () => Array.from({ length: MIX.customers }, (_, i) => `user_${i + 1}`);

export interface BenchProduct {
  productId: string;
  sku: string;
  name: string;
  price: { currencyCode: string; units: number; nanos: number };
  stock: number;
}

/** Product i (0 is the small-stock one) has a fixed id, so pgbench can name it too. */
export const productIdOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** Regular products have stock for any run; the scarce one runs out early. */
export const REGULAR_STOCK = 100_000_000;

export function benchProducts(count: number, scarceStock: number): { regular: BenchProduct[]; scarce: BenchProduct } {
  const product = (i: number, sku: string, stock: number): BenchProduct => ({
    productId: productIdOf(i),
    sku,
    name: `Bench product ${sku}`,
    price: { currencyCode: 'USD', units: 5 + (i % 95), nanos: 990_000_000 },
    stock,
  });
  return {
    regular: Array.from({ length: count }, (_, k) => product(k + 1, `BENCH-${String(k + 1).padStart(5, '0')}`, REGULAR_STOCK)),
    scarce: product(0, 'BENCH-SCARCE', scarceStock),
  };
}

/** mulberry32: a small seeded generator, so a run's mix can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface NextOrder {
  request: orders.v1.CreateOrderRequest;
  duplicate: boolean;
  /** Has a line on the small-stock product. */
  scarce: boolean;
}

export class OrderMix {
  private seq = 0;
  /** Recent new orders, for duplicates. */
  private readonly recent: NextOrder[] = [];
  private readonly random: () => number;

  constructor(
    private readonly runId: string,
    private readonly products: { regular: BenchProduct[]; scarce: BenchProduct },
    seed: number,
  ) {
    this.random = seededRandom(seed);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  next(): NextOrder {
    if (this.recent.length > 0 && this.random() < MIX.duplicateRate) {
      return { ...this.pick(this.recent), duplicate: true };
    }
    const { regular, scarce } = this.products;
    const lineCount = Math.min(1 + Math.floor(this.random() * 3), regular.length);
    const chosen = new Set<BenchProduct>();
    while (chosen.size < lineCount) chosen.add(this.pick(regular));
    const lines = [...chosen].map((p) => ({ product: p, quantity: 1 + Math.floor(this.random() * 3) }));
    const withScarce = this.random() < MIX.scarceRate;
    if (withScarce) lines[lines.length - 1] = { product: scarce, quantity: 1 + Math.floor(this.random() * 2) };
    const user = `user_${1 + Math.floor(this.random() * MIX.customers)}`;
    const order: NextOrder = {
      request: {
        orderId: `bench-${this.runId}-${++this.seq}`,
        customer: { userId: user, email: `${user}@example.com` },
        items: lines.map(({ product, quantity }) => ({
          productId: product.productId,
          sku: product.sku,
          quantity,
          expectedUnitPrice: product.price,
        })),
        paymentToken: this.random() < MIX.declineRate ? 'tok_chargeDeclined' : '',
      },
      duplicate: false,
      scarce: withScarce,
    };
    this.recent.push(order);
    if (this.recent.length > 1000) this.recent.shift();
    return order;
  }
}
