import { randomUUID } from 'node:crypto';
import { createServiceClient, startGrpcServer } from '@order-system/grpc';
import { KafkaClient, topicNames, type Producer } from '@order-system/kafka';
import type { MetricsRegistry } from '@order-system/metrics';
import { descriptorSetBase64, events, orders, orderstore } from '@order-system/proto';
import { createTestMongoDb, eventually, tcpProxy, testConfig, testLogger, testTopicPrefix } from '@order-system/testing';
import { MongoClient, MongoServerError, type Db } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo } from '../src/adapters/mongo.js';
import { loadConfig } from '../src/config.js';
import { buildService } from '../src/service.js';

const { OrderStatus } = orders.v1;
const infra = testConfig();
const log = testLogger(infra);
const mongoDb = createTestMongoDb(infra);
// The admin sets the run's topics up and plays inventory; the order-store has its own principal.
const run = { prefix: testTopicPrefix(), kafka: new KafkaClient({ ...infra.kafka('admin'), clientId: 'test', log }) };
const topics = topicNames(run.prefix);
const usd = (units: number) => ({ currencyCode: 'USD', units, nanos: 0 });

let client: ReturnType<typeof createServiceClient<typeof orderstore.v1.OrderStoreServiceService>>;
let producer: Producer;
let mongo: MongoClient;
let db: Db;
let proxy: Awaited<ReturnType<typeof tcpProxy>>;
let stop: () => Promise<void>;
let metrics: MetricsRegistry;

beforeAll(async () => {
  const target = new URL(infra.mongodbUri);
  proxy = await tcpProxy(target.hostname, Number(target.port || 27017));
  target.host = `127.0.0.1:${proxy.port}`;
  const config = loadConfig({
    ...process.env,
    MONGODB_URI: target.toString(),
    MONGODB_DB: mongoDb.name,
    KAFKA_TOPIC_PREFIX: run.prefix,
    KAFKA_GROUP_ID: `order-store-${randomUUID()}`,
    WATCH_POLL_MS: '100',
  });
  ({ client: mongo, db } = await connectMongo(config.mongodbUri, config.mongodbDb));
  await run.kafka.provision(topics);
  const service = buildService(config, { db, kafka: new KafkaClient({ ...infra.kafka('order-store'), clientId: 'order-store', log }), log });
  metrics = service.metrics;
  const server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: service.grpcServices, descriptorSetBase64, log });
  await service.start();
  producer = await run.kafka.producer();
  client = createServiceClient(orderstore.v1.OrderStoreServiceService, `127.0.0.1:${server.port}`);
  stop = async () => {
    client.close();
    await service.stop();
    await server.close(1000);
    await producer.close();
    await mongo.close();
    await proxy.close();
  };
});

afterAll(async () => {
  await stop?.();
  await mongoDb.drop();
  await run.kafka.deleteTopicsWithPrefix(run.prefix);
});

function placed(orderId: string, userId = 'u-1', createdAt = new Date()): events.v1.OrderEvent {
  return {
    eventId: randomUUID(),
    orderId,
    occurredAt: createdAt,
    orderPlaced: {
      customer: { userId, email: `${userId}@example.com` },
      lines: [{ productId: randomUUID(), sku: 'SKU-1', name: 'Thing', unitPrice: usd(5), quantity: 2 }],
      total: usd(10),
      paymentToken: '',
      createdAt,
    },
  };
}
const confirmed = (orderId: string): events.v1.OrderEvent => ({
  eventId: randomUUID(),
  orderId,
  occurredAt: new Date(),
  orderConfirmed: { paymentId: `pay-${orderId}` },
});
const failed = (orderId: string): events.v1.OrderEvent => ({
  eventId: randomUUID(),
  orderId,
  occurredAt: new Date(),
  orderFailed: { reason: orders.v1.FailureReason.FAILURE_REASON_PAYMENT_DECLINED, message: 'card declined', paymentId: 'pay-x' },
});
const publish = (...list: events.v1.OrderEvent[]) =>
  producer.send(
    topics.orderEvents,
    list.map((e) => ({ key: e.orderId, value: events.v1.OrderEvent.encode(e).finish() })),
  );
const stored = (orderId: string, status: orders.v1.OrderStatus) =>
  eventually(async () => {
    const { order } = await client.getOrder({ orderId }).catch(() => ({ order: undefined }));
    return order?.status === status ? order : undefined;
  }, { what: `order ${orderId} in ${OrderStatus[status]}` });

describe('the MongoDB-protocol server', () => {
  it('enforces a unique index on insert and finds what was inserted', async () => {
    const things = db.collection<{ _id: string; sku: string }>(`smoke_${randomUUID().slice(0, 8)}`);
    await things.createIndex({ sku: 1 }, { unique: true });
    await things.insertOne({ _id: 'a', sku: 'X' });
    const dup = await things.insertOne({ _id: 'b', sku: 'X' }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(MongoServerError);
    expect((dup as MongoServerError).code).toBe(11000);
    expect(await things.find({ sku: 'X' }).toArray()).toEqual([{ _id: 'a', sku: 'X' }]);
  });
});

describe('order-store service', () => {
  it('starts again on an existing database (indexes already there)', async () => {
    const again = buildService(loadConfig({ ...process.env, MONGODB_URI: infra.mongodbUri, MONGODB_DB: mongoDb.name }), { db, kafka: run.kafka, log });
    await again.repo.ensureIndexes();
    await again.repo.ensureIndexes();
    const names = (await db.collection('orders').listIndexes().toArray()).map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['_id_', 'newest_first', 'by_customer', 'by_status']));
  });

  it('builds the order from its events, idempotently, with its history', async () => {
    const id = `ORD-${randomUUID()}`;
    const p = placed(id);
    const c = confirmed(id);
    await publish(p, p, c, c, failed(id)); // redeliveries and a contradicting late event
    const order = await stored(id, OrderStatus.ORDER_STATUS_CONFIRMED);
    await new Promise((r) => setTimeout(r, 300));
    const { order: again } = await client.getOrder({ orderId: id });
    expect(again).toEqual(order);
    expect(order).toMatchObject({
      orderId: id,
      paymentId: `pay-${id}`,
      total: usd(10),
      customer: { userId: 'u-1', email: 'u-1@example.com' },
      items: [{ sku: 'SKU-1', quantity: 2, lineTotal: usd(10) }],
    });
    expect(order.history.map((h) => h.status)).toEqual([OrderStatus.ORDER_STATUS_PENDING, OrderStatus.ORDER_STATUS_CONFIRMED]);
    expect(await db.collection('orders').countDocuments({ _id: id as never })).toBe(1);
    // Each event applied once, recorded in the same document write as its effect.
    expect((await db.collection('orders').findOne({ _id: id as never }))?.eventIds).toEqual([p.eventId, c.eventId]);
  });

  it('counts each order once where its state is stored: created, confirmed, failed by reason', async () => {
    const value = async (series: string) =>
      Number((await metrics.metrics()).split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1] ?? 0);
    const counts = async () => [
      await value('orders_created_total'),
      await value('orders_confirmed_total'),
      await value('orders_failed_total{reason="PAYMENT_DECLINED"}'),
    ];
    const before = await counts();
    const [a, b] = [`ORD-${randomUUID()}`, `ORD-${randomUUID()}`];
    await publish(placed(a), confirmed(a), confirmed(a), placed(b), failed(b));
    await publish(placed(a), failed(b)); // redelivered
    await stored(b, OrderStatus.ORDER_STATUS_FAILED);
    await stored(a, OrderStatus.ORDER_STATUS_CONFIRMED);
    await eventually(async () => (await counts()).every((n, i) => n - before[i]! === (i === 0 ? 2 : 1)), { what: 'the counters' });
  });

  it('answers NOT_FOUND for an unknown order', async () => {
    await expect(client.getOrder({ orderId: 'nope' })).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('streams the current state, then each change, and ends after a terminal state', async () => {
    const id = `ORD-${randomUUID()}`;
    await publish(placed(id));
    await stored(id, OrderStatus.ORDER_STATUS_PENDING);
    const seen: orders.v1.OrderStatus[] = [];
    const watching = (async () => {
      for await (const { order } of client.watchOrder({ orderId: id })) seen.push(order!.status);
    })();
    await eventually(() => seen.length === 1, { what: 'first state' });
    await publish(failed(id));
    await watching;
    expect(seen).toEqual([OrderStatus.ORDER_STATUS_PENDING, OrderStatus.ORDER_STATUS_FAILED]);
  });

  it('lists newest first, paged, filtered by customer and status', async () => {
    const user = `u-${randomUUID().slice(0, 6)}`;
    const ids = Array.from({ length: 5 }, (_, i) => `ORD-${user}-${i}`);
    await publish(...ids.map((id, i) => placed(id, user, new Date(Date.UTC(2026, 0, 1, 0, 0, i)))), confirmed(ids[4]!));
    await stored(ids[4]!, OrderStatus.ORDER_STATUS_CONFIRMED);
    await eventually(async () => (await client.listOrders({ customerUserId: user, pageSize: 10, pageToken: '', status: 0 })).orders.length === 5);
    const first = await client.listOrders({ customerUserId: user, pageSize: 2, pageToken: '', status: 0 });
    const second = await client.listOrders({ customerUserId: user, pageSize: 2, pageToken: first.nextPageToken, status: 0 });
    const third = await client.listOrders({ customerUserId: user, pageSize: 2, pageToken: second.nextPageToken, status: 0 });
    expect([...first.orders, ...second.orders, ...third.orders].map((o) => o.orderId)).toEqual([...ids].reverse());
    expect(third.nextPageToken).toBe('');
    const confirmedOnly = await client.listOrders({ customerUserId: user, pageSize: 10, pageToken: '', status: OrderStatus.ORDER_STATUS_CONFIRMED });
    expect(confirmedOnly.orders.map((o) => o.orderId)).toEqual([ids[4]]);
    await expect(client.listOrders({ customerUserId: '', pageSize: 0, pageToken: 'garbage', status: 0 })).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('holds a new order back for PENDING_HOLD_MS: one that ends meanwhile is stored once, ended; the others as PENDING', async () => {
    const count = (id: string) => db.collection('orders').countDocuments({ _id: id as never });
    const [quick, slow] = [`ORD-${randomUUID()}`, `ORD-${randomUUID()}`];
    await publish(placed(quick), placed(slow));
    await new Promise((r) => setTimeout(r, 400));
    expect([await count(quick), await count(slow)]).toEqual([0, 0]); // held (1000 ms)
    await publish(confirmed(quick));
    const done = await stored(quick, OrderStatus.ORDER_STATUS_CONFIRMED);
    expect(done.history.map((h) => h.status)).toEqual([OrderStatus.ORDER_STATUS_PENDING, OrderStatus.ORDER_STATUS_CONFIRMED]);
    await stored(slow, OrderStatus.ORDER_STATUS_PENDING);
    await publish(confirmed(slow));
    await stored(slow, OrderStatus.ORDER_STATUS_CONFIRMED);
  });

  it('leaves a held-back order uncommitted: an instance stopped while holding it loses nothing', async () => {
    const elsewhere = createTestMongoDb(infra);
    const env = { ...process.env, MONGODB_URI: infra.mongodbUri, MONGODB_DB: elsewhere.name, KAFKA_TOPIC_PREFIX: run.prefix, KAFKA_GROUP_ID: `order-store-${randomUUID()}` };
    const { client: direct, db: other } = await connectMongo(infra.mongodbUri, elsewhere.name);
    const instance = (holdMs: string) => buildService(loadConfig({ ...env, PENDING_HOLD_MS: holdMs }), { db: other, kafka: run.kafka, log });
    try {
      const id = `ORD-${randomUUID()}`;
      const holding = instance('60000');
      await holding.start();
      await publish(placed(id));
      await eventually(async () => (await holding.metrics.metrics()).includes('kafka_consume_duration_seconds_count'), { what: 'the OrderPlaced consumed' });
      await holding.stop();
      expect(await other.collection('orders').countDocuments({ _id: id as never })).toBe(0);
      const next = instance('0');
      await next.start();
      try {
        await eventually(async () => (await other.collection('orders').findOne({ _id: id as never }))?.status === 'PENDING', { what: 'the order stored by the next instance' });
      } finally {
        await next.stop();
      }
    } finally {
      await direct.close();
      await elsewhere.drop();
    }
  });

  it('keeps a held-back order uncommitted while storing it fails: an instance stopped meanwhile loses nothing', async () => {
    const elsewhere = createTestMongoDb(infra);
    const viaProxy = new URL(infra.mongodbUri);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const env = { ...process.env, MONGODB_DB: elsewhere.name, KAFKA_TOPIC_PREFIX: run.prefix, KAFKA_GROUP_ID: `order-store-${randomUUID()}` };
    const proxied = await connectMongo(viaProxy.toString(), elsewhere.name);
    const direct = await connectMongo(infra.mongodbUri, elsewhere.name);
    try {
      const id = `ORD-${randomUUID()}`;
      const holding = buildService(loadConfig({ ...env, PENDING_HOLD_MS: '200' }), { db: proxied.db, kafka: run.kafka, log });
      await holding.start();
      proxy.cut();
      try {
        await publish(placed(id));
        await new Promise((r) => setTimeout(r, 2500)); // due, its storing failing, commits every second
        await holding.stop();
      } finally {
        proxy.restore();
      }
      expect(await direct.db.collection('orders').countDocuments({ _id: id as never })).toBe(0);
      const next = buildService(loadConfig({ ...env, PENDING_HOLD_MS: '0' }), { db: direct.db, kafka: run.kafka, log });
      await next.start();
      try {
        await eventually(async () => (await direct.db.collection('orders').findOne({ _id: id as never }))?.status === 'PENDING', {
          what: 'the order stored by the next instance',
        });
      } finally {
        await next.stop();
      }
    } finally {
      await proxied.client.close();
      await direct.client.close();
      await elsewhere.drop();
    }
  });

  it('waits for MongoDB when it is down and stores the order once it is back', async () => {
    const id = `ORD-${randomUUID()}`;
    proxy.cut();
    try {
      await publish(placed(id), confirmed(id));
      await new Promise((r) => setTimeout(r, 1500));
      const direct = await MongoClient.connect(infra.mongodbUri);
      expect(await direct.db(mongoDb.name).collection('orders').countDocuments({ _id: id as never })).toBe(0);
      await direct.close();
    } finally {
      proxy.restore();
    }
    const order = await stored(id, OrderStatus.ORDER_STATUS_CONFIRMED);
    expect(order.history).toHaveLength(2);
  });
});
