import { notFound } from '@order-system/errors';
import type { InventoryRepository } from '../domain/ports.js';
import {
  insufficientStock,
  newReservation,
  priceLines,
  replay,
  type PlaceOrder,
  type Reservation,
} from '../domain/reservation.js';

export interface ReserveResult {
  reservation: Reservation;
  /** False for an idempotent replay of an existing order. */
  created: boolean;
}

/**
 * Accepts an order: prices it from the catalog and reserves its stock, or
 * replays the order already accepted under the same order_id.
 */
export async function reserveStock(
  repo: InventoryRepository,
  cmd: PlaceOrder,
  ttlMs: number,
  now = new Date(),
): Promise<ReserveResult> {
  const existing = await repo.findReservation(cmd.orderId);
  if (existing) return { reservation: replay(existing, cmd), created: false };

  const catalog = await repo.findProducts(
    cmd.items.map((i) => i.productId).filter(Boolean),
    cmd.items.map((i) => i.sku).filter(Boolean),
  );
  const reservation = newReservation(cmd, priceLines(cmd.items, catalog), now, ttlMs);
  const result = await repo.reserve(reservation, cmd.correlationId);
  switch (result.outcome) {
    case 'reserved':
      return { reservation, created: true };
    case 'short': {
      const line = reservation.lines.find((l) => l.productId === result.productId);
      throw insufficientStock(line ?? { productId: result.productId, sku: '?' }, result.requested, result.available);
    }
    case 'exists': {
      // A concurrent duplicate won the race for this order_id: replay it.
      const winner = await repo.findReservation(cmd.orderId);
      if (!winner) throw notFound(`order ${cmd.orderId} vanished`);
      return { reservation: replay(winner, cmd), created: false };
    }
  }
}
