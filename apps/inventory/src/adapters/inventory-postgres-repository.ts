import { alreadyExists } from '@order-system/errors';
import type pg from 'pg';
import type { InventoryRepository, Page, ProductInput, ReserveOutcome, SettleOutcome } from '../domain/ports.js';
import type { OrderLine, Product, Reservation } from '../domain/reservation.js';
import type { InventoryEvent, Settlement } from '../domain/settlement.js';
import { asUnavailable, inTransaction } from './postgres.js';
import { encodeEvent } from './event-encoding.js';

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

  async findProducts(ids: string[], skus: string[]): Promise<Product[]> {
    const uuids = ids.filter(isUuid);
    const { rows } = await this.pool
      .query<ProductRow>(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE product_id = ANY($1::uuid[]) OR sku = ANY($2)`, [
        uuids,
        skus,
      ])
      .catch(asUnavailable);
    return rows.map(toProduct);
  }

  /** One round trip: reserve_order (migration 003) decides and writes everything atomically. */
  async reserve(r: Reservation, correlationId: string): Promise<ReserveOutcome> {
    const event = encodeEvent({ type: 'OrderPlaced', reservation: r }, this.orderEventsTopic, correlationId);
    const { rows } = await this.pool
      .query<{ outcome: 'reserved' | 'exists' | 'short'; product_id: string; requested: string; available: string }>({
        name: 'reserve_order',
        text: 'SELECT * FROM reserve_order($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)',
        values: [
          r.orderId, r.fingerprint, r.customer.userId, r.customer.email, r.paymentToken, JSON.stringify(r.lines),
          r.total.currencyCode, r.total.units, r.total.nanos, r.createdAt, r.expiresAt,
          r.lines.map((l) => l.productId), r.lines.map((l) => l.quantity),
          event.topic, event.payload, JSON.stringify(event.headers),
        ],
      })
      .catch(asUnavailable);
    const row = rows[0]!;
    if (row.outcome === 'reserved') this.onOutboxWrite();
    return row.outcome === 'short'
      ? { outcome: 'short', productId: row.product_id, requested: Number(row.requested), available: Number(row.available) }
      : { outcome: row.outcome };
  }

  async settle(
    eventId: string,
    orderId: string,
    correlationId: string,
    decide: (r: Reservation) => Settlement | undefined,
  ): Promise<SettleOutcome> {
    const outcome = await inTransaction(this.pool, async (client): Promise<SettleOutcome> => {
      const fresh = await client.query(
        'INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING',
        [eventId],
      );
      if (fresh.rowCount === 0) return { result: 'duplicate', units: 0 };
      const { rows } = await client.query<ReservationRow>(
        'SELECT * FROM reservations WHERE order_id = $1 FOR UPDATE',
        [orderId],
      );
      if (!rows[0]) return { result: 'unknown_order', units: 0 };
      const reservation = toReservation(rows[0]);
      const settlement = decide(reservation);
      if (!settlement) return { result: 'unchanged', units: 0 };
      await applySettlement(client, this.orderEventsTopic, reservation, settlement, correlationId);
      return { result: 'settled', move: settlement.stock, units: unitsOf(reservation) };
    });
    if (outcome.result === 'settled') this.onOutboxWrite();
    return outcome;
  }

  async expireDue(now: Date, limit: number, decide: (r: Reservation) => Settlement | undefined) {
    const expired = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<ReservationRow>(
        `SELECT * FROM reservations WHERE status = 'RESERVED' AND expires_at <= $1
          ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      // All their product rows locked at once, in product_id order, before any is updated.
      await client.query('SELECT 1 FROM products WHERE product_id = ANY($1::uuid[]) ORDER BY product_id FOR UPDATE', [
        rows.flatMap((row) => row.lines.map((l) => l.productId)),
      ]);
      let count = 0;
      let units = 0;
      for (const row of rows) {
        const reservation = toReservation(row);
        const settlement = decide(reservation);
        if (!settlement) continue;
        await applySettlement(client, this.orderEventsTopic, reservation, settlement, `expiry:${row.order_id}`);
        count++;
        units += unitsOf(reservation);
      }
      return { count, units };
    });
    if (expired.count > 0) this.onOutboxWrite();
    return expired;
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
    return toProduct(rows[0]!);
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

async function applySettlement(client: pg.PoolClient, topic: string, r: Reservation, s: Settlement, correlationId: string) {
  await client.query(
    `UPDATE reservations SET status = $2, payment_id = $3, failure_reason = $4, failure_message = $5, updated_at = now()
      WHERE order_id = $1`,
    [r.orderId, s.status, s.paymentId ?? null, s.failureReason ?? null, s.failureMessage ?? null],
  );
  if (s.stock !== 'none') {
    const move =
      s.stock === 'sell'
        ? 'reserved = p.reserved - w.qty, sold = p.sold + w.qty'
        : 'reserved = p.reserved - w.qty, available = p.available + w.qty';
    // Product rows are locked in product_id order, as reserve_order does: no deadlocks between them.
    await client.query(
      `WITH locked AS (SELECT product_id FROM products WHERE product_id = ANY($1::uuid[]) ORDER BY product_id FOR UPDATE)
       UPDATE products p SET ${move}, updated_at = now()
         FROM unnest($1::uuid[], $2::bigint[]) AS w(id, qty)
        WHERE p.product_id = w.id AND p.product_id IN (SELECT product_id FROM locked)`,
      [r.lines.map((l) => l.productId), r.lines.map((l) => l.quantity)],
    );
  }
  await insertEvent(client, topic, s.event, correlationId);
}

/** The event into the outbox, in the caller's transaction; NOTIFY wakes the relay on commit. */
async function insertEvent(client: pg.PoolClient, topic: string, event: InventoryEvent, correlationId: string) {
  const e = encodeEvent(event, topic, correlationId);
  await client.query(
    'INSERT INTO outbox (topic, key, payload, headers) VALUES ($1, $2, $3, $4)',
    [e.topic, e.key, e.payload, JSON.stringify(e.headers)],
  );
  await client.query("SELECT pg_notify('outbox', '')");
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
