import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { ORDERS_ADMIN } from '@order-system/auth';
import { isAppError } from '@order-system/errors';
import { orders } from '@order-system/proto';
import { eventually } from '@order-system/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type System } from './system.js';

const { OrderStatus, FailureReason } = orders.v1;
const LAPTOP = '65d7f44c-5620-48e4-ac6d-f615de1c67d8';
const usd = (units: number, nanos = 0) => ({ currencyCode: 'USD', units, nanos });

let sys: System;
beforeAll(async () => {
  sys = await startSystem({ env: { PAYMENT_FAILURE_RATE: '0.2' } });
}, 120_000);
afterAll(() => sys?.stop());

// After every scenario: stock conserved, one terminal state per order, PostgreSQL and MongoDB agree.
afterEach(async () => {
  const report = await sys.quietInvariants();
  expect(report.drift).toEqual([]);
});

async function product(stock: number, price = usd(25)) {
  const sku = `E2E-${randomUUID().slice(0, 8)}`;
  const { product } = await sys.catalogAdmin.upsertProduct({ productId: '', sku, name: `Product ${sku}`, price, stock });
  return product!;
}

async function stockOf(productId: string) {
  const { rows } = await sys.pg.query('SELECT available, reserved, sold, received FROM products WHERE product_id = $1', [productId]);
  const s = Object.fromEntries(Object.entries(rows[0]).map(([k, v]) => [k, Number(v)])) as Record<'available' | 'reserved' | 'sold' | 'received', number>;
  expect(s.available + s.reserved + s.sold).toBe(s.received);
  expect(s.available).toBeGreaterThanOrEqual(0);
  return s;
}

const request = (items: orders.v1.CreateOrderItem[], paymentToken = 'tok_visa', orderId = `ORD-${randomUUID()}`): orders.v1.CreateOrderRequest => ({
  orderId,
  customer: { userId: 'user_e2e', email: 'e2e@example.com' },
  items,
  paymentToken,
});
const line = (productId: string, quantity = 1): orders.v1.CreateOrderItem => ({ productId, sku: '', quantity, expectedUnitPrice: undefined });

/** The order once it reached `status`, read through the gateway, and once order-store has caught up with it. */
async function settled(orderId: string, status: orders.v1.OrderStatus) {
  const storedAs = OrderStatus[status].replace('ORDER_STATUS_', '');
  return eventually(
    async () => {
      const { order } = await sys.orders.getOrder({ orderId });
      if (order?.status !== status || order.history.length < 2) return undefined;
      return (await sys.mongo.collection('orders').findOne({ _id: orderId as never, status: storedAs })) ? order : undefined;
    },
    { timeoutMs: 30_000, what: `order ${orderId} to be ${OrderStatus[status]}` },
  );
}

/** The token a call goes with: its order's customer's when it places one, an orders:admin reader's otherwise. */
const authorizationFor = (body: unknown) => {
  const b = body as { customer?: { userId?: string; user_id?: string } } | undefined;
  const customer = b?.customer?.userId ?? b?.customer?.user_id;
  return customer ? sys.auth.bearer(customer) : sys.auth.bearer('e2e-reader', [ORDERS_ADMIN]);
};

async function connect(method: string, body: unknown) {
  const res = await fetch(`${sys.http}/orders.v1.OrderService/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: await authorizationFor(body) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function rest(method: string, url: string, body?: unknown) {
  const authorization = await authorizationFor(body);
  const res = await fetch(`${sys.http}${url}`, {
    method,
    headers: body === undefined ? { authorization } : { 'content-type': 'application/json', authorization },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

/** Nothing was stored or reserved for the order, and no event made it to MongoDB. */
async function nothingStored(orderId: string) {
  await new Promise((r) => setTimeout(r, 300));
  const { rowCount } = await sys.pg.query('SELECT 1 FROM reservations WHERE order_id = $1', [orderId]);
  expect(rowCount).toBe(0);
  expect(await sys.mongo.collection('orders').countDocuments({ _id: orderId as never })).toBe(0);
  const { rows } = await sys.pg.query("SELECT count(*)::int AS n FROM outbox WHERE key = $1", [orderId]);
  expect(rows[0].n).toBe(0);
}

describe('the running system', () => {
  it('serves health and reflection on every service', async () => {
    for (const name of sys.names) expect(await sys.grpcHealth(name)).toBe('SERVING');
    const buf = path.resolve(import.meta.dirname, '../../../node_modules/.bin/buf');
    const { stdout } = await promisify(execFile)(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--list-services', `http://${sys.gatewayAddr}`]);
    expect(stdout.trim().split('\n').sort()).toEqual(['catalog.v1.CatalogService', 'grpc.health.v1.Health', 'orders.v1.OrderService']);
    for (const name of sys.names) expect((await fetch(`${sys.admin(name)}/healthz`)).status).toBe(200);
    const ready = await fetch(`${sys.admin('gateway')}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toMatchObject({ status: 200, body: { checks: { inventory: 'SERVING', 'order-store': 'SERVING' } } });
  });

  it('lists the catalog, with the original example product', async () => {
    const { product } = await sys.catalog.getProduct({ productId: LAPTOP });
    expect(product).toMatchObject({ sku: 'LAPTOP001', name: 'Laptop', price: usd(1299, 990_000_000) });
    const { products } = await sys.catalog.listProducts({ pageSize: 100, pageToken: '' });
    expect(products.map((p) => p.sku)).toContain('LAPTOP001');
  });
});

describe('happy path', () => {
  it('over gRPC: PENDING at once, then paid, taken out of inventory and CONFIRMED in MongoDB with its history', async () => {
    const p = await product(10, usd(25));
    const req = request([line(p.productId, 3)]);
    const { order } = await sys.orders.createOrder(req);
    expect(order).toMatchObject({ orderId: req.orderId, status: OrderStatus.ORDER_STATUS_PENDING, total: usd(75) });
    const seen: orders.v1.OrderStatus[] = [];
    for await (const { order: o } of sys.orders.watchOrder({ orderId: req.orderId })) seen.push(o!.status);
    // The current state first (PENDING, unless payment already finished), then each change, ending at the terminal one.
    expect([[OrderStatus.ORDER_STATUS_PENDING, OrderStatus.ORDER_STATUS_CONFIRMED], [OrderStatus.ORDER_STATUS_CONFIRMED]]).toContainEqual(seen);
    const done = await settled(req.orderId, OrderStatus.ORDER_STATUS_CONFIRMED);
    expect(done.paymentId).toMatch(/^pay_/);
    expect(done.history.map((h) => h.status)).toEqual([OrderStatus.ORDER_STATUS_PENDING, OrderStatus.ORDER_STATUS_CONFIRMED]);
    expect(await stockOf(p.productId)).toMatchObject({ available: 7, reserved: 0, sold: 3 });
    // order-store catches up with inventory a moment later, if not already.
    const doc = await eventually(() => sys.mongo.collection('orders').findOne({ _id: req.orderId as never, status: 'CONFIRMED' }), {
      what: 'the order CONFIRMED in MongoDB',
    });
    expect(doc).toMatchObject({ total: usd(75), history: [{ status: 'PENDING' }, { status: 'CONFIRMED' }] });
  });

  it('over Connect JSON, naming products by sku', async () => {
    const p = await product(5, usd(9, 500_000_000));
    const orderId = `ORD-${randomUUID()}`;
    const res = await connect('CreateOrder', {
      orderId,
      customer: { userId: 'u-connect', email: 'connect@example.com' },
      items: [{ sku: p.sku, quantity: 2, expectedUnitPrice: { currencyCode: 'USD', units: '9', nanos: 500000000 } }],
      paymentToken: 'tok_visa',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ order: { orderId, status: 'ORDER_STATUS_PENDING', total: { currencyCode: 'USD', units: '19' } } });
    await settled(orderId, OrderStatus.ORDER_STATUS_CONFIRMED);
    const got = await connect('GetOrder', { orderId });
    expect(got.body).toMatchObject({ order: { status: 'ORDER_STATUS_CONFIRMED' } });
  });

  it('over REST with the original body: 202, then 200 with the same order on replay', async () => {
    const body = {
      order_id: 'ORD-TEST-005',
      customer: { user_id: 'user_002', email: 'test2@gmail.com' },
      items: [{ product_id: LAPTOP, sku: 'LAPTOP001', name: 'Laptop', price: 1299.99, quantity: 1 }],
    };
    const first = await rest('POST', '/orders', body);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ order_id: 'ORD-TEST-005', status: 'ORDER_STATUS_PENDING', total: { currency_code: 'USD', units: '1299', nanos: 990000000 } });
    const again = await rest('POST', '/orders', body);
    expect(again.status).toBe(200);
    expect(again.body.order_id).toBe('ORD-TEST-005');
    const final = await eventually(async () => {
      const r = await rest('GET', '/orders/ORD-TEST-005');
      return r.body.status !== 'ORDER_STATUS_PENDING' && r.body.history?.length > 1 ? r : undefined;
    });
    expect(final.status).toBe(200);
    expect(['ORDER_STATUS_CONFIRMED', 'ORDER_STATUS_FAILED']).toContain(final.body.status);
    // ListOrders reads order-store, which trails inventory's view (GetOrder falls back to it; a list cannot).
    const list = await eventually(async () => {
      const r = await rest('GET', '/orders?customer_user_id=user_002');
      return r.body.orders?.length > 0 ? r : undefined;
    }, { what: 'the order listed' });
    expect(list.body.orders.map((o: { order_id: string }) => o.order_id)).toEqual(['ORD-TEST-005']);
  });
});

describe('invalid data: INVALID_ARGUMENT naming the field, nothing stored, no event', () => {
  const cases: [string, (r: orders.v1.CreateOrderRequest) => void, string][] = [
    ['missing order_id', (r) => (r.orderId = ''), 'order_id'],
    ['malformed order_id', (r) => (r.orderId = 'bad id!'), 'order_id'],
    ['malformed email', (r) => (r.customer!.email = 'nope'), 'customer.email'],
    ['no items', (r) => (r.items = []), 'items must not be empty'],
    ['quantity 0', (r) => (r.items[0]!.quantity = 0), 'items[0].quantity'],
    ['quantity 1001', (r) => (r.items[0]!.quantity = 1001), 'items[0].quantity'],
    ['repeated product lines', (r) => r.items.push({ ...r.items[0]! }), 'items[1] repeats product'],
  ];
  it.each(cases)('over gRPC: %s', async (_name, mutate, field) => {
    const p = await product(5);
    const req = request([line(p.productId)]);
    mutate(req);
    const err = await failure(sys.orders.createOrder(req));
    expect(isAppError(err, 'invalid')).toBe(true);
    expect(err.message).toContain(field);
    if (req.orderId && /^[\w.:-]+$/.test(req.orderId)) await nothingStored(req.orderId);
    expect(await stockOf(p.productId)).toMatchObject({ available: 5, reserved: 0 });
  });

  it('over Connect JSON, including wrong JSON types', async () => {
    const bad = await connect('CreateOrder', { orderId: 'ORD-X', customer: { userId: 'u', email: 'x' }, items: [] });
    expect(bad).toMatchObject({ status: 400, body: { code: 'invalid_argument' } });
    expect(String(bad.body.message)).toContain('customer.email');
    const wrongType = await connect('CreateOrder', { orderId: 'ORD-Y', items: [{ quantity: 'two' }] });
    expect(wrongType).toMatchObject({ status: 400, body: { code: 'invalid_argument' } });
    await nothingStored('ORD-X');
    await nothingStored('ORD-Y');
  });

  it('over REST, including wrong JSON types and broken JSON', async () => {
    const base = () => ({ order_id: `ORD-${randomUUID()}`, customer: { user_id: 'u', email: 'u@example.com' }, items: [{ product_id: LAPTOP, quantity: 1 }] });
    const quantityAsString = { ...base(), items: [{ product_id: LAPTOP, quantity: '1' }] };
    expect(await rest('POST', '/orders', quantityAsString)).toMatchObject({ status: 400, body: { code: 'invalid_argument', message: 'items[0].quantity must be an integer' } });
    expect(await rest('POST', '/orders', { ...base(), customer: 'me' })).toMatchObject({ status: 400, body: { message: 'customer must be an object' } });
    expect(await rest('POST', '/orders', '{"order_id": ')).toMatchObject({ status: 400, body: { code: 'invalid_argument' } });
    expect(await rest('POST', '/orders', { ...base(), order_id: '' })).toMatchObject({ status: 400, body: { message: expect.stringContaining('order_id') } });
    expect((await rest('POST', '/orders', { ...base(), pad: 'x'.repeat(2 * 1024 * 1024) })).status).toBe(413);
    await nothingStored(quantityAsString.order_id);
  });
});

describe('catalog and stock rules', () => {
  it('rejects a nonexistent product naming it, reserving nothing', async () => {
    const missing = randomUUID();
    const req = request([line(missing)]);
    const err = await failure(sys.orders.createOrder(req));
    expect(isAppError(err, 'invalid')).toBe(true);
    expect(err.message).toContain(missing);
    await nothingStored(req.orderId);
    const bySku = await rest('POST', '/orders', { order_id: `ORD-${randomUUID()}`, customer: { user_id: 'u', email: 'u@example.com' }, items: [{ sku: 'NO-SUCH-SKU', quantity: 1 }] });
    expect(bySku).toMatchObject({ status: 400, body: { message: expect.stringContaining('NO-SUCH-SKU') } });
  });

  it('rejects insufficient stock naming the product and what is available, reserving nothing', async () => {
    const p = await product(2);
    const req = request([line(p.productId, 3)]);
    const err = await failure(sys.orders.createOrder(req));
    expect(isAppError(err, 'failed_precondition')).toBe(true);
    expect(err.message).toContain(`insufficient stock for product ${p.productId} (${p.sku}): requested 3, available 2`);
    await nothingStored(req.orderId);
    expect(await stockOf(p.productId)).toMatchObject({ available: 2, reserved: 0 });
    const r = await rest('POST', '/orders', { order_id: `ORD-${randomUUID()}`, customer: { user_id: 'u', email: 'u@example.com' }, items: [{ product_id: p.productId, quantity: 3 }] });
    expect(r).toMatchObject({ status: 409, body: { code: 'failed_precondition' } });
  });

  it('rejects a price the customer did not see, naming the item', async () => {
    const p = await product(5, usd(10));
    const req = request([{ ...line(p.productId), expectedUnitPrice: usd(9, 990_000_000) }]);
    const err = await failure(sys.orders.createOrder(req));
    expect(isAppError(err, 'failed_precondition')).toBe(true);
    expect(err.message).toContain(`items[0]: the price of ${p.sku} is 10.00 USD, not 9.99 USD`);
    await nothingStored(req.orderId);
  });

  it('never oversells: 50 concurrent orders for 10 units, payments approved → 10 confirmed, 0 available', async () => {
    const p = await product(10);
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => sys.orders.createOrder(request([line(p.productId)]))));
    const accepted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.order!.orderId] : []));
    expect(accepted).toHaveLength(10);
    for (const r of results) if (r.status === 'rejected') expect(isAppError(r.reason, 'failed_precondition')).toBe(true);
    await Promise.all(accepted.map((id) => settled(id, OrderStatus.ORDER_STATUS_CONFIRMED)));
    expect(await stockOf(p.productId)).toMatchObject({ available: 0, reserved: 0, sold: 10 });
  });
});

describe('payment', () => {
  it('a decline fails the order with PAYMENT_DECLINED and puts the stock back on sale', async () => {
    const p = await product(4);
    const req = request([line(p.productId, 4)], 'tok_chargeDeclined');
    await sys.orders.createOrder(req);
    const order = await settled(req.orderId, OrderStatus.ORDER_STATUS_FAILED);
    expect(order.failureReason).toBe(FailureReason.FAILURE_REASON_PAYMENT_DECLINED);
    expect(order.failureMessage).toContain('declined');
    expect(await stockOf(p.productId)).toMatchObject({ available: 4, reserved: 0, sold: 0 });
  });

  it('without a test token, declines about PAYMENT_FAILURE_RATE of orders, each reaching one terminal state', async () => {
    const p = await product(1000, usd(1));
    const ids = await Promise.all(Array.from({ length: 40 }, async () => (await sys.orders.createOrder(request([line(p.productId)], ''))).order!.orderId));
    const final = await eventually(async () => {
      const { rows } = await sys.pg.query("SELECT status FROM reservations WHERE order_id = ANY($1) AND status <> 'RESERVED'", [ids]);
      return rows.length === ids.length ? rows : undefined;
    }, { timeoutMs: 30_000, what: 'all payments' });
    const failed = final.filter((r) => r.status === 'RELEASED').length;
    expect(failed).toBeGreaterThan(0);
    expect(failed).toBeLessThan(ids.length / 2);
    expect(await stockOf(p.productId)).toMatchObject({ reserved: 0, sold: ids.length - failed, available: 1000 - (ids.length - failed) });
  });
});

describe('duplicates', () => {
  it('20 concurrent identical CreateOrder calls make one order, one reservation, one payment', async () => {
    const p = await product(100);
    const req = request([line(p.productId, 2)]);
    const results = await Promise.all(Array.from({ length: 20 }, () => sys.orders.createOrder(req)));
    expect(new Set(results.map((r) => r.order!.orderId))).toEqual(new Set([req.orderId]));
    await settled(req.orderId, OrderStatus.ORDER_STATUS_CONFIRMED);
    expect(await stockOf(p.productId)).toMatchObject({ available: 98, sold: 2, reserved: 0 });
    expect(await sys.mongo.collection('orders').countDocuments({ _id: req.orderId as never })).toBe(1);
    const replay = await sys.orders.createOrder(req);
    expect(replay.order).toMatchObject({ status: OrderStatus.ORDER_STATUS_CONFIRMED });
  });

  it('the same order_id with different content is ALREADY_EXISTS', async () => {
    const p = await product(10);
    const req = request([line(p.productId, 1)]);
    await sys.orders.createOrder(req);
    const err = await failure(sys.orders.createOrder({ ...req, items: [line(p.productId, 2)] }));
    expect(isAppError(err, 'already_exists')).toBe(true);
    const r = await rest('POST', '/orders', { order_id: req.orderId, customer: { user_id: 'someone', email: 'else@example.com' }, items: [{ product_id: p.productId, quantity: 1 }] });
    expect(r).toMatchObject({ status: 409, body: { code: 'already_exists' } });
  });
});

describe('servers down', () => {
  it('PostgreSQL down → UNAVAILABLE and nothing half-done; back up → orders flow again', async () => {
    const p = await product(10);
    const req = request([line(p.productId)]);
    sys.pgProxy.cut();
    try {
      const err = await failure(sys.orders.createOrder(req));
      expect(isAppError(err, 'unavailable')).toBe(true);
      const r = await rest('POST', '/orders', { order_id: `ORD-${randomUUID()}`, customer: { user_id: 'u', email: 'u@example.com' }, items: [{ product_id: p.productId, quantity: 1 }] });
      expect(r).toMatchObject({ status: 503, body: { code: 'unavailable' } });
    } finally {
      sys.pgProxy.restore();
    }
    await nothingStored(req.orderId);
    expect(await stockOf(p.productId)).toMatchObject({ available: 10, reserved: 0 });
    await eventually(() => sys.orders.createOrder(req).then(() => true, () => false), { what: 'recovery' });
    await settled(req.orderId, OrderStatus.ORDER_STATUS_CONFIRMED);
  });

  it('MongoDB down → orders are still accepted and readable; they are stored once it is back', async () => {
    const p = await product(10);
    const req = request([line(p.productId)]);
    sys.mongoProxy.cut();
    try {
      const { order } = await sys.orders.createOrder(req);
      expect(order!.status).toBe(OrderStatus.ORDER_STATUS_PENDING);
      const { order: read } = await sys.orders.getOrder({ orderId: req.orderId });
      expect(read!.orderId).toBe(req.orderId);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      sys.mongoProxy.restore();
    }
    // Until order-store catches up, reads fall back to inventory's view; wait for MongoDB itself.
    const doc = await eventually(() => sys.mongo.collection('orders').findOne({ _id: req.orderId as never, status: 'CONFIRMED' }), {
      timeoutMs: 30_000,
      what: 'the order in MongoDB',
    });
    expect(doc?.history).toHaveLength(2);
    expect(await sys.mongo.collection('orders').countDocuments({ _id: req.orderId as never })).toBe(1);
  });
});

describe('reads', () => {
  it('GetOrder of an unknown order is NOT_FOUND; ListOrders is newest first and capped at 100', async () => {
    const err = await failure(sys.orders.getOrder({ orderId: 'ORD-never-placed' }));
    expect(isAppError(err, 'not_found')).toBe(true);
    expect((await rest('GET', '/orders/ORD-never-placed')).status).toBe(404);
    const { orders: list } = await sys.orders.listOrders({ pageSize: 1000, pageToken: '', customerUserId: '', status: 0 });
    expect(list.length).toBeLessThanOrEqual(100);
    const times = list.map((o) => o.createdAt!.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('an order inventory has settled never reads as PENDING while order-store lags behind', async () => {
    const req = request([line((await product(5)).productId)]);
    await sys.orders.createOrder(req);
    const orders = sys.mongo.collection('orders');
    const stored = await eventually(() => orders.findOne({ _id: req.orderId as never, status: 'CONFIRMED' }), { what: 'the order in MongoDB' });
    // order-store as it was between OrderPlaced and OrderConfirmed.
    await orders.updateOne({ _id: req.orderId as never }, { $set: { status: 'PENDING', history: stored!.history.slice(0, 1) } });
    try {
      expect((await sys.orders.getOrder({ orderId: req.orderId })).order!.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
      expect((await connect('GetOrder', { orderId: req.orderId })).body).toMatchObject({ order: { status: 'ORDER_STATUS_CONFIRMED' } });
      const replay = await sys.orders.createOrder(req);
      expect(replay.order!.status).toBe(OrderStatus.ORDER_STATUS_CONFIRMED);
    } finally {
      await orders.replaceOne({ _id: req.orderId as never }, stored!);
    }
  });
});

describe('Connect binary and gRPC-Web on the HTTP/1.1 listener', () => {
  it('serves the same services to protobuf-es clients built from the descriptor set', async () => {
    const { createClient } = await import('@connectrpc/connect');
    const { createConnectTransport, createGrpcWebTransport } = await import('@connectrpc/connect-node');
    const { descriptorRegistry } = await import('@order-system/grpc');
    const { descriptorSetBase64 } = await import('@order-system/proto');
    const catalogService = descriptorRegistry(descriptorSetBase64).getService('catalog.v1.CatalogService')!;
    const authorization = await sys.auth.bearer('e2e-customer');
    const interceptors = [(next: (req: { header: Headers }) => Promise<unknown>) => (req: { header: Headers }) => (req.header.set('authorization', authorization), next(req))] as never;
    for (const transport of [
      createConnectTransport({ baseUrl: sys.http, httpVersion: '1.1', useBinaryFormat: true, interceptors }),
      createGrpcWebTransport({ baseUrl: sys.http, httpVersion: '1.1', interceptors }),
    ]) {
      const client = createClient(catalogService, transport) as unknown as {
        getProduct(req: { productId: string }): Promise<{ product?: { sku: string } }>;
      };
      const res = await client.getProduct({ productId: LAPTOP });
      expect(res.product?.sku).toBe('LAPTOP001');
    }
  });
});

describe('graceful shutdown', () => {
  it('every service exits 0 within 10 s of SIGTERM, and comes back', async () => {
    for (const name of ['gateway', 'order-store', 'payment', 'inventory']) {
      const { code, ms } = await sys.stopApp(name, 'SIGTERM');
      expect({ name, code }).toEqual({ name, code: 0 });
      expect(ms).toBeLessThan(10_000);
      await sys.start(name);
    }
    const p = await product(3);
    const req = request([line(p.productId)]);
    await sys.orders.createOrder(req);
    await settled(req.orderId, OrderStatus.ORDER_STATUS_CONFIRMED);
  }, 120_000);
});

describe('npm run reconcile', () => {
  it('reports no drift on a consistent system, and exits non-zero naming the drift otherwise', async () => {
    const p = await product(5);
    const req = request([line(p.productId)]);
    await sys.orders.createOrder(req);
    await settled(req.orderId, OrderStatus.ORDER_STATUS_CONFIRMED);
    await sys.quietInvariants();
    const reconcile = () =>
      promisify(execFile)('npx', ['tsx', path.resolve(import.meta.dirname, '../../../tools/reconcile/src/main.ts')], {
        env: { ...process.env, POSTGRES_DB: sys.dbName, MONGODB_DB: sys.mongoDbName, RECONCILE_GRACE_MS: '0' },
      }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
      );
    const clean = await reconcile();
    expect(clean).toMatchObject({ code: 0, stdout: expect.stringContaining('no drift') });
    const orders = sys.mongo.collection('orders');
    await orders.updateOne({ _id: req.orderId as never }, { $set: { status: 'FAILED' } });
    try {
      const drifted = await reconcile();
      expect(drifted.code).toBe(1);
      expect(drifted.stdout).toContain(`DRIFT order ${req.orderId}: inventory says COMMITTED, order-store says FAILED`);
    } finally {
      await orders.updateOne({ _id: req.orderId as never }, { $set: { status: 'CONFIRMED' } });
    }
  });
});
