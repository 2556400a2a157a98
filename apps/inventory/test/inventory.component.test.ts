import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { isAppError } from '@order-system/errors';
import { inventory, orders } from '@order-system/proto';
import { eventually } from '@order-system/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reserveStock } from '../src/app/reserve-stock.js';
import { settlePayments } from '../src/app/settle-payment.js';
import { startInventory, stockOf, type Inventory } from './harness.js';

let inv: Inventory;
beforeAll(async () => {
  inv = await startInventory({ RESERVATION_TTL_MS: '60000' });
});
afterAll(() => inv?.stop());

const usd = (units: number, nanos = 0) => ({ currencyCode: 'USD', units, nanos });

async function product(stock: number, price = usd(10)) {
  const sku = `SKU-${randomUUID().slice(0, 8)}`;
  const { product } = await inv.client.upsertProduct({ productId: '', sku, name: `Test ${sku}`, price, stock });
  return product!;
}

function order(items: { productId?: string; sku?: string; quantity: number; expectedUnitPrice?: ReturnType<typeof usd> }[], orderId = `ORD-${randomUUID()}`) {
  return {
    order: {
      orderId,
      customer: { userId: 'user_1', email: 'user1@example.com' },
      items: items.map((i) => ({ productId: i.productId ?? '', sku: i.sku ?? '', quantity: i.quantity, expectedUnitPrice: i.expectedUnitPrice })),
      paymentToken: '',
    },
  };
}

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err as Error & { kind?: string };
  }
  throw new Error('expected the call to fail');
}

describe('inventory service', () => {
  it('seeds the default catalog with the original example product', async () => {
    const { product } = await inv.client.getProduct({ productId: '65d7f44c-5620-48e4-ac6d-f615de1c67d8' });
    expect(product).toMatchObject({ sku: 'LAPTOP001', name: 'Laptop', price: usd(1299, 990_000_000) });
    expect(product!.available).toBeGreaterThan(0);
    const page = await inv.client.listProducts({ pageSize: 2, pageToken: '' });
    expect(page.products).toHaveLength(2);
    expect(page.nextPageToken).not.toBe('');
  });

  it('reserves stock, prices from the catalog and publishes OrderPlaced', async () => {
    const p = await product(5, usd(19, 990_000_000));
    const req = order([{ sku: p.sku, quantity: 2 }]);
    const { order: placed, created } = await inv.client.reserveStock(req);
    expect(created).toBe(true);
    expect(placed).toMatchObject({
      orderId: req.order.orderId,
      status: orders.v1.OrderStatus.ORDER_STATUS_PENDING,
      total: usd(39, 980_000_000),
      items: [{ productId: p.productId, sku: p.sku, unitPrice: p.price, quantity: 2, lineTotal: usd(39, 980_000_000) }],
    });
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 3, reserved: 2, sold: 0 });
    const event = await eventually(() => inv.published.find((e) => e.orderId === req.order.orderId), { what: 'OrderPlaced' });
    expect(event.orderPlaced).toMatchObject({ total: usd(39, 980_000_000), customer: req.order.customer });
  });

  it('replays a duplicate, rejects different content under the same order_id', async () => {
    const p = await product(5);
    const req = order([{ productId: p.productId, quantity: 1 }]);
    await inv.client.reserveStock(req);
    const again = await inv.client.reserveStock(req);
    expect(again.created).toBe(false);
    expect(again.order?.orderId).toBe(req.order.orderId);
    const changed = { order: { ...req.order, items: [{ ...req.order.items[0]!, quantity: 2 }] } };
    const err = await failure(inv.client.reserveStock(changed));
    expect(isAppError(err, 'already_exists')).toBe(true);
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 4, reserved: 1 });
  });

  it('takes stock once for 20 concurrent identical requests', async () => {
    const p = await product(100);
    const req = order([{ productId: p.productId, quantity: 3 }]);
    const results = await Promise.all(Array.from({ length: 20 }, () => inv.client.reserveStock(req)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.order?.orderId))).toEqual(new Set([req.order.orderId]));
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 97, reserved: 3 });
  });

  it('never oversells: 50 concurrent orders for 10 units reserve exactly 10', async () => {
    const p = await product(10);
    const settled = await Promise.allSettled(
      Array.from({ length: 50 }, () => inv.client.reserveStock(order([{ productId: p.productId, quantity: 1 }]))),
    );
    const ok = settled.filter((s) => s.status === 'fulfilled');
    const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(ok).toHaveLength(10);
    expect(rejected.every((r) => isAppError(r.reason, 'failed_precondition'))).toBe(true);
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 0, reserved: 10 });
  });

  it('rejects insufficient stock naming the product and what is available, reserving nothing', async () => {
    const a = await product(10);
    const b = await product(1);
    const req = order([{ productId: a.productId, quantity: 2 }, { productId: b.productId, quantity: 2 }]);
    const err = await failure(inv.client.reserveStock(req));
    expect(isAppError(err, 'failed_precondition')).toBe(true);
    expect(err.message).toContain(`insufficient stock for product ${b.productId} (${b.sku}): requested 2, available 1`);
    expect(await stockOf(inv.db, a.productId)).toMatchObject({ available: 10, reserved: 0 });
    expect(await inv.repo.findReservation(req.order.orderId)).toBeUndefined();
  });

  it('rejects nonexistent products and unseen prices, reserving nothing', async () => {
    const p = await product(10, usd(5));
    const missing = randomUUID();
    const err = await failure(inv.client.reserveStock(order([{ productId: missing, quantity: 1 }])));
    expect(isAppError(err, 'invalid')).toBe(true);
    expect(err.message).toContain(`product "${missing}" does not exist`);
    const priced = await failure(inv.client.reserveStock(order([{ productId: p.productId, quantity: 1, expectedUnitPrice: usd(4, 990_000_000) }])));
    expect(isAppError(priced, 'failed_precondition')).toBe(true);
    expect(priced.message).toContain(`items[0]: the price of ${p.sku} is 5.00 USD, not 4.99 USD`);
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 10, reserved: 0 });
  });

  it('prices from its cached catalog only while it is current: a product changed by another instance is read afresh', async () => {
    const p = await product(10, usd(10));
    const first = await inv.client.reserveStock(order([{ productId: p.productId, quantity: 1 }])); // cached now
    expect(first.order!.total).toEqual(usd(10));
    const elsewhere = (units: number, name: string) =>
      inv.db.query('UPDATE products SET price_units = $2, name = $3 WHERE product_id = $1', [p.productId, units, name]);

    await elsewhere(12, 'Renamed elsewhere');
    const repriced = await inv.client.reserveStock(order([{ productId: p.productId, quantity: 1 }]));
    expect(repriced.order!.total).toEqual(usd(12));
    expect(repriced.order!.items[0]).toMatchObject({ name: 'Renamed elsewhere', unitPrice: usd(12) });

    await elsewhere(13, 'Renamed again');
    const seen = await inv.client.reserveStock(order([{ sku: p.sku, quantity: 2, expectedUnitPrice: usd(13) }]));
    expect(seen.order!.total).toEqual(usd(26));
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 6, reserved: 4 });
  });

  it('sells on approval and releases on decline, once per event, publishing the outcome', async () => {
    const p = await product(10);
    const sold = order([{ productId: p.productId, quantity: 2 }]);
    sold.order.paymentToken = 'tok_visa';
    const declined = order([{ productId: p.productId, quantity: 3 }]);
    await inv.client.reserveStock(sold);
    const tokenOf = async (orderId: string) => (await inv.db.query('SELECT payment_token FROM reservations WHERE order_id = $1', [orderId])).rows[0].payment_token;
    expect(await tokenOf(sold.order.orderId)).toBe('tok_visa'); // until the payment result is recorded
    await inv.client.reserveStock(declined);
    const eventId = await inv.pay(sold.order.orderId, true);
    await inv.pay(sold.order.orderId, true, eventId); // redelivery
    await inv.pay(declined.order.orderId, false);
    await inv.pay(declined.order.orderId, true); // a late, contradicting result changes nothing
    await eventually(async () => (await stockOf(inv.db, p.productId)).reserved === 0, { what: 'settlement' });
    await eventually(() => inv.published.some((e) => e.orderId === declined.order.orderId && e.orderFailed), { what: 'OrderFailed' });
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 8, reserved: 0, sold: 2 });
    const confirmed = inv.published.filter((e) => e.orderId === sold.order.orderId && e.orderConfirmed);
    expect(confirmed).toHaveLength(1);
    expect(confirmed[0]!.orderConfirmed!.paymentId).toBe(`pay-${sold.order.orderId}`);
    const failed = inv.published.filter((e) => e.orderId === declined.order.orderId && e.orderFailed);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.orderFailed!.reason).toBe(orders.v1.FailureReason.FAILURE_REASON_PAYMENT_DECLINED);
    const { order: after } = await inv.client.getReservation({ orderId: declined.order.orderId });
    expect(after?.status).toBe(orders.v1.OrderStatus.ORDER_STATUS_FAILED);
    const metrics = await inv.metrics.metrics();
    expect(metrics).toMatch(/^stock_released_units_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^stock_reserved_units_total [1-9]\d*$/m);
    expect(await tokenOf(sold.order.orderId)).toBe(''); // cleared with the result
    expect((await inv.client.reserveStock(sold)).created).toBe(false); // and the order still replays
  });

  it('runs as a role that is no superuser and may not change the schema', async () => {
    const { rows } = await inv.db.query(
      "SELECT u.usename, u.usesuper FROM pg_stat_activity a JOIN pg_user u ON u.usesysid = a.usesysid WHERE a.datname = current_database() AND a.application_name = 'inventory'",
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.usename === inv.config.postgresUser && r.usesuper === false)).toBe(true);
    const runtime = new pg.Client({ host: inv.config.postgresHost, port: inv.config.postgresPort, user: inv.config.postgresUser, password: inv.config.postgresPassword, database: inv.config.postgresDb });
    await runtime.connect();
    try {
      for (const ddl of ['CREATE TABLE intruder (x int)', 'DROP TABLE reservations', 'ALTER TABLE products DROP CONSTRAINT stock_conserved', 'TRUNCATE outbox']) {
        await expect(runtime.query(ddl), ddl).rejects.toThrow(/permission denied|must be owner/);
      }
      await runtime.query('SELECT count(*) FROM products'); // its DML is granted
    } finally {
      await runtime.end();
    }
  });

  it('settles a batch of payment results in one transaction as if one at a time, and none of a batch naming an unknown order', async () => {
    const [a, b] = [await product(100), await product(100)];
    const ids = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        // Two-line orders naming the products in both orders: the batch locks them in one order.
        const lines = i % 2 ? [{ productId: a.productId, quantity: 1 }, { productId: b.productId, quantity: 2 }] : [{ productId: b.productId, quantity: 2 }, { productId: a.productId, quantity: 1 }];
        const req = order(lines);
        await inv.client.reserveStock(req);
        return req.order.orderId;
      }),
    );
    const result = (orderId: string, approved: boolean, eventId = randomUUID()) => ({
      eventId,
      correlationId: `c-${orderId}`,
      payment: { orderId, paymentId: `pay-${orderId}`, approved, declineMessage: approved ? '' : 'declined in test' },
    });
    const unknown = await failure(settlePayments(inv.repo, [result(ids[0]!, true), result('ORD-never-reserved', true)]));
    expect(isAppError(unknown, 'invalid')).toBe(true);
    expect(unknown.message).toContain('ORD-never-reserved');
    expect(await stockOf(inv.db, a.productId)).toMatchObject({ reserved: 20, sold: 0 });

    // Orders 0-9 approved, 10-19 declined; two batches at once, over the same products, in opposite orders.
    const first = ids.slice(0, 10).map((id) => result(id, true));
    const second = ids.slice(10).reverse().map((id) => result(id, false));
    const [one, two] = await Promise.all([
      settlePayments(inv.repo, [...first, first[0]!, result(ids[0]!, false)]), // a redelivery, then a contradicting result
      settlePayments(inv.repo, second),
    ]);
    expect(one.map((o) => o.result)).toEqual([...Array(10).fill('settled'), 'duplicate', 'unchanged']);
    expect(two.map((o) => [o.result, o.move])).toEqual(Array(10).fill(['settled', 'release']));
    expect(await stockOf(inv.db, a.productId)).toMatchObject({ available: 90, reserved: 0, sold: 10 });
    expect(await stockOf(inv.db, b.productId)).toMatchObject({ available: 80, reserved: 0, sold: 20 });
    await eventually(() => ids.every((id) => inv.published.some((e) => e.orderId === id && (e.orderConfirmed || e.orderFailed))), { what: 'an outcome per order' });
    expect(inv.published.filter((e) => ids.includes(e.orderId) && (e.orderConfirmed || e.orderFailed))).toHaveLength(20);
  });

  it('records a payment result\'s event id only under its reservation\'s lock, as it decides on it', async () => {
    const p = await product(5);
    const req = order([{ productId: p.productId, quantity: 1 }]);
    await inv.client.reserveStock(req);
    const { orderId } = req.order;
    const eventId = randomUUID();
    const [holder, probe] = [await inv.db.connect(), await inv.db.connect()];
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM reservations WHERE order_id = $1 FOR UPDATE', [orderId]);
      const settling = settlePayments(inv.repo, [
        { eventId, correlationId: `c-${orderId}`, payment: { orderId, paymentId: `pay-${orderId}`, approved: true, declineMessage: '' } },
      ]);
      await eventually(
        async () => (await probe.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows.length > 0,
        { what: 'settling waiting for the reservation lock' },
      );
      // Had settling recorded the event id before taking the lock, this insert would wait for it, and time out.
      await probe.query('BEGIN');
      await probe.query(`SET LOCAL lock_timeout = '2s'`);
      expect((await probe.query('INSERT INTO processed_events (event_id) VALUES ($1)', [eventId])).rowCount).toBe(1);
      await probe.query('ROLLBACK');
      await holder.query('COMMIT');
      expect(await settling).toEqual([{ result: 'settled', move: 'sell', units: 1 }]);
    } finally {
      await probe.query('ROLLBACK');
      await holder.query('ROLLBACK');
      probe.release();
      holder.release();
    }
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 4, reserved: 0, sold: 1 });
  });

  it('answers UNAVAILABLE while PostgreSQL is down, with nothing half-done, and recovers', async () => {
    const p = await product(10);
    inv.proxy.cut();
    try {
      const err = await failure(inv.client.reserveStock(order([{ productId: p.productId, quantity: 1 }])));
      expect(isAppError(err, 'unavailable')).toBe(true);
      expect(err.message).toContain('PostgreSQL is unavailable');
    } finally {
      inv.proxy.restore();
    }
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 10, reserved: 0 });
    const later = await eventually(() => inv.client.reserveStock(order([{ productId: p.productId, quantity: 1 }])).catch(() => undefined), {
      what: 'recovery',
    });
    expect(later.created).toBe(true);
  });

  it('upserts products: generated id, replaced fields, stock conserved', async () => {
    const p = await product(7, usd(3));
    expect(p.productId).toMatch(/^[0-9a-f-]{36}$/);
    await inv.client.reserveStock(order([{ productId: p.productId, quantity: 2 }]));
    const { product: replaced } = await inv.client.upsertProduct({ productId: p.productId, sku: p.sku, name: 'Renamed', price: usd(4), stock: 20 });
    expect(replaced).toMatchObject({ name: 'Renamed', price: usd(4), available: 20 });
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 20, reserved: 2, received: 22 });
    const bad = await failure(inv.client.upsertProduct({ productId: 'nope', sku: '', name: '', price: usd(-1), stock: -1 }));
    expect(isAppError(bad, 'invalid')).toBe(true);
    expect(bad.message).toContain('product_id must be a UUID');
    expect(bad.message).toContain('stock must be a non-negative integer');
  });
});

describe('group commit of reservations', () => {
  /**
   * Places orders at once, straight through the use case with a cached catalog:
   * they reach the repository in one synchronous run and go out as one batch.
   */
  const placeAtOnce = (reqs: ReturnType<typeof order>[]) =>
    Promise.allSettled(
      reqs.map((r) => reserveStock(inv.repo, { ...r.order, correlationId: `c-${r.order.orderId}` }, inv.config.reservationTtlMs)),
    );

  /** The transaction (xmin) that committed each order's reservation. */
  async function committedIn(reqs: ReturnType<typeof order>[]) {
    const { rows } = await inv.db.query<{ order_id: string; tx: string }>(
      'SELECT order_id, xmin::text AS tx FROM reservations WHERE order_id = ANY($1)',
      [reqs.map((r) => r.order.orderId)],
    );
    return reqs.map((r) => rows.find((row) => row.order_id === r.order.orderId)?.tx);
  }

  const value = <T>(s: PromiseSettledResult<T>) => (s.status === 'fulfilled' ? s.value : undefined);
  const reason = (s: PromiseSettledResult<unknown>) => (s.status === 'rejected' ? (s.reason as Error) : undefined);
  const created = (s: PromiseSettledResult<{ created: boolean }>) => value(s)?.created === true;

  it('commits concurrent orders together: 50 orders for 10 units reserve exactly 10, in one commit', async () => {
    const p = await product(10);
    const reqs = Array.from({ length: 50 }, () => order([{ productId: p.productId, quantity: 1 }]));
    const settled = await placeAtOnce(reqs);
    expect(settled.filter(created)).toHaveLength(10);
    const rejected = settled.map(reason).filter((err) => err !== undefined);
    expect(rejected).toHaveLength(40);
    expect(rejected.every((err) => isAppError(err, 'failed_precondition') && err.message.includes('insufficient stock'))).toBe(true);
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 0, reserved: 10 });
    // Each answer is its own order's: the orders told 'reserved' are those with a reservation.
    const txs = await committedIn(reqs);
    expect(txs.map(Boolean)).toEqual(settled.map(created));
    expect(new Set(txs.filter(Boolean)).size).toBe(1);
    const placed = () => inv.published.filter((e) => e.orderPlaced && reqs.some((r) => r.order.orderId === e.orderId));
    await eventually(() => placed().length >= 10, { what: 'OrderPlaced for each reserved order' });
    expect(placed()).toHaveLength(10);
  });

  it('ReserveStockStream decides each order as ReserveStock would alone, answers each by its id, and ends after the caller', async () => {
    const p = await product(10);
    const scarce = await product(1);
    const missing = randomUUID();
    const placed = order([{ productId: p.productId, quantity: 2 }]);
    const sent = [
      placed,
      order([{ productId: scarce.productId, quantity: 2 }]),
      order([{ productId: missing, quantity: 1 }]),
      placed,
      { order: undefined },
    ].map((r, i) => ({ id: 100 + i, order: r.order, correlationId: `stream-${i}` }));
    const results: inventory.v1.StreamedResult[] = [];
    const messages = [{ orders: sent.slice(0, 3) }, { orders: sent.slice(3) }];
    for await (const response of inv.client.reserveStockStream(messages)) results.push(...response.results);

    expect(results.map((r) => r.id).sort()).toEqual([100, 101, 102, 103, 104]);
    const answer = (id: number) => results.find((r) => r.id === id)!.result!;
    expect(answer(100).reserved).toMatchObject({ created: true, order: { orderId: placed.order.orderId } });
    expect(answer(101).failed?.code).toBe(status.FAILED_PRECONDITION);
    expect(answer(101).failed?.message).toContain(`insufficient stock for product ${scarce.productId} (${scarce.sku}): requested 2, available 1`);
    expect(answer(102).failed).toMatchObject({ code: status.INVALID_ARGUMENT, message: expect.stringContaining(`product "${missing}" does not exist`) });
    expect(answer(103).reserved).toEqual({ created: false, order: answer(100).reserved!.order });
    expect(answer(104).failed).toEqual({ code: status.INVALID_ARGUMENT, message: 'order is required' });

    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 8, reserved: 2 });
    expect(await stockOf(inv.db, scarce.productId)).toMatchObject({ available: 1, reserved: 0 });
    const placedEvent = () => inv.published.filter((e) => e.orderPlaced && e.orderId === placed.order.orderId);
    await eventually(() => placedEvent().length > 0, { what: 'OrderPlaced' });
    expect(placedEvent()).toHaveLength(1);
    expect(inv.correlationOf.get(placedEvent()[0]!.eventId)).toBe('stream-0');

    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ id: i, order: order([{ productId: p.productId, quantity: 1 }]).order, correlationId: '' }));
    const refused = await failure((async () => {
      for await (const response of inv.client.reserveStockStream([{ orders: tooMany }])) void response;
    })());
    expect(isAppError(refused, 'invalid') && refused.message).toBe('orders: at most 1000 in one message, got 1001');
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 8, reserved: 2 });
  });

  it('replays an order_id repeated within one batch: one reservation and event, the repeat replays it', async () => {
    const p = await product(10);
    const [lead, dup, after] = [1, 2, 3].map(() => order([{ productId: p.productId, quantity: 2 }]));
    const changed = { order: { ...dup!.order, items: [{ ...dup!.order.items[0]!, quantity: 3 }] } };
    const [, first, again, conflict] = (await placeAtOnce([lead!, dup!, dup!, changed, after!])).map((s) => ({ ok: value(s), err: reason(s) }));
    expect(first!.ok?.created).toBe(true);
    expect(again!.ok?.created).toBe(false);
    expect(again!.ok?.reservation).toEqual(first!.ok?.reservation);
    expect(isAppError(conflict!.err, 'already_exists')).toBe(true);
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 4, reserved: 6 });
    const placed = (id: string) => inv.published.filter((e) => e.orderPlaced && e.orderId === id);
    await eventually(() => placed(dup!.order.orderId).length > 0 && placed(after!.order.orderId).length > 0, { what: 'OrderPlaced' });
    expect(placed(dup!.order.orderId)).toHaveLength(1);
    // The repeats did not fail the batch: the order after them committed with the first.
    const [, dupTx, afterTx] = await committedIn([lead!, dup!, after!]);
    expect(afterTx).toBe(dupTx);
  });

  it('decides a short order within a batch alone: the orders around it reserve, on stock as each left it', async () => {
    const a = await product(3);
    const b = await product(5);
    const lead = order([{ productId: b.productId, quantity: 1 }]);
    const before = order([{ productId: a.productId, quantity: 1 }]);
    const short = order([{ productId: b.productId, quantity: 1 }, { productId: a.productId, quantity: 5 }]);
    const next = order([{ productId: a.productId, quantity: 1 }]);
    const settled = await placeAtOnce([lead, before, short, next]);
    expect(settled.map(created)).toEqual([true, true, false, true]);
    const err = reason(settled[2]!);
    expect(isAppError(err, 'failed_precondition')).toBe(true);
    expect(err!.message).toContain(`insufficient stock for product ${a.productId} (${a.sku}): requested 5, available 2`);
    expect(await inv.repo.findReservation(short.order.orderId)).toBeUndefined();
    expect(await stockOf(inv.db, a.productId)).toMatchObject({ available: 1, reserved: 2 });
    expect(await stockOf(inv.db, b.productId)).toMatchObject({ available: 4, reserved: 1 });
    const [, beforeTx, , nextTx] = await committedIn([lead, before, short, next]);
    expect(nextTx).toBe(beforeTx);
  });

  it('prices again an order found stale within a batch and accepts it, the others committed without waiting for it', async () => {
    const a = await product(10, usd(10));
    const b = await product(10, usd(10));
    await inv.db.query('UPDATE products SET price_units = 12 WHERE product_id = $1', [b.productId]); // by another instance
    const [lead, first, stale, last] = [a, a, b, a].map((p) => order([{ productId: p.productId, quantity: 1 }]));
    const settled = await placeAtOnce([lead!, first!, stale!, last!]);
    expect(settled.map(created)).toEqual([true, true, true, true]);
    expect(settled.map((s) => value(s)?.reservation.total)).toEqual([usd(10), usd(10), usd(12), usd(10)]);
    expect(await stockOf(inv.db, a.productId)).toMatchObject({ available: 7, reserved: 3 });
    expect(await stockOf(inv.db, b.productId)).toMatchObject({ available: 9, reserved: 1 });
    const [, firstTx, staleTx, lastTx] = await committedIn([lead!, first!, stale!, last!]);
    expect(lastTx).toBe(firstTx);
    expect(staleTx).not.toBe(firstTx);
  });

  it('locks all of a batch\'s products first, in product_id order, as reserve_order and settling do', async () => {
    const [low, high] = [await product(5), await product(5)].sort((x, y) => (x.productId < y.productId ? -1 : 1));
    const lead = order([{ productId: (await product(5)).productId, quantity: 1 }]);
    const holder = await inv.db.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM products WHERE product_id = $1 FOR UPDATE', [low!.productId]);
      // The batch names high before low: it must wait for low without having taken high.
      const placing = placeAtOnce([lead, order([{ productId: high!.productId, quantity: 1 }]), order([{ productId: low!.productId, quantity: 1 }])]);
      await eventually(
        async () => (await inv.db.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows.length > 0,
        { what: 'the batch waiting for a product lock' },
      );
      await inv.db.query('SELECT 1 FROM products WHERE product_id = $1 FOR UPDATE NOWAIT', [high!.productId]);
      await holder.query('COMMIT');
      expect((await placing).map(created)).toEqual([true, true, true]);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  });

  it('reserves the others of a batch that one order fails, trying them one at a time', async () => {
    const p = await product(10);
    const [lead, first, bad, last] = [1, 2, 3, 4].map(() => order([{ productId: p.productId, quantity: 1 }]));
    bad!.order.customer = { userId: 'user_1', email: 'nul\u0000@example.com' }; // PostgreSQL text cannot hold NUL
    const settled = await placeAtOnce([lead!, first!, bad!, last!]);
    expect(settled.map(created)).toEqual([true, true, false, true]);
    expect(reason(settled[2]!)).toMatchObject({ code: '22021' });
    expect(await stockOf(inv.db, p.productId)).toMatchObject({ available: 7, reserved: 3 });
  });
});

describe('reservation expiry', () => {
  let short: Inventory;
  beforeAll(async () => {
    short = await startInventory({ RESERVATION_TTL_MS: '1000' });
  });
  afterAll(() => short?.stop());

  it('releases stock when no payment result arrives in time, and refunds a late approval', async () => {
    const { product: p } = await short.client.upsertProduct({ productId: '', sku: `EXP-${randomUUID().slice(0, 8)}`, name: 'Expiring', price: usd(1), stock: 5 });
    const req = order([{ productId: p!.productId, quantity: 2 }]);
    await short.client.reserveStock(req);
    const failed = await eventually(() => short.published.find((e) => e.orderId === req.order.orderId && e.orderFailed), {
      what: 'expiry',
    });
    expect(failed.orderFailed!.reason).toBe(orders.v1.FailureReason.FAILURE_REASON_RESERVATION_EXPIRED);
    const late = await short.pay(req.order.orderId, true);
    await short.pay(req.order.orderId, true, late); // redelivered: refunded once
    const refund = await eventually(() => short.published.find((e) => e.orderId === req.order.orderId && e.refundRequested), {
      what: 'refund',
    });
    expect(refund.refundRequested).toMatchObject({ paymentId: `pay-${req.order.orderId}`, amount: usd(2) });
    await new Promise((r) => setTimeout(r, 500));
    expect(short.published.filter((e) => e.orderId === req.order.orderId && e.refundRequested)).toHaveLength(1);
    expect(short.published.filter((e) => e.orderId === req.order.orderId && e.orderConfirmed)).toHaveLength(0);
    expect(await stockOf(short.db, p!.productId)).toMatchObject({ available: 5, reserved: 0, sold: 0 });
    const { order: after } = await short.client.getReservation({ orderId: req.order.orderId });
    expect(after).toMatchObject({ status: orders.v1.OrderStatus.ORDER_STATUS_FAILED, failureReason: orders.v1.FailureReason.FAILURE_REASON_RESERVATION_EXPIRED });
  });
});
