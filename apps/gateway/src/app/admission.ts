import { unavailable } from '@order-system/errors';

/**
 * At most `limit` orders being placed at once. Beyond that a CreateOrder is
 * refused at once, UNAVAILABLE, for the client to retry with backoff; its
 * order_id makes the retry safe. Without a limit an overload queues in the
 * gateway without bound (see docs/performance.md, Overload).
 */
export class Admission {
  private inFlight = 0;

  constructor(private readonly limit: number) {}

  async run<T>(placeOrder: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.limit) {
      throw unavailable(`the gateway is placing ${this.limit} orders already, its limit (MAX_ORDERS_IN_FLIGHT); retry with backoff`);
    }
    this.inFlight++;
    try {
      return await placeOrder();
    } finally {
      this.inFlight--;
    }
  }
}
