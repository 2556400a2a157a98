import { invalid, notFound } from '@order-system/errors';
import { bindService, type ServiceBinding } from '@order-system/grpc';
import { counter, type MetricsRegistry } from '@order-system/metrics';
import { inventory } from '@order-system/proto';
import { reserveStock } from '../app/reserve-stock.js';
import { upsertProduct } from '../app/upsert-product.js';
import type { InventoryRepository } from '../domain/ports.js';
import { productToWire, reservationToWire } from './wire.js';

const pageSize = (requested: number) => {
  if (requested < 0 || requested > 100) throw invalid('page_size must be between 0 and 100');
  return requested || 20;
};

export function inventoryGrpcService(repo: InventoryRepository, reservationTtlMs: number, metrics: MetricsRegistry): ServiceBinding {
  const reservedUnits = counter(metrics, { name: 'stock_reserved_units_total', help: 'Units of stock reserved by new orders.' });
  return bindService(inventory.v1.InventoryServiceService, {
    async reserveStock(req, ctx) {
      const order = req.order;
      if (!order) throw invalid('order is required');
      const { reservation, created } = await reserveStock(
        repo,
        {
          orderId: order.orderId,
          customer: { userId: order.customer?.userId ?? '', email: order.customer?.email ?? '' },
          items: order.items,
          paymentToken: order.paymentToken,
          correlationId: ctx.correlationId,
        },
        reservationTtlMs,
      );
      if (created) reservedUnits.inc(reservation.lines.reduce((units, line) => units + line.quantity, 0));
      return { order: reservationToWire(reservation), created };
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
