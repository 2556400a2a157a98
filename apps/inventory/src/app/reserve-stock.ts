import { notFound, unavailable } from '@order-system/errors';
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

/** How often an order is priced again when the catalog changes under it. */
const PRICING_ATTEMPTS = 5;

/**
 * Accepts an order: prices it from the catalog and reserves its stock, or
 * replays the order already accepted under the same order_id. It is priced
 * from a cached catalog; reserve_order checks each line under its locks, and a
 * stale one, or a request that does not price, has the catalog read afresh.
 */
export async function reserveStock(
  repo: InventoryRepository,
  cmd: PlaceOrder,
  ttlMs: number,
  now = new Date(),
): Promise<ReserveResult> {
  const ids = cmd.items.map((i) => i.productId).filter(Boolean);
  const skus = cmd.items.map((i) => i.sku).filter(Boolean);
  for (let attempt = 1; ; attempt++) {
    const fresh = attempt > 1;
    const catalog = await repo.findProducts(ids, skus, { fresh });
    let reservation: Reservation;
    try {
      reservation = newReservation(cmd, priceLines(cmd.items, catalog), now, ttlMs);
    } catch (err) {
      // An order accepted before replays as it was, whatever the catalog says now.
      const existing = await repo.findReservation(cmd.orderId);
      if (existing) return { reservation: replay(existing, cmd), created: false };
      if (fresh) throw err;
      continue;
    }
    const result = await repo.reserve(reservation, cmd.correlationId);
    switch (result.outcome) {
      case 'reserved':
        return { reservation, created: true };
      case 'stale':
        if (attempt < PRICING_ATTEMPTS) continue;
        throw unavailable(`the catalog changed while pricing order ${cmd.orderId} ${attempt} times; try again`);
      case 'short': {
        const line = reservation.lines.find((l) => l.productId === result.productId);
        throw insufficientStock(line ?? { productId: result.productId, sku: '?' }, result.requested, result.available);
      }
      case 'exists': {
        // Accepted before, or a concurrent duplicate won the race for this order_id: replay it.
        const winner = await repo.findReservation(cmd.orderId);
        if (!winner) throw notFound(`order ${cmd.orderId} vanished`);
        return { reservation: replay(winner, cmd), created: false };
      }
    }
  }
}
