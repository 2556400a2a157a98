import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ServiceError } from '@grpc/grpc-js';
import { CATALOG_ADMIN, ensureDevKeys, ORDERS_ADMIN, signDevToken } from '@order-system/auth';
import type { AppError } from '@order-system/errors';
import { checkHealth, createServiceClient } from '@order-system/grpc';
import { catalog, orders } from '@order-system/proto';
import { eventually, failure } from '@order-system/testing';
import { UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type System } from './system.js';

/**
 * The public edge as an attacker meets it: every call needs a valid token,
 * a customer sees only their own orders, admins are who their scopes say,
 * browsers only from allowed origins, and floods, slow clients and too many
 * connections or watches are cut off. A system of its own, with tight limits.
 */
const LIMITS = {
  RATE_LIMIT_PER_S: '5',
  RATE_LIMIT_BURST: '5',
  WATCH_MAX_PER_CALLER: '2',
  WATCH_MAX_LIFETIME_MS: '3000',
  HTTP_HEADERS_TIMEOUT_MS: '1500',
  HTTP_REQUEST_TIMEOUT_MS: '3000',
  HTTP_MAX_CONNECTIONS: '40',
  MAX_HEADER_BYTES: '8192',
};

let sys: System;
let sku = '';
beforeAll(async () => {
  sys = await startSystem({ env: { ...LIMITS, PAYMENT_FAILURE_RATE: '0' } });
  sku = `EDGE-${randomUUID().slice(0, 6)}`;
  await sys.catalogAdmin.upsertProduct({ productId: '', sku, name: 'Edge thing', price: { currencyCode: 'USD', units: 5, nanos: 0 }, stock: 10_000 });
}, 120_000);
afterAll(() => sys?.stop());

const client = () => createServiceClient(orders.v1.OrderServiceService, sys.gatewayAddr, { defaultTimeoutMs: 10_000 });
const as = (authorization: string) => ({ headers: { authorization } });
/** An order; without a user id, the token's sub fills it in. */
const request = (userId: string | undefined, orderId = `ORD-${randomUUID()}`): orders.v1.CreateOrderRequest => ({
  orderId,
  customer: { userId: userId ?? '', email: 'someone@example.com' },
  items: [{ productId: '', sku, quantity: 1, expectedUnitPrice: undefined }],
  paymentToken: 'tok_visa',
});


/** A fresh customer, so that one test's calls never meet another's rate limit. */
const customer = async () => {
  const id = `c-${randomUUID().slice(0, 8)}`;
  return { id, authorization: await sys.auth.bearer(id) };
};

async function http(pathname: string, init: RequestInit & { authorization?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.authorization) headers.set('authorization', init.authorization);
  const res = await fetch(`${sys.http}${pathname}`, { ...init, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined }; // eslint-disable-line @typescript-eslint/no-explicit-any
}
const connect = (method: string, body: unknown, authorization?: string) =>
  http(`/orders.v1.OrderService/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), authorization });

describe('tokens', () => {
  const forgeries = async (): Promise<[string, string][]> => {
    const foreign = await ensureDevKeys(path.join(sys.logDir, `foreign-${randomUUID()}`));
    return [
      ['no token', ''],
      ['garbage', 'Bearer not.a.token'],
      ['alg none', `Bearer ${new UnsecuredJWT({ scope: ORDERS_ADMIN }).setSubject('x').setIssuer('order-system-dev').setAudience('order-system').setExpirationTime('1h').encode()}`],
      ['a foreign key', `Bearer ${await signDevToken(foreign.privateKeyFile, { sub: 'x', scopes: [ORDERS_ADMIN] })}`],
      ['expired', `Bearer ${await signDevToken(sys.auth.privateKeyFile, { sub: 'x', ttlSec: -120 })}`],
      ['a wrong issuer', `Bearer ${await signDevToken(sys.auth.privateKeyFile, { sub: 'x', issuer: 'https://evil.example' })}`],
      ['a wrong audience', `Bearer ${await signDevToken(sys.auth.privateKeyFile, { sub: 'x', audience: 'other-api' })}`],
    ];
  };

  it('refuses every forgery on gRPC (UNAUTHENTICATED), Connect and REST (401 with WWW-Authenticate: Bearer)', async () => {
    const grpcClient = client();
    for (const [what, authorization] of await forgeries()) {
      const opts = authorization ? as(authorization) : {};
      const err = await failure(grpcClient.listOrders({ pageSize: 1, pageToken: '', customerUserId: '', status: 0 }, opts));
      expect({ what, kind: err.kind }).toEqual({ what, kind: 'unauthenticated' });
      const viaConnect = await connect('ListOrders', {}, authorization || undefined);
      expect({ what, status: viaConnect.status, scheme: viaConnect.headers.get('www-authenticate') }).toEqual({ what, status: 401, scheme: 'Bearer' });
      const viaRest = await http('/orders', { authorization: authorization || undefined });
      expect({ what, status: viaRest.status, scheme: viaRest.headers.get('www-authenticate') }).toEqual({ what, status: 401, scheme: 'Bearer' });
      expect(viaRest.body).toMatchObject({ code: 'unauthenticated' });
    }
    grpcClient.close();
  });

  it('leaves health and reflection open, and keeps metrics and probes off the public port', async () => {
    expect(await checkHealth(sys.gatewayAddr)).toBe('SERVING');
    const buf = path.resolve(import.meta.dirname, '../../../node_modules/.bin/buf');
    const { stdout } = await promisify(execFile)(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', '--list-services', `http://${sys.gatewayAddr}`]);
    expect(stdout).toContain('orders.v1.OrderService');
    for (const pathname of ['/metrics', '/healthz', '/readyz']) expect((await http(pathname)).status).toBe(404);
    expect((await fetch(`${sys.admin('gateway')}/metrics`)).status).toBe(200);
  });
});

describe('what a token allows', () => {
  it('places an order in the caller’s name only, filling in a missing user_id', async () => {
    const alice = await customer();
    const grpcClient = client();
    const { order } = await grpcClient.createOrder(request(undefined), as(alice.authorization));
    expect(order!.customer!.userId).toBe(alice.id);
    const err = await failure(grpcClient.createOrder(request('someone-else'), as(alice.authorization)));
    expect(err.kind).toBe('permission_denied');
    const viaRest = await http('/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      authorization: alice.authorization,
      body: JSON.stringify({ order_id: `ORD-${randomUUID()}`, customer: { user_id: 'someone-else', email: 'x@example.com' }, items: [{ sku, quantity: 1 }] }),
    });
    expect(viaRest.status).toBe(403);
    grpcClient.close();
  });

  it('hides another customer’s order on every protocol exactly as one that does not exist', async () => {
    const [alice, bob] = [await customer(), await customer()];
    const grpcClient = client();
    const placed = request(alice.id);
    await grpcClient.createOrder(placed, as(alice.authorization));
    const missing = `ORD-${randomUUID()}`;

    const theirs = await failure(grpcClient.getOrder({ orderId: placed.orderId }, as(bob.authorization)));
    const none = await failure(grpcClient.getOrder({ orderId: missing }, as(bob.authorization)));
    expect(theirs.kind).toBe('not_found');
    expect(theirs.message).toBe(none.message.replace(missing, placed.orderId));
    const watched = await failure((async () => {
      for await (const m of grpcClient.watchOrder({ orderId: placed.orderId }, as(bob.authorization))) void m;
    })());
    expect(watched.kind).toBe('not_found');

    const viaConnect = await connect('GetOrder', { orderId: placed.orderId }, bob.authorization);
    const viaConnectMissing = await connect('GetOrder', { orderId: missing }, bob.authorization);
    expect(viaConnect.status).toBe(404);
    expect(viaConnect.body!.message).toBe(viaConnectMissing.body!.message.replace(missing, placed.orderId));
    const viaRest = await http(`/orders/${placed.orderId}`, { authorization: bob.authorization });
    expect(viaRest.status).toBe(404);
    expect(viaRest.body).toEqual({ code: 'not_found', message: `order ${placed.orderId} not found` });
    // The owner reads it on every protocol.
    expect((await grpcClient.getOrder({ orderId: placed.orderId }, as(alice.authorization))).order!.orderId).toBe(placed.orderId);
    expect((await http(`/orders/${placed.orderId}`, { authorization: alice.authorization })).status).toBe(200);
    grpcClient.close();
  });

  it('lists the caller’s orders only; naming another customer returns nothing', async () => {
    const [alice, bob] = [await customer(), await customer()];
    const grpcClient = client();
    const mine = request(bob.id);
    await grpcClient.createOrder(request(alice.id), as(alice.authorization));
    await grpcClient.createOrder(mine, as(bob.authorization));
    await eventually(async () => {
      const { orders: listed } = await grpcClient.listOrders({ pageSize: 100, pageToken: '', customerUserId: '', status: 0 }, as(bob.authorization));
      return listed.length === 1 && listed[0]!.orderId === mine.orderId;
    }, { what: 'bob to see his one order' });
    const named = await grpcClient.listOrders({ pageSize: 100, pageToken: '', customerUserId: alice.id, status: 0 }, as(bob.authorization));
    expect(named.orders).toEqual([]);
    const viaRest = await http(`/orders?customer_user_id=${alice.id}`, { authorization: bob.authorization });
    expect(viaRest.body).toEqual({ orders: [], next_page_token: '' });
    grpcClient.close();
  });

  it('answers a reused order_id of another customer ALREADY_EXISTS, with none of its content', async () => {
    const [alice, bob] = [await customer(), await customer()];
    const grpcClient = client();
    const placed = request(alice.id);
    await grpcClient.createOrder({ ...placed, customer: { userId: alice.id, email: 'alice-private@example.com' } }, as(alice.authorization));
    const err = await failure(grpcClient.createOrder({ ...placed, customer: { userId: bob.id, email: 'b@example.com' } }, as(bob.authorization)));
    expect(err.kind).toBe('already_exists');
    expect(err.message).not.toContain(alice.id);
    expect(err.message).not.toContain('alice-private');
    grpcClient.close();
  });

  it('lets orders:admin read across customers and only catalog:admin manage products', async () => {
    const alice = await customer();
    const grpcClient = client();
    const placed = request(alice.id);
    await grpcClient.createOrder(placed, as(alice.authorization));
    const admin = await sys.auth.bearer(`ops-${randomUUID().slice(0, 6)}`, [ORDERS_ADMIN]);
    expect((await grpcClient.getOrder({ orderId: placed.orderId }, as(admin))).order!.customer!.userId).toBe(alice.id);
    await eventually(async () => {
      const { orders: listed } = await grpcClient.listOrders({ pageSize: 100, pageToken: '', customerUserId: alice.id, status: 0 }, as(admin));
      return listed.length === 1;
    }, { what: 'the admin to list alice’s order' });

    const catalogClient = createServiceClient(catalog.v1.CatalogServiceService, sys.gatewayAddr);
    const product = { productId: '', sku: `ADM-${randomUUID().slice(0, 6)}`, name: 'Admin made', price: { currencyCode: 'USD', units: 2, nanos: 0 }, stock: 3 };
    for (const authorization of [alice.authorization, admin]) {
      expect((await failure(catalogClient.upsertProduct(product, as(authorization)))).kind).toBe('permission_denied');
    }
    const made = await catalogClient.upsertProduct(product, as(await sys.auth.bearer('buyer', [CATALOG_ADMIN])));
    expect(made.product).toMatchObject({ sku: product.sku, available: 3 });
    catalogClient.close();
    grpcClient.close();
  });
});

describe('browsers', () => {
  it('answers a preflight from an allowed origin with the Connect and gRPC-Web headers, and none to another origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${sys.http}/orders.v1.OrderService/CreateOrder`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,connect-protocol-version' },
      });
    const allowed = await preflight('http://localhost:5173');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const allowHeaders = (allowed.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const h of ['authorization', 'content-type', 'connect-protocol-version', 'x-grpc-web', 'x-correlation-id']) expect(allowHeaders).toContain(h);
    expect(Number(allowed.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();

    const refused = await preflight('https://evil.example');
    expect([...refused.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);

    const alice = await customer();
    const actual = await fetch(`${sys.http}/orders`, { headers: { origin: 'http://localhost:5173', authorization: alice.authorization } });
    const exposed = (actual.headers.get('access-control-expose-headers') ?? '').toLowerCase();
    for (const h of ['grpc-status', 'grpc-message', 'retry-after']) expect(exposed).toContain(h);
  });
});

describe('limits at the edge', () => {
  it('throttles a flooding customer (RESOURCE_EXHAUSTED, 429 with Retry-After) without refusing another', async () => {
    const [flooder, bystander] = [await customer(), await customer()];
    const grpcClient = client();
    const list = (authorization: string) => grpcClient.listOrders({ pageSize: 1, pageToken: '', customerUserId: '', status: 0 }, as(authorization));
    const flood = await Promise.allSettled(Array.from({ length: 60 }, () => list(flooder.authorization)));
    const refused = flood.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as AppError);
    expect(refused.length).toBeGreaterThanOrEqual(40); // 5/s with a burst of 5: about 10 get through
    expect(refused.every((e) => e.kind === 'resource_exhausted')).toBe(true);
    expect(Number((refused[0]!.cause as ServiceError).metadata.get('retry-after')[0])).toBeGreaterThanOrEqual(1);
    const viaRest = await http('/orders', { authorization: flooder.authorization });
    expect(viaRest.status).toBe(429);
    expect(Number(viaRest.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await connect('ListOrders', {}, flooder.authorization)).status).toBe(429);

    // While the flooder keeps at it, the bystander's calls all go through.
    const times: number[] = [];
    const flooding = Promise.allSettled(Array.from({ length: 200 }, () => list(flooder.authorization)));
    for (let i = 0; i < 5; i++) {
      const began = performance.now();
      await list(bystander.authorization);
      times.push(performance.now() - began);
    }
    await flooding;
    console.log(`bystander ListOrders during a flood: ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
    expect(Math.max(...times)).toBeLessThan(2000);
    grpcClient.close();
  });

  it('caps watches per caller, and ends a watch cleanly at its lifetime', async () => {
    const alice = await customer();
    const grpcClient = client();
    await sys.stopApp('payment'); // with payment away, the order stays PENDING and its watches open
    try {
      const pending = request(alice.id);
      await grpcClient.createOrder(pending, as(alice.authorization));
      let opened = 0;
      const watch = async () => {
        const seen: orders.v1.OrderStatus[] = [];
        const began = Date.now();
        for await (const m of grpcClient.watchOrder({ orderId: pending.orderId }, as(alice.authorization))) {
          if (seen.push(m.order!.status) === 1) opened++;
        }
        return { seen, ms: Date.now() - began };
      };
      const held = [watch(), watch()];
      await eventually(() => opened === 2, { what: 'two watches open' });
      expect((await failure(watch())).kind).toBe('resource_exhausted');
      for (const { seen, ms } of await Promise.all(held)) {
        expect(seen).toEqual([orders.v1.OrderStatus.ORDER_STATUS_PENDING]);
        expect(ms).toBeGreaterThanOrEqual(Number(LIMITS.WATCH_MAX_LIFETIME_MS) - 500);
        expect(ms).toBeLessThan(Number(LIMITS.WATCH_MAX_LIFETIME_MS) + 5000);
      }
      // Ended, they no longer count: a new watch is let in.
      const again = watch();
      await eventually(() => opened === 3, { what: 'a third watch, after the first two ended' });
      await again;
    } finally {
      await sys.start('payment');
      grpcClient.close();
    }
  });

  it('cuts off a client that drips its headers, and refuses connections beyond the cap', async () => {
    const socket = net.connect(Number(new URL(sys.http).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise<string>((resolve) => {
      let answer = '';
      socket.on('data', (d) => (answer += d.toString()));
      socket.on('close', () => resolve(answer));
    });
    const began = Date.now();
    socket.write('GET /orders HTTP/1.1\r\nHost: x\r\n');
    const drip = setInterval(() => socket.write('X-Slow: 1\r\n'), 200);
    const answer = await closed;
    clearInterval(drip);
    expect(Date.now() - began).toBeLessThan(6000);
    expect(answer).toMatch(/^HTTP\/1\.1 408|^$/);

    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < Number(LIMITS.HTTP_MAX_CONNECTIONS) + 5; i++) {
        const s = net.connect(Number(new URL(sys.http).port), '127.0.0.1');
        s.on('error', () => undefined);
        sockets.push(s);
      }
      await new Promise((r) => setTimeout(r, 500));
      const dropped = sockets.filter((s) => s.destroyed || s.readyState === 'closed').length;
      expect(dropped).toBeGreaterThanOrEqual(5);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('answers 431 to headers over the cap', async () => {
    const alice = await customer();
    const res = await fetch(`${sys.http}/orders`, { headers: { authorization: alice.authorization, 'x-padding': 'p'.repeat(10_000) } });
    expect(res.status).toBe(431);
  });
});

describe('hostile input at the edge', () => {
  it('replaces an unacceptable X-Correlation-Id instead of failing, and answers 400 to malformed percent-encoding', async () => {
    const alice = await customer();
    for (const given of ['ü-non-ascii', 'a'.repeat(200), 'with space', '{"$gt":1}']) {
      const res = await fetch(`${sys.http}/orders`, { headers: { authorization: alice.authorization, 'x-correlation-id': encodeURIComponent(given) === given ? given : Buffer.from(given, 'utf8').toString('latin1') } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    const ok = await fetch(`${sys.http}/orders`, { headers: { authorization: alice.authorization, 'x-correlation-id': 'corr-ok.1:2' } });
    expect(ok.headers.get('x-correlation-id')).toBe('corr-ok.1:2');
    const malformed = await http('/orders/%E0%A4%A', { authorization: alice.authorization });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toEqual({ code: 'invalid_argument', message: 'the path is not validly percent-encoded' });
  });

  it('takes an order id that names an event or a prototype as plain data', async () => {
    const alice = await customer();
    const grpcClient = client();
    for (const orderId of ['error', '__proto__', 'constructor']) {
      const err = await failure(grpcClient.getOrder({ orderId }, as(alice.authorization)));
      expect(err.kind).toBe('not_found');
    }
    for (const name of sys.names) expect(await sys.grpcHealth(name)).toBe('SERVING');
    grpcClient.close();
  });
});
