import { GroupCommit } from '@order-system/batching';
import { alreadyExists, invalid, isAppError } from '@order-system/errors';
import type pg from 'pg';
import type { InventoryRepository, Page, ProductInput, ReserveOutcome, SettleOutcome, SettleRequest } from '../domain/ports.js';
import type { OrderLine, Product, Reservation } from '../domain/reservation.js';
import { afterSettlement, type Settlement } from '../domain/settlement.js';
import { asUnavailable, inTransaction } from './postgres.js';
import { CatalogCache } from './catalog-cache.js';
import { encodeEvent, type EncodedEvent } from './event-encoding.js';

const PRODUCT_COLUMNS = 'product_id, sku, name, currency_code, price_units, price_nanos, available';

interface ProductRow {
  product_id: string;
  sku: string;
  name: string;
  currency_code: string;
  price_units: string;
  price_nanos: number;
  available: string;
}

interface ReservationRow {
  order_id: string;
  fingerprint: string;
  status: Reservation['status'];
  customer_id: string;
  customer_email: string;
  payment_token: string;
  lines: OrderLine[];
  currency_code: string;
  total_units: string;
  total_nanos: number;
  payment_id: string | null;
  failure_reason: Reservation['failureReason'] | null;
  failure_message: string | null;
  created_at: Date;
  updated_at: Date;
  expires_at: Date;
}

/** A request's row in settle(): its order's reservation (all nulls if there is none), its event id if unseen. */
type SettlingRow = (ReservationRow | Record<keyof ReservationRow, null>) & { fresh_event_id: string | null };

const toProduct = (r: ProductRow): Product => ({
  productId: r.product_id,
  sku: r.sku,
  name: r.name,
  price: { currencyCode: r.currency_code, units: Number(r.price_units), nanos: r.price_nanos },
  available: Number(r.available),
});

const toReservation = (r: ReservationRow): Reservation => ({
  orderId: r.order_id,
  fingerprint: r.fingerprint,
  status: r.status,
  customer: { userId: r.customer_id, email: r.customer_email },
  paymentToken: r.payment_token,
  lines: r.lines,
  total: { currencyCode: r.currency_code, units: Number(r.total_units), nanos: r.total_nanos },
  paymentId: r.payment_id ?? undefined,
  failureReason: r.failure_reason ?? undefined,
  failureMessage: r.failure_message ?? undefined,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  expiresAt: r.expires_at,
});

export class InventoryPostgresRepository implements InventoryRepository {
  private readonly catalog = new CatalogCache(10_000);

  constructor(
    private readonly pool: pg.Pool,
    /** Where the order events go. */
    private readonly orderEventsTopic: string,
    /** Called after a commit that wrote to the outbox. */
    private readonly onOutboxWrite: () => void = () => {},
  ) {}

  async findReservation(orderId: string): Promise<Reservation | undefined> {
    const { rows } = await this.pool
      .query<ReservationRow>('SELECT * FROM reservations WHERE order_id = $1', [orderId])
      .catch(asUnavailable);
    return rows[0] && toReservation(rows[0]);
  }

  async findProducts(ids: string[], skus: string[], { fresh = false } = {}): Promise<Product[]> {
    const cached = fresh ? undefined : this.catalog.find(ids, skus);
    if (cached) return cached;
    const uuids = ids.filter(isUuid);
    const { rows } = await this.pool
      .query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE product_id = ANY($1::uuid[]) OR sku = ANY($2)`, [
        uuids,
        skus,
      ])
      .catch(asUnavailable);
    const products = rows.map(toProduct);
    for (const p of products) this.catalog.put(p);
    return products;
  }

  /**
   * Orders are reserved in groups: while one group is being committed, the
   * orders that arrive queue and go together in the next (reserve_orders,
   * migration 005), one round trip and one commit for all. A lone order goes
   * at once, through reserve_order (migrations 003, 004).
   */
  private readonly reservations = new GroupCommit<PendingReservation, ReserveOutcome>({
    many: (orders) => this.reserveMany(orders),
    one: (order) => this.reserveOne(order),
    shared: (err) => isAppError(err, 'unavailable'),
    maxBatch: 64,
  });

  reserve(reservation: Reservation, correlationId: string): Promise<ReserveOutcome> {
    const event = encodeEvent({ type: 'OrderPlaced', reservation }, this.orderEventsTopic, correlationId);
    return this.reservations.run({ reservation, event });
  }

  private async reserveOne({ reservation: r, event }: PendingReservation): Promise<ReserveOutcome> {
    const { rows } = await this.pool
      .query<ReserveRow>({
        name: 'reserve_order',
        text: 'SELECT * FROM reserve_order($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)',
        values: [
          ...reservationValues(r),
          r.lines.map((l) => l.productId), r.lines.map((l) => l.quantity),
          event.topic, event.payload, JSON.stringify(event.headers),
        ],
      })
      .catch(asUnavailable);
    const outcome = toReserveOutcome(rows[0]!);
    if (outcome.outcome === 'reserved') this.onOutboxWrite();
    return outcome;
  }

  private async reserveMany(orders: PendingReservation[]): Promise<ReserveOutcome[]> {
    const { rows } = await this.pool
      .query<ReserveRow & { ordinal: number }>({
        name: 'reserve_orders',
        text: 'SELECT * FROM reserve_orders($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)',
        values: [
          ...columns(orders.map(({ reservation }) => reservationValues(reservation))),
          this.orderEventsTopic,
          ...columns(orders.map(({ event }) => [event.payload, JSON.stringify(event.headers)])),
        ],
      })
      .catch(asUnavailable);
    const outcomes: ReserveOutcome[] = [];
    for (const row of rows) outcomes[row.ordinal - 1] = toReserveOutcome(row);
    if (outcomes.some((o) => o.outcome === 'reserved')) this.onOutboxWrite();
    return outcomes;
  }

  async settle(requests: SettleRequest[]): Promise<SettleOutcome[]> {
    const outcomes = await inTransaction(this.pool, async (client) => {
      // One statement, one row per request in order: its order's reservation,
      // locked in order_id order, and its event id if not processed before. The
      // insert reads `locked` to its end first, so the event ids go in only once
      // the reservations are locked (an ARRAY(SELECT … FROM fresh) column would
      // insert them before).
      const { rows } = await client.query<SettlingRow>({
        name: 'lock_settling',
        text: `WITH locked AS (
                 SELECT * FROM reservations WHERE order_id = ANY ($1::text[]) ORDER BY order_id FOR UPDATE
               ), fresh AS (
                 INSERT INTO processed_events (event_id)
                 SELECT unnest($2::text[]) FROM (SELECT count(*) FROM locked) AS all_locked
                 ON CONFLICT DO NOTHING RETURNING event_id
               )
               SELECT r.*, f.event_id AS fresh_event_id
                 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS q(order_id, event_id, n)
                 LEFT JOIN locked r ON r.order_id = q.order_id
                 LEFT JOIN fresh f ON f.event_id = q.event_id
                ORDER BY q.n`,
        values: [requests.map((r) => r.orderId), requests.map((r) => r.eventId)],
      });
      const current = new Map<string, Reservation>();
      for (const row of rows) if (row.order_id !== null) current.set(row.order_id, toReservation(row));
      const unknown = requests.find((r) => !current.has(r.orderId));
      if (unknown) throw invalid(`payment for unknown order ${unknown.orderId}`);
      const unseen = new Set(rows.flatMap((row) => row.fresh_event_id ?? []));
      // Decided in turn, each on the reservation as the results before it left it.
      const changes: Change[] = [];
      const settled = requests.map(({ eventId, orderId, correlationId, decide }): SettleOutcome => {
        if (!unseen.delete(eventId)) return { result: 'duplicate', units: 0 };
        const reservation = current.get(orderId)!;
        const settlement = decide(reservation);
        if (!settlement) return { result: 'unchanged', units: 0 };
        changes.push({ reservation, settlement, correlationId });
        current.set(orderId, afterSettlement(reservation, settlement, new Date()));
        return { result: 'settled', move: settlement.stock, units: unitsOf(reservation) };
      });
      await applySettlements(client, this.orderEventsTopic, changes);
      return settled;
    });
    if (outcomes.some((o) => o.result === 'settled')) this.onOutboxWrite();
    return outcomes;
  }

  async expireDue(now: Date, limit: number, decide: (r: Reservation) => Settlement | undefined) {
    const changes = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<ReservationRow>(
        `SELECT * FROM reservations WHERE status = 'RESERVED' AND expires_at <= $1
          ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      const expiring = rows.map(toReservation).flatMap((reservation): Change[] => {
        const settlement = decide(reservation);
        return settlement ? [{ reservation, settlement, correlationId: `expiry:${reservation.orderId}` }] : [];
      });
      await applySettlements(client, this.orderEventsTopic, expiring);
      return expiring;
    });
    if (changes.length > 0) this.onOutboxWrite();
    return { count: changes.length, units: changes.reduce((n, c) => n + unitsOf(c.reservation), 0) };
  }

  async upsertProduct(p: ProductInput): Promise<Product> {
    // stock sets what is on sale now; received moves with it so stock stays conserved.
    const { rows } = await this.pool
      .query<ProductRow>(
        `INSERT INTO products (product_id, sku, name, currency_code, price_units, price_nanos, available, received)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
         ON CONFLICT (product_id) DO UPDATE SET
           sku = EXCLUDED.sku, name = EXCLUDED.name, currency_code = EXCLUDED.currency_code,
           price_units = EXCLUDED.price_units, price_nanos = EXCLUDED.price_nanos,
           received = products.received + EXCLUDED.available - products.available,
           available = EXCLUDED.available, updated_at = now()
         RETURNING ${PRODUCT_COLUMNS}`,
        [p.productId, p.sku, p.name, p.price.currencyCode, p.price.units, p.price.nanos, p.stock],
      )
      .catch(uniqueSkuOrUnavailable);
    const product = toProduct(rows[0]!);
    this.catalog.put(product);
    return product;
  }

  async getProduct(productId: string): Promise<Product | undefined> {
    if (!isUuid(productId)) return undefined;
    const { rows } = await this.pool
      .query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE product_id = $1`, [productId])
      .catch(asUnavailable);
    return rows[0] && toProduct(rows[0]);
  }

  async listProducts(pageSize: number, pageToken: string): Promise<Page<Product>> {
    const after = pageToken ? Buffer.from(pageToken, 'base64url').toString() : '';
    const { rows } = await this.pool
      .query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE sku > $1 ORDER BY sku LIMIT $2`, [
        after,
        pageSize + 1,
      ])
      .catch(asUnavailable);
    const items = rows.slice(0, pageSize).map(toProduct);
    const last = items[items.length - 1];
    return {
      items,
      nextPageToken: rows.length > pageSize && last ? Buffer.from(last.sku).toString('base64url') : '',
    };
  }
}

/** An order to reserve, with its OrderPlaced event. */
interface PendingReservation {
  reservation: Reservation;
  event: EncodedEvent;
}

interface ReserveRow {
  outcome: 'reserved' | 'exists' | 'stale' | 'short';
  product_id: string;
  requested: string;
  available: string;
}

/** The reservation's own arguments of reserve_order, and (one array each) of reserve_orders. */
const reservationValues = (r: Reservation) => [
  r.orderId, r.fingerprint, r.customer.userId, r.customer.email, r.paymentToken, JSON.stringify(r.lines),
  r.total.currencyCode, r.total.units, r.total.nanos, r.createdAt, r.expiresAt,
];

const toReserveOutcome = (row: ReserveRow): ReserveOutcome =>
  row.outcome === 'short'
    ? { outcome: 'short', productId: row.product_id, requested: Number(row.requested), available: Number(row.available) }
    : { outcome: row.outcome };

/** A reservation's settlement, to apply. */
interface Change {
  reservation: Reservation;
  settlement: Settlement;
  correlationId: string;
}

/**
 * Applies settlements, in order, in one call to apply_settlements (migration
 * 006) whatever their number: each reservation's final state, the products'
 * summed stock moves and one outbox event per settlement. The caller holds the
 * reservations' locks; the products are locked there, at once and in
 * product_id order (as reserve_order does), and held only to the commit.
 */
async function applySettlements(client: pg.PoolClient, topic: string, changes: Change[]) {
  if (changes.length === 0) return;
  const final = new Map(changes.map(({ reservation: r, settlement: s }) => [r.orderId, s]));
  const moves = new Map<string, { reserved: number; sold: number; available: number }>();
  for (const { reservation, settlement } of changes) {
    if (settlement.stock === 'none') continue;
    for (const { productId, quantity } of reservation.lines) {
      const m = moves.get(productId) ?? { reserved: 0, sold: 0, available: 0 };
      m.reserved -= quantity;
      if (settlement.stock === 'sell') m.sold += quantity;
      else m.available += quantity;
      moves.set(productId, m);
    }
  }
  const encoded = changes.map((c) => encodeEvent(c.settlement.event, topic, c.correlationId));
  await client.query({
    name: 'apply_settlements',
    text: 'SELECT apply_settlements($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)',
    values: [
      ...columns([...final].map(([orderId, s]) => [orderId, s.status, s.paymentId ?? null, s.failureReason ?? null, s.failureMessage ?? null])),
      ...columns([...moves].map(([id, m]) => [id, m.reserved, m.sold, m.available]), 4),
      topic,
      ...columns(encoded.map((e) => [e.key, e.payload, JSON.stringify(e.headers)])),
    ],
  });
}

/** Rows to the column arrays unnest() takes back apart; `width` gives empty ones when there may be no rows. */
function columns(rows: unknown[][], width = rows[0]?.length ?? 0): unknown[][] {
  return Array.from({ length: width }, (_, i) => rows.map((row) => row[i]));
}

const unitsOf = (r: Reservation) => r.lines.reduce((n, l) => n + l.quantity, 0);

function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

function uniqueSkuOrUnavailable(err: unknown): never {
  const e = err as { code?: string; detail?: string };
  if (e.code === '23505') throw alreadyExists(`another product already has this sku (${e.detail ?? ''})`);
  return asUnavailable(err);
}
