import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { checkHealth } from '@order-system/grpc';
import { deadLetterTopic, topicNames } from '@order-system/kafka';
import { events, orders } from '@order-system/proto';
import { eventually } from '@order-system/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type System } from './system.js';

/**
 * Hostile input: every malformed request is a clear client error (never 5xx,
 * INTERNAL or UNKNOWN, never a crash), and garbage on the topics is
 * dead-lettered without stopping the pipeline.
 */
let sys: System;
let raw: grpc.Client;
let productId = '';
/** The hostile requests come from a signed-in customer 'u', so that what they carry is what gets judged. */
let authorization = '';
const tried = { grpc: 0, connect: 0, rest: 0, topics: 0 };

beforeAll(async () => {
  sys = await startSystem({ env: { PAYMENT_FAILURE_RATE: '0' } });
  authorization = await sys.auth.bearer('u');
  raw = new grpc.Client(sys.gatewayAddr, grpc.credentials.createInsecure());
  productId = (await sys.catalogAdmin.upsertProduct({ productId: '', sku: `HOSTILE-${randomUUID().slice(0, 6)}`, name: 'x', price: { currencyCode: 'USD', units: 1, nanos: 0 }, stock: 1000 })).product!.productId;
}, 120_000);
afterAll(async () => {
  raw?.close();
  await sys?.stop();
});

const CLIENT_ERRORS = [grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED, grpc.status.NOT_FOUND, grpc.status.FAILED_PRECONDITION, grpc.status.ALREADY_EXISTS];

/** Sends raw bytes as a CreateOrder request; resolves with the status code. */
function sendRaw(bytes: Buffer, method = 'CreateOrder'): Promise<{ code: grpc.status; details: string }> {
  tried.grpc++;
  const metadata = new grpc.Metadata();
  metadata.set('authorization', authorization);
  return new Promise((resolve) => {
    raw.makeUnaryRequest(`/orders.v1.OrderService/${method}`, (b: Buffer) => b, (b: Buffer) => b, bytes, metadata, { deadline: Date.now() + 10_000 }, (err) =>
      resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' }),
    );
  });
}

const valid = (): orders.v1.CreateOrderRequest => ({
  orderId: `ORD-${randomUUID()}`,
  customer: { userId: 'u', email: 'u@example.com' },
  items: [{ productId, sku: '', quantity: 1, expectedUnitPrice: undefined }],
  paymentToken: 'tok_visa',
});
const encode = (r: orders.v1.CreateOrderRequest) => Buffer.from(orders.v1.CreateOrderRequest.encode(r).finish());

/** A string field (1 = order_id) written with raw, invalid UTF-8 bytes, before the rest of the message. */
function withRawField(fieldNo: number, bytes: Buffer, rest: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(fieldNo << 3) | 2, bytes.length]), bytes, rest]);
}

describe('hostile requests over gRPC', () => {
  const injection = ["'; DROP TABLE products; --", '{"$gt": ""}', '<script>alert(1)</script>', '../../etc/passwd', '\u0000'];
  const cases: [string, () => Buffer][] = [
    ['garbage bytes', () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])],
    ['truncated message', () => encode(valid()).subarray(0, 12)],
    ['empty message (every field missing)', () => Buffer.alloc(0)],
    ['wrong wire type for order_id', () => Buffer.from([0x08, 0x96, 0x01])],
    ['invalid UTF-8 in the e-mail', () => {
      const r = valid();
      const customer = Buffer.concat([Buffer.from([0x0a, 1, 0x75]), Buffer.from([0x12, 3, 0xc3, 0x28, 0xa0])]);
      return Buffer.concat([encode({ ...r, customer: undefined }), Buffer.from([0x12, customer.length]), customer]);
    }],
    ['invalid UTF-8 in order_id', () => withRawField(1, Buffer.from([0xe2, 0x28, 0xa1]), encode({ ...valid(), orderId: '' }))],
    ['huge order_id (900 kB)', () => encode({ ...valid(), orderId: 'x'.repeat(900_000) })],
    ['100 000 items', () => encode({ ...valid(), items: Array.from({ length: 100_000 }, () => ({ productId, sku: '', quantity: 1, expectedUnitPrice: undefined })) })],
    ['message over the size limit (2 MB)', () => encode({ ...valid(), paymentToken: 'x'.repeat(2_000_000) })],
    ['negative quantity', () => encode({ ...valid(), items: [{ productId, sku: '', quantity: -5, expectedUnitPrice: undefined }] })],
    ['quantity at int32 max', () => encode({ ...valid(), items: [{ productId, sku: '', quantity: 2 ** 31 - 1, expectedUnitPrice: undefined }] })],
    ['negative price', () => encode({ ...valid(), items: [{ productId, sku: '', quantity: 1, expectedUnitPrice: { currencyCode: 'USD', units: -1, nanos: 0 } }] })],
    ['overflowing price units', () => encode({ ...valid(), items: [{ productId, sku: '', quantity: 1, expectedUnitPrice: { currencyCode: 'USD', units: Number.MAX_SAFE_INTEGER, nanos: 999_999_999 } }] })],
    ...injection.map((text): [string, () => Buffer] => [`injection in order_id: ${JSON.stringify(text)}`, () => encode({ ...valid(), orderId: text })]),
    ...injection.map((text): [string, () => Buffer] => [`injection in sku: ${JSON.stringify(text)}`, () => encode({ ...valid(), items: [{ productId: '', sku: text, quantity: 1, expectedUnitPrice: undefined }] })]),
  ];

  it.each(cases)('%s → a client error', async (_name, bytes) => {
    const { code } = await sendRaw(bytes());
    expect(CLIENT_ERRORS).toContain(code);
  });

  it('garbage on every method → a client error, and the server stays up', async () => {
    for (const method of ['CreateOrder', 'GetOrder', 'ListOrders']) {
      const { code } = await sendRaw(Buffer.from([0x0a, 0xff, 0x01]), method);
      expect(CLIENT_ERRORS).toContain(code);
    }
    expect(await checkHealth(sys.gatewayAddr)).toBe('SERVING');
  });

  it('random bytes never get a server error (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const { code } = await sendRaw(Buffer.from(bytes));
        return code !== grpc.status.INTERNAL && code !== grpc.status.UNKNOWN && code !== grpc.status.UNAVAILABLE;
      }),
      { numRuns: 200 },
    );
  });
});

async function post(path: string, body: string | Buffer, contentType = 'application/json', as = authorization) {
  const res = await fetch(`${sys.http}${path}`, { method: 'POST', headers: { 'content-type': contentType, authorization: as }, body });
  await res.arrayBuffer();
  return res.status;
}

describe('hostile requests over Connect JSON and REST', () => {
  const validRest = () => ({ order_id: `ORD-${randomUUID()}`, customer: { user_id: 'u', email: 'u@example.com' }, items: [{ product_id: productId, quantity: 1 }] });
  const connectBodies: [string, string | Buffer][] = [
    ['not JSON', '{"orderId": '],
    ['wrong type: items is a string', JSON.stringify({ orderId: 'ORD-1', items: 'all of them' })],
    ['wrong type: quantity is an object', JSON.stringify({ orderId: 'ORD-1', items: [{ quantity: { $gt: 0 } }] })],
    ['overflowing int32', JSON.stringify({ orderId: 'ORD-1', items: [{ productId, quantity: 1e12 }] })],
    ['negative quantity', JSON.stringify({ orderId: 'ORD-1', customer: { userId: 'u', email: 'u@example.com' }, items: [{ productId, quantity: -1 }] })],
    ['operator injection in a filter', JSON.stringify({ customerUserId: { $ne: null } })],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x6f, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])],
    ['huge array', JSON.stringify({ orderId: 'ORD-1', items: Array.from({ length: 50_000 }, () => ({ productId, quantity: 1 })) })],
    ['body over the limit', JSON.stringify({ orderId: 'x'.repeat(2_000_000) })],
  ];
  it.each(connectBodies)('Connect %s → 4xx', async (_name, body) => {
    tried.connect++;
    const status = await post('/orders.v1.OrderService/CreateOrder', body);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });

  const restBodies: [string, () => unknown][] = [
    ['order_id a number', () => ({ ...validRest(), order_id: 42 })],
    ['customer missing', () => ({ ...validRest(), customer: undefined })],
    ['items an object', () => ({ ...validRest(), items: { product_id: productId } })],
    ['quantity a float', () => ({ ...validRest(), items: [{ product_id: productId, quantity: 1.5 }] })],
    ['quantity overflowing', () => ({ ...validRest(), items: [{ product_id: productId, quantity: 1e300 }] })],
    ['price not a number', () => ({ ...validRest(), items: [{ product_id: productId, quantity: 1, price: { $gt: 0 } }] })],
    ['price with 20 decimals', () => ({ ...validRest(), items: [{ product_id: productId, quantity: 1, price: '1.00000000000000000001' }] })],
    ['a JSON array body', () => [validRest()]],
    ['null body', () => null],
    ['huge string', () => ({ ...validRest(), order_id: 'y'.repeat(500_000) })],
  ];
  it.each(restBodies)('REST %s → 4xx', async (_name, body) => {
    tried.rest++;
    const status = await post('/orders', JSON.stringify(body()));
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });

  it('REST: invalid UTF-8, a wrong content type and an oversized body → 4xx', async () => {
    tried.rest += 3;
    expect(await post('/orders', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]))).toBe(400);
    expect(await post('/orders', 'order_id=1', 'application/x-www-form-urlencoded')).toBe(400);
    expect(await post('/orders', Buffer.alloc(3 * 1024 * 1024, 0x20))).toBe(413);
  });

  it('REST: an injection string that is valid data is stored as plain data, tables intact', async () => {
    tried.rest++;
    const userId = "x'; DROP TABLE reservations; --";
    const body = { ...validRest(), customer: { user_id: userId, email: 'u@example.com' } };
    expect(await post('/orders', JSON.stringify(body), 'application/json', await sys.auth.bearer(userId))).toBe(202);
    const { rows } = await sys.pg.query('SELECT customer_id FROM reservations WHERE order_id = $1', [body.order_id]);
    expect(rows).toEqual([{ customer_id: userId }]);
    const tables = await sys.pg.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('products', 'reservations', 'outbox')");
    expect(tables.rows[0].n).toBe(3);
  });
});

describe('garbage on the topics', () => {
  it('is dead-lettered with its error, and orders keep flowing', async () => {
    const names = topicNames(sys.topicPrefix);
    const producer = await sys.kafka.producer();
    const garbage = [Buffer.from([0xff, 0x00, 0x13]), Buffer.from('not protobuf at all'), Buffer.alloc(0), Buffer.from(events.v1.OrderEvent.encode({ eventId: randomUUID(), orderId: 'ORD-trunc', occurredAt: new Date(), orderConfirmed: { paymentId: 'p' } }).finish()).subarray(0, 9)];
    for (const topic of [names.orderEvents, names.paymentEvents]) {
      await producer.send(topic, garbage.map((value, i) => ({ key: `garbage-${i}`, value })));
      tried.topics += garbage.length;
    }
    await producer.close();

    const req = valid();
    await sys.orders.createOrder(req);
    await eventually(async () => (await sys.orders.getOrder({ orderId: req.orderId })).order?.status === orders.v1.OrderStatus.ORDER_STATUS_CONFIRMED, {
      what: 'an order to confirm after the garbage',
    });

    // order-events garbage is read by payment and order-store (two groups), payment-events garbage by inventory.
    const dead: Record<string, number> = {};
    for (const topic of [names.orderEvents, names.paymentEvents]) {
      const reader = sys.kafka.consumer({
        groupId: `dlt-read-${randomUUID()}`,
        topic: deadLetterTopic(topic),
        handle: async (m) => {
          expect(m.headers['dlt-error-kind']).toBe('invalid');
          dead[topic] = (dead[topic] ?? 0) + 1;
        },
      });
      await reader.start();
      await eventually(() => (dead[topic] ?? 0) >= (topic === names.orderEvents ? 2 : 1) * garbage.length, { what: `dead letters of ${topic}` });
      await reader.stop();
    }
    expect(dead[names.orderEvents]).toBe(2 * garbage.length);
    expect(dead[names.paymentEvents]).toBe(garbage.length);
    const report = await sys.quietInvariants();
    expect(report.drift).toEqual([]);
    for (const name of sys.names) expect(await sys.grpcHealth(name)).toBe('SERVING');
    console.log(`hostile inputs tried: ${JSON.stringify(tried)}`);
  });
});
