import type { Db } from 'mongodb';
import type pg from 'pg';

/**
 * The business invariants across PostgreSQL (inventory) and MongoDB
 * (order-store), as `npm run reconcile` and the tests check them:
 * - stock is conserved per product: available + reserved + sold = received, nothing negative;
 * - reserved stock is exactly what RESERVED orders hold, sold exactly what COMMITTED orders took
 *   (no stock stuck, none sold twice);
 * - every stored order is in one state, agreeing with its reservation, its history ending in it,
 *   at most one terminal entry, confirmed orders with a payment id.
 * Orders whose reservation changed less than `graceMs` ago are in flight, not drift.
 */
export interface Report {
  drift: string[];
  inFlight: number;
  products: number;
  orders: { pending: number; confirmed: number; failed: number; stored: number };
}

const expected: Record<string, string> = { RESERVED: 'PENDING', COMMITTED: 'CONFIRMED', RELEASED: 'FAILED' };

export async function checkInvariants(db: pg.Pool | pg.Client, mongo: Db, graceMs = 10_000): Promise<Report> {
  const drift: string[] = [];
  const { rows: products } = await db.query<{ product_id: string; sku: string; available: string; reserved: string; sold: string; received: string; held: string; taken: string }>(`
    WITH lines AS (
      SELECT r.status, (l->>'productId')::uuid AS product_id, (l->>'quantity')::bigint AS quantity
        FROM reservations r CROSS JOIN LATERAL jsonb_array_elements(r.lines) AS l
    )
    SELECT p.product_id, p.sku, p.available, p.reserved, p.sold, p.received,
           coalesce((SELECT sum(quantity) FROM lines WHERE product_id = p.product_id AND status = 'RESERVED'), 0) AS held,
           coalesce((SELECT sum(quantity) FROM lines WHERE product_id = p.product_id AND status = 'COMMITTED'), 0) AS taken
      FROM products p`);
  for (const p of products) {
    const [available, reserved, sold, received, held, taken] = [p.available, p.reserved, p.sold, p.received, p.held, p.taken].map(Number) as [number, number, number, number, number, number];
    if (available < 0 || reserved < 0 || sold < 0) drift.push(`product ${p.sku}: negative stock (available ${available}, reserved ${reserved}, sold ${sold})`);
    if (available + reserved + sold !== received) drift.push(`product ${p.sku}: ${available} + ${reserved} + ${sold} != received ${received}`);
    if (reserved !== held) drift.push(`product ${p.sku}: reserved ${reserved}, but pending orders hold ${held}`);
    if (sold !== taken) drift.push(`product ${p.sku}: sold ${sold}, but confirmed orders took ${taken}`);
  }

  const { rows: reservations } = await db.query<{ order_id: string; status: string; payment_id: string | null; age_ms: number }>(
    'SELECT order_id, status, payment_id, extract(epoch FROM now() - updated_at) * 1000 AS age_ms FROM reservations',
  );
  const stored = new Map<string, { status: string; paymentId?: string; history?: { status: string }[] }>();
  for await (const doc of mongo.collection('orders').find({}, { projection: { status: 1, paymentId: 1, history: 1 } })) {
    stored.set(String(doc._id), doc as never);
  }
  let inFlight = 0;
  const counts = { pending: 0, confirmed: 0, failed: 0, stored: stored.size };
  for (const r of reservations) {
    const want = expected[r.status]!;
    counts[want.toLowerCase() as 'pending' | 'confirmed' | 'failed']++;
    const doc = stored.get(r.order_id);
    if (!doc || doc.status !== want) {
      if (Number(r.age_ms) < graceMs) inFlight++;
      else drift.push(`order ${r.order_id}: inventory says ${r.status}, order-store says ${doc?.status ?? 'nothing'}`);
      continue;
    }
    const history = (doc.history ?? []).map((h) => h.status);
    const terminal = history.filter((s) => s !== 'PENDING');
    if (history.at(-1) !== doc.status) drift.push(`order ${r.order_id}: history ends in ${history.at(-1)}, status is ${doc.status}`);
    if (terminal.length > 1) drift.push(`order ${r.order_id}: ${terminal.length} terminal states (${terminal.join(', ')})`);
    if (doc.status === 'CONFIRMED' && !doc.paymentId) drift.push(`order ${r.order_id}: confirmed without a payment id`);
  }
  const known = new Set(reservations.map((r) => r.order_id));
  for (const id of stored.keys()) if (!known.has(id)) drift.push(`order ${id}: stored in MongoDB, unknown to inventory`);
  return { drift, inFlight, products: products.length, orders: counts };
}
