import * as grpc from '@grpc/grpc-js';
import { isAppError } from '@order-system/errors';
import { CORRELATION_HEADER, createServiceClient } from '@order-system/grpc';
import { createMetricsRegistry } from '@order-system/metrics';
import { inventory, orders } from '@order-system/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { withBatchedReservations } from '../src/adapters/batched-reservations.js';
import type { InventoryClient } from '../src/app/deps.js';

/**
 * The gateway's batching of ReserveStock calls, over real gRPC, against a
 * stand-in inventory that records each call and answers only when the test
 * lets it.
 */
interface Received {
  method: 'ReserveStock' | 'ReserveStocks';
  /** Order id and correlation id of each order the call carried. */
  orders: { orderId: string; correlationId: string }[];
  answer(reply: (orderId: string) => inventory.v1.ReserveStockResult): void;
}

const { InventoryServiceService: definition } = inventory.v1;
let stop: (() => void) | undefined;
afterEach(() => stop?.());

async function standIn({ servesBatches = true, maxInFlight = 1 } = {}) {
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const received: Received[] = [];
  const server = new grpc.Server();
  const { reserveStock, reserveStocks } = definition;
  const served: grpc.ServiceDefinition = servesBatches ? { reserveStock, reserveStocks } : { reserveStock };
  server.addService(served, {
    reserveStock(call: grpc.ServerUnaryCall<inventory.v1.ReserveStockRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const orderId = call.request.order!.orderId;
      received.push({
        method: 'ReserveStock',
        orders: [{ orderId, correlationId: String(call.metadata.get(CORRELATION_HEADER)[0]) }],
        answer: (reply) => {
          const { reserved, failed } = reply(orderId);
          if (failed) callback({ code: failed.code, details: failed.message });
          else callback(null, reserved);
        },
      });
    },
    reserveStocks(call: grpc.ServerUnaryCall<inventory.v1.ReserveStocksRequest, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const batch = call.request.orders.map((o) => ({ orderId: o.order!.orderId, correlationId: o.correlationId }));
      received.push({
        method: 'ReserveStocks',
        orders: batch,
        answer: (reply) => callback(null, { results: batch.map((o) => reply(o.orderId)) }),
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const client = createServiceClient(definition, `127.0.0.1:${port}`);
  stop = () => {
    client.close();
    server.forceShutdown();
  };
  const batched = withBatchedReservations(client as InventoryClient, { maxBatch: 10, maxInFlight, defaultTimeoutMs: 5000, metrics });
  const place = (orderId: string, signal?: AbortSignal, timeoutMs?: number) =>
    batched.reserveStock({ order: orders.v1.CreateOrderRequest.fromPartial({ orderId }) }, { correlationId: `c-${orderId}`, signal, timeoutMs });
  /** Waits until the stand-in has received `n` calls in all. */
  const calls = async (n: number) => {
    for (let i = 0; i < 300 && received.length < n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(received).toHaveLength(n);
    return received;
  };
  /** gateway_reserve_call_orders: how many calls, and how many orders they carried. */
  const carried = async () => {
    const { values } = await metrics.getSingleMetric('gateway_reserve_call_orders')!.get();
    const total = (name: string) => values.find((v) => (v as { metricName?: string }).metricName === name)?.value;
    return { calls: total('gateway_reserve_call_orders_count'), orders: total('gateway_reserve_call_orders_sum') };
  };
  return { place, calls, carried };
}

const reserved = (orderId: string): inventory.v1.ReserveStockResult => ({
  reserved: { created: true, order: orders.v1.Order.fromPartial({ orderId }) },
});
const settled = (calls: Promise<unknown>[]) =>
  Promise.allSettled(calls).then((all) => all.map((s) => (s.status === 'fulfilled' ? s.value : s.reason)));

describe('batched reservations', () => {
  it('sends an order at once, and the orders that arrive meanwhile in one ReserveStocks, each with its own outcome', async () => {
    const { place, calls, carried } = await standIn();
    const first = place('A');
    const [lone] = await calls(1);
    expect(lone).toMatchObject({ method: 'ReserveStock', orders: [{ orderId: 'A', correlationId: 'c-A' }] });

    const rest = ['B', 'C', 'D'].map((id) => place(id));
    await new Promise((r) => setTimeout(r, 50));
    expect(await calls(1)).toHaveLength(1); // nothing more while the one call is out
    lone!.answer(reserved);
    const [, batch] = await calls(2);
    expect(batch!.method).toBe('ReserveStocks');
    expect(batch!.orders).toEqual(['B', 'C', 'D'].map((id) => ({ orderId: id, correlationId: `c-${id}` })));
    batch!.answer((id) => {
      if (id === 'C') return { failed: { code: grpc.status.FAILED_PRECONDITION, message: 'insufficient stock for product P' } };
      if (id === 'D') return { failed: { code: grpc.status.UNAVAILABLE, message: 'database down' } };
      return reserved(id);
    });

    const [a, b, c, d] = await settled([first, ...rest]);
    expect(a).toMatchObject({ created: true, order: { orderId: 'A' } });
    expect(b).toMatchObject({ created: true, order: { orderId: 'B' } });
    expect(isAppError(c, 'failed_precondition') && c.message).toBe('insufficient stock for product P');
    expect(isAppError(d, 'unavailable') && d.message).toBe('inventory.v1.InventoryService is unavailable: database down');
    expect(await carried()).toEqual({ calls: 2, orders: 4 });
  });

  it('sends each order of a batch alone when inventory does not serve ReserveStocks', async () => {
    const { place, calls } = await standIn({ servesBatches: false });
    const first = place('A');
    (await calls(1))[0]!.answer(reserved);
    await first;
    const blocker = place('B');
    await calls(2);
    const rest = ['C', 'D'].map((id) => place(id));
    (await calls(2))[1]!.answer(reserved);
    // The ReserveStocks call for C and D fails UNIMPLEMENTED (the stand-in never sees it): each goes alone, in turn.
    const third = (await calls(3))[2]!;
    expect([third.method, third.orders]).toEqual(['ReserveStock', [{ orderId: 'C', correlationId: 'c-C' }]]);
    third.answer(reserved);
    const fourth = (await calls(4))[3]!;
    expect([fourth.method, fourth.orders]).toEqual(['ReserveStock', [{ orderId: 'D', correlationId: 'c-D' }]]);
    fourth.answer(() => ({ failed: { code: grpc.status.INVALID_ARGUMENT, message: 'product "X" does not exist' } }));
    const [b, c, d] = await settled([blocker, ...rest]);
    expect(b).toMatchObject({ order: { orderId: 'B' } });
    expect(c).toMatchObject({ order: { orderId: 'C' } });
    expect(isAppError(d, 'invalid') && d.message).toBe('product "X" does not exist');
  });

  it('answers an order whose caller went away at once, and leaves it out of its batch if not yet sent', async () => {
    const { place, calls } = await standIn();
    const first = place('A');
    const [lone] = await calls(1);
    const gone = new AbortController();
    const leaving = place('B', gone.signal);
    const staying = place('C');
    gone.abort();
    const [b] = await settled([leaving]);
    expect(isAppError(b, 'unavailable') && b.message).toBe('the caller went away before inventory answered');

    lone!.answer(reserved);
    const [, batch] = await calls(2);
    expect(batch).toMatchObject({ method: 'ReserveStocks', orders: [{ orderId: 'C', correlationId: 'c-C' }] });
    batch!.answer(reserved);
    expect(await settled([first, staying])).toMatchObject([{ order: { orderId: 'A' } }, { order: { orderId: 'C' } }]);
  });

  it('gives a batch the deadline of its earliest order, and fails its orders together when it passes', async () => {
    const { place, calls } = await standIn();
    const first = place('A');
    const [lone] = await calls(1);
    const hasty = place('B', undefined, 200);
    const patient = place('C', undefined, 60_000);
    lone!.answer(reserved);
    await calls(2); // B and C in one ReserveStocks, which the stand-in never answers
    const started = Date.now();
    const [b, c] = await settled([hasty, patient]);
    expect(Date.now() - started).toBeLessThan(2000);
    for (const err of [b, c]) expect(isAppError(err, 'unavailable') && err.message).toMatch(/^inventory.v1.InventoryService is unavailable: Deadline exceeded/);
    await first;
  });
});
