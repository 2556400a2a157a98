import type { Money } from '@order-system/money';
import type { Product, Reservation } from './reservation.js';
import type { Settlement, StockMove } from './settlement.js';

export type ReserveOutcome =
  | { outcome: 'reserved' }
  /** The order_id is taken (by this order or another). */
  | { outcome: 'exists' }
  /** A line's product is not as priced (its sku, name or price changed since); nothing was reserved. */
  | { outcome: 'stale' }
  /** Not enough stock of one product; nothing was reserved. */
  | { outcome: 'short'; productId: string; requested: number; available: number };

export interface ProductInput {
  productId: string;
  sku: string;
  name: string;
  price: Money;
  stock: number;
}

/** A payment result (one event) to settle an order's reservation by. */
export interface SettleRequest {
  eventId: string;
  orderId: string;
  correlationId: string;
  decide: (r: Reservation) => Settlement | undefined;
}

/** What settling did: its result and, when settled, the stock it moved. */
export interface SettleOutcome {
  result: 'settled' | 'unchanged' | 'duplicate';
  move?: StockMove;
  units: number;
}

export interface Page<T> {
  items: T[];
  nextPageToken: string;
}

export interface InventoryRepository {
  findReservation(orderId: string): Promise<Reservation | undefined>;
  /**
   * The products named by id or sku; from a cache unless `fresh`, or unless one
   * is missing from it. reserve() answers 'stale' when a cached one was out of date.
   */
  findProducts(ids: string[], skus: string[], opts?: { fresh?: boolean }): Promise<Product[]>;
  /**
   * Records the reservation and takes its stock, with its OrderPlaced event,
   * in one transaction; the order_id's uniqueness decides between racing duplicates.
   */
  reserve(reservation: Reservation, correlationId: string): Promise<ReserveOutcome>;
  /**
   * Applies each request's `decide` to its order's reservation, in turn, once
   * per event id, with its stock move and event: all in one transaction.
   * 'duplicate' for an event seen before. A request for an order with no
   * reservation is INVALID_ARGUMENT, and none is applied.
   */
  settle(requests: SettleRequest[]): Promise<SettleOutcome[]>;
  /** Settles up to `limit` expired reservations; returns how many, and the units released. */
  expireDue(now: Date, limit: number, decide: (r: Reservation) => Settlement | undefined): Promise<{ count: number; units: number }>;
  upsertProduct(input: ProductInput): Promise<Product>;
  getProduct(productId: string): Promise<Product | undefined>;
  listProducts(pageSize: number, pageToken: string): Promise<Page<Product>>;
}

