import type { InventoryRepository } from '../domain/ports.js';
import { expire } from '../domain/settlement.js';

/** Releases the stock of reservations whose payment result is overdue; returns how many. */
export function expireReservations(repo: InventoryRepository, now = new Date(), batch = 100) {
  return repo.expireDue(now, batch, (r) => expire(r, now));
}
