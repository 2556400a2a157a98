import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ORDERS_ADMIN } from '@order-system/auth';
import { createServiceClient } from '@order-system/grpc';
import { decodeEvent, topicNames } from '@order-system/kafka';
import { events, orders } from '@order-system/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type System } from './system.js';

const { OrderStatus } = orders.v1;
let sys: System;
beforeAll(async () => {
  sys = await startSystem({ instances: 2, env: { PAYMENT_FAILURE_RATE: '0.3' } });
  await sys.consumersSettled(); // both instances of each service own partitions before any order
}, 180_000);
afterAll(() => sys?.stop());

describe('two instances of every service', () => {
  it('share the work with no duplicated effects, and WatchOrder works through either gateway', async () => {
    const gateways = ['gateway', 'gateway-2'].map((name) =>
      createServiceClient(orders.v1.OrderServiceService, `127.0.0.1:${sys.grpcPort(name)}`, { defaultTimeoutMs: 10_000 }),
    );
    const products = await Promise.all(
      [1, 2, 3].map(async (i) => (await sys.catalogAdmin.upsertProduct({ productId: '', sku: `SCALE-${i}-${randomUUID().slice(0, 6)}`, name: 'x', price: { currencyCode: 'USD', units: 3, nanos: 0 }, stock: 40 })).product!),
    );
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const orderId = `ORD-SCALE-${i}-${randomUUID().slice(0, 8)}`;
        const req: orders.v1.CreateOrderRequest = {
          orderId,
          customer: { userId: `u${i % 5}`, email: `u${i % 5}@example.com` },
          items: [{ productId: products[i % 3]!.productId, sku: '', quantity: 1 + (i % 2), expectedUnitPrice: undefined }],
          paymentToken: '',
        };
        // The same order through both gateways: one order.
        const headers = { authorization: await sys.auth.bearer(req.customer!.userId) };
        await Promise.all(gateways.map((g) => g.createOrder(req, { headers })));
        ids.push(orderId);
      }),
    );

    // Placed through gateway 1, watched through gateway 2 (and so through order-store 2).
    const watched = ids[0]!;
    const seen: orders.v1.OrderStatus[] = [];
    const headers = { authorization: await sys.auth.bearer('e2e-reader', [ORDERS_ADMIN]) };
    for await (const { order } of gateways[1]!.watchOrder({ orderId: watched }, { headers })) seen.push(order!.status);
    expect([OrderStatus.ORDER_STATUS_CONFIRMED, OrderStatus.ORDER_STATUS_FAILED]).toContain(seen.at(-1));

    const report = await sys.quietInvariants();
    expect(report.drift).toEqual([]);
    expect(report.orders.confirmed + report.orders.failed).toBe(60);
    expect(report.orders.stored).toBe(60);

    // One payment result per order: redeliveries, if any, carry the same event id and outcome.
    const results = new Map<string, Set<string>>();
    // Every order is terminal (quietInvariants), so every payment result is on the topic: read it to its end.
    await sys.kafka.drain(
      topicNames(sys.topicPrefix).paymentEvents,
      `read-${randomUUID()}`,
      async (m) => {
        const e = decodeEvent(events.v1.PaymentEvent, m);
        if (!e.paymentProcessed) return;
        const outcomes = results.get(e.orderId) ?? new Set();
        outcomes.add(`${e.eventId}:${e.paymentProcessed.outcome}`);
        results.set(e.orderId, outcomes);
      },
      { temporary: true },
    );
    expect(results.size).toBe(60);
    for (const id of ids) expect(results.get(id)?.size).toBe(1);

    // Both instances of each consumer took part.
    for (const [app, line] of [['payment', 'payment processed'], ['inventory', 'payment settled'], ['order-store', 'order event recorded']]) {
      for (const name of [app!, `${app}-2`]) {
        const log = await readFile(path.join(sys.logDir, `${name}.log`), 'utf8');
        expect({ name, worked: log.includes(line!) }).toEqual({ name, worked: true });
      }
    }
    for (const g of gateways) g.close();
  }, 180_000);
});
