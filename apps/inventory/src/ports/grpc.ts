import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { invalid, notFound } from '@order-system/errors';
import { bindService, toLoggedWireError, type ServiceBinding } from '@order-system/grpc';
import { withCorrelation, type Logger } from '@order-system/logger';
import { counter, histogram, type MetricsRegistry } from '@order-system/metrics';
import { inventory, type orders } from '@order-system/proto';
import { reserveStock } from '../app/reserve-stock.js';
import { upsertProduct } from '../app/upsert-product.js';
import type { InventoryRepository } from '../domain/ports.js';
import { productToWire, reservationToWire } from './wire.js';

/** The most orders one message of a ReserveStockStream may carry. */
const MAX_MESSAGE_ORDERS = 1000;

/** The most orders of one ReserveStockStream being decided at once. */
const MAX_STREAM_IN_FLIGHT = 512;

const pageSize = (requested: number) => {
  if (requested < 0 || requested > 100) throw invalid('page_size must be between 0 and 100');
  return requested || 20;
};

export function inventoryGrpcService(
  repo: InventoryRepository,
  reservationTtlMs: number,
  metrics: MetricsRegistry,
  log: Logger,
): ServiceBinding {
  const reservedUnits = counter(metrics, { name: 'stock_reserved_units_total', help: 'Units of stock reserved by new orders.' });
  // The stream's orders have no call of their own to time.
  const decision = histogram(metrics, {
    name: 'inventory_reservation_duration_seconds',
    help: 'Time to decide an order (reserve its stock or refuse it), however it came.',
  });

  const reserve = async (order: orders.v1.CreateOrderRequest | undefined, correlationId: string) => {
    if (!order) throw invalid('order is required');
    const decided = decision.startTimer();
    const { reservation, created } = await reserveStock(
      repo,
      {
        orderId: order.orderId,
        customer: { userId: order.customer?.userId ?? '', email: order.customer?.email ?? '' },
        items: order.items,
        paymentToken: order.paymentToken,
        correlationId,
      },
      reservationTtlMs,
    ).finally(decided);
    if (created) reservedUnits.inc(reservation.lines.reduce((units, line) => units + line.quantity, 0));
    return { order: reservationToWire(reservation), created };
  };

  /** One order of a ReserveStockStream: its result, or the status ReserveStock would have failed with. */
  const reserveStreamed = ({ order, correlationId: given }: inventory.v1.StreamedOrder): Promise<inventory.v1.ReserveStockResult> => {
    const correlationId = given || randomUUID();
    return withCorrelation(correlationId, () =>
      reserve(order, correlationId).then(
        (reserved) => ({ reserved }),
        (err: unknown) => {
          const { code, message } = toLoggedWireError(err, log, { rpc: 'ReserveStockStream', orderId: order?.orderId }, 'streamed order failed');
          return { failed: { code, message } };
        },
      ),
    );
  };

  return bindService(inventory.v1.InventoryServiceService, {
    reserveStock: (req, ctx) => reserve(req.order, ctx.correlationId),

    // Each order is decided as soon as it arrives (the repository's group
    // commit takes the orders in flight together), and the orders decided at
    // once are answered in one message. With MAX_STREAM_IN_FLIGHT orders
    // undecided, it reads no further until some are: the caller's orders
    // wait in the caller, held back by HTTP/2 flow control. The stream ends
    // once the caller has ended its side and every order is answered.
    reserveStockStream(requests) {
      const responses = new PassThrough({ objectMode: true });
      let open = 1; // the requests, and every order not yet decided
      let decided: inventory.v1.StreamedResult[] = [];
      let resume: (() => void) | undefined;
      const flush = () => {
        responses.write({ results: decided });
        decided = [];
        if (open === 0) responses.end();
      };
      const settled = (result?: inventory.v1.StreamedResult) => {
        if (result && decided.push(result) === 1) setImmediate(flush);
        if (--open === 0 && decided.length === 0) responses.end();
        if (resume && open <= MAX_STREAM_IN_FLIGHT) resume();
      };
      void (async () => {
        for await (const { orders } of requests) {
          if (orders.length > MAX_MESSAGE_ORDERS) throw invalid(`orders: at most ${MAX_MESSAGE_ORDERS} in one message, got ${orders.length}`);
          for (const streamed of orders) {
            open++;
            void reserveStreamed(streamed).then((result) => settled({ id: streamed.id, result }));
          }
          if (open > MAX_STREAM_IN_FLIGHT) await new Promise<void>((r) => (resume = r));
          resume = undefined;
        }
        settled();
      })().catch((err: unknown) => responses.destroy(err as Error));
      return responses;
    },

    async getReservation(req) {
      const reservation = await repo.findReservation(req.orderId);
      if (!reservation) throw notFound(`order ${req.orderId} not found`);
      return { order: reservationToWire(reservation) };
    },

    async listProducts(req) {
      const page = await repo.listProducts(pageSize(req.pageSize), req.pageToken);
      return { products: page.items.map(productToWire), nextPageToken: page.nextPageToken };
    },

    async getProduct(req) {
      const product = await repo.getProduct(req.productId);
      if (!product) throw notFound(`product ${req.productId} not found`);
      return { product: productToWire(product) };
    },

    async upsertProduct(req) {
      if (!req.price) throw invalid('price is required');
      const product = await upsertProduct(repo, { ...req, price: req.price });
      return { product: productToWire(product) };
    },
  });
}
