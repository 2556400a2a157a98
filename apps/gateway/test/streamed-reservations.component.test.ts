import * as grpc from '@grpc/grpc-js';
import { isAppError } from '@order-system/errors';
import { PassThrough } from 'node:stream';
import { bindService, createServiceClient, startGrpcServer, type RunningGrpcServer } from '@order-system/grpc';
import { createLogger, memoryDestination } from '@order-system/logger';
import { createMetricsRegistry } from '@order-system/metrics';
import { descriptorSetBase64, inventory, orders } from '@order-system/proto';
import { eventually } from '@order-system/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { withStreamedReservations } from '../src/adapters/streamed-reservations.js';
import type { InventoryClient } from '../src/app/deps.js';

/**
 * The gateway's reservations as messages of one ReserveStockStream, over real
 * gRPC, against a stand-in inventory that records each stream and answers
 * only when the test tells it to.
 */
interface Stream {
  /** Order id and correlation id of each order received, with its id. */
  requests: { id: number; orderId: string; correlationId: string }[];
  /** How many orders each message carried. */
  messages: number[];
  answer(orderId: string, result: inventory.v1.ReserveStockResult): void;
  /** Ends the call OK, as an inventory shutting down does. */
  end(): void;
  fail(code: grpc.status, details: string): void;
}

const { InventoryServiceService: definition } = inventory.v1;
let stop: (() => void) | undefined;
afterEach(() => stop?.());

async function standIn() {
  const metrics = createMetricsRegistry({ defaultMetrics: false });
  const streams: Stream[] = [];
  const server = new grpc.Server();
  server.addService({ reserveStockStream: definition.reserveStockStream }, {
    reserveStockStream(call: grpc.ServerDuplexStream<inventory.v1.ReserveStockStreamRequest, inventory.v1.ReserveStockStreamResponse>) {
      const stream: Stream = {
        requests: [],
        messages: [],
        answer: (orderId, result) => call.write({ results: [{ id: stream.requests.find((r) => r.orderId === orderId)!.id, result }] }),
        end: () => call.end(),
        fail: (code, details) => call.emit('error', { code, details }),
      };
      call.on('data', ({ orders }: inventory.v1.ReserveStockStreamRequest) => {
        stream.messages.push(orders.length);
        for (const o of orders) stream.requests.push({ id: o.id, orderId: o.order!.orderId, correlationId: o.correlationId });
      });
      streams.push(stream);
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
  const streamed = withStreamedReservations(client as InventoryClient, { defaultTimeoutMs: 5000, metrics });
  const place = (orderId: string, signal?: AbortSignal, timeoutMs?: number) =>
    streamed.reserveStock({ order: orders.v1.CreateOrderRequest.fromPartial({ orderId }) }, { correlationId: `c-${orderId}`, signal, timeoutMs });
  /** Waits until the stand-in has received `n` requests on its stream number `i`, and returns that stream. */
  const received = async (i: number, n: number) => {
    await until(() => (streams[i]?.requests.length ?? 0) >= n);
    expect(streams).toHaveLength(i + 1);
    expect(streams[i]!.requests).toHaveLength(n);
    return streams[i]!;
  };
  /** gateway_reservation_duration_seconds: orders timed, by outcome. */
  const outcomes = async () => {
    const { values } = await metrics.getSingleMetric('gateway_reservation_duration_seconds')!.get();
    const counts = values.filter((v) => (v as { metricName?: string }).metricName === 'gateway_reservation_duration_seconds_count');
    return Object.fromEntries(counts.map((v) => [v.labels.outcome, v.value]));
  };
  return { place, received, streams, outcomes };
}

const until = (condition: () => boolean) => eventually(condition, { timeoutMs: 3000, intervalMs: 10 });

const reserved = (orderId: string): inventory.v1.ReserveStockResult => ({
  reserved: { created: true, order: orders.v1.Order.fromPartial({ orderId }) },
});
const settled = (placed: Promise<unknown>[]) =>
  Promise.allSettled(placed).then((all) => all.map((s) => (s.status === 'fulfilled' ? s.value : s.reason)));

describe('streamed reservations', () => {
  it('sends every order on one stream with its correlation id, each getting its own answer in whatever order they come', async () => {
    const { place, received, outcomes } = await standIn();
    const placed = ['A', 'B', 'C'].map((id) => place(id));
    const stream = await received(0, 3);
    expect(stream.messages).toEqual([3]); // placed in one turn of the event loop: one message
    expect(stream.requests.map(({ orderId, correlationId }) => ({ orderId, correlationId }))).toEqual(
      ['A', 'B', 'C'].map((id) => ({ orderId: id, correlationId: `c-${id}` })),
    );
    expect(new Set(stream.requests.map((r) => r.id)).size).toBe(3);
    stream.answer('C', { failed: { code: grpc.status.UNAVAILABLE, message: 'database down' } });
    stream.answer('B', { failed: { code: grpc.status.FAILED_PRECONDITION, message: 'insufficient stock for product P' } });
    stream.answer('A', reserved('A'));

    const [a, b, c] = await settled(placed);
    expect(a).toMatchObject({ created: true, order: { orderId: 'A' } });
    expect(isAppError(b, 'failed_precondition') && b.message).toBe('insufficient stock for product P');
    expect(isAppError(c, 'unavailable') && c.message).toBe('inventory.v1.InventoryService is unavailable: database down');

    const later = place('D');
    (await received(0, 4)).answer('D', reserved('D'));
    expect(stream.messages).toEqual([3, 1]);
    expect(await later).toMatchObject({ order: { orderId: 'D' } });
    expect(await outcomes()).toEqual({ reserved: 2, failed: 2 });
  });

  it('answers an order whose caller went away, or whose deadline passed, at once, and forgets it', async () => {
    const { place, received, outcomes } = await standIn();
    const gone = new AbortController();
    const leaving = place('A', gone.signal);
    const hasty = place('B', undefined, 200);
    const staying = place('C');
    const early = new AbortController();
    const unsent = settled([place('X', early.signal)]);
    early.abort(); // before the order's turn of the event loop ended: it is never sent
    const stream = await received(0, 3);
    expect(stream.requests.map((r) => r.orderId)).toEqual(['A', 'B', 'C']);
    const [x] = await unsent;
    expect(isAppError(x, 'unavailable') && x.message).toBe('the caller went away before inventory answered');
    gone.abort();
    const started = Date.now();
    const [a, b] = await settled([leaving, hasty]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(isAppError(a, 'unavailable') && a.message).toBe('the caller went away before inventory answered');
    expect(isAppError(b, 'unavailable') && b.message).toBe('inventory.v1.InventoryService is unavailable: no answer within 200 ms');

    stream.answer('C', reserved('C'));
    expect(await staying).toMatchObject({ order: { orderId: 'C' } });
    stream.answer('A', reserved('A')); // too late: dropped
    expect(await outcomes()).toEqual({ cancelled: 2, deadline: 1, reserved: 1 });

    // Forgotten, A and B are not among the unanswered orders sent again after a clean end.
    stream.end();
    const next = place('D');
    expect((await received(1, 1)).requests.map((r) => r.orderId)).toEqual(['D']);
    (await received(1, 1)).answer('D', reserved('D'));
    expect(await next).toMatchObject({ order: { orderId: 'D' } });
  });

  it('sends the orders a cleanly ended stream did not answer once more on a new one, and fails them if it happens again', async () => {
    const { place, received, streams } = await standIn();
    const placed = ['A', 'B'].map((id) => place(id));
    const first = await received(0, 2);
    first.answer('A', reserved('A'));
    first.end();

    const second = await received(1, 1);
    expect(second.requests[0]).toMatchObject({ orderId: 'B', correlationId: 'c-B' });
    const again = place('C');
    await received(1, 2);
    second.answer('C', reserved('C'));
    expect(await again).toMatchObject({ order: { orderId: 'C' } });
    second.end();

    const [a, b] = await settled(placed);
    expect(a).toMatchObject({ order: { orderId: 'A' } });
    expect(isAppError(b, 'unavailable') && b.message).toBe(
      'inventory.v1.InventoryService is unavailable: it ended the reservation stream twice without answering',
    );
    expect(streams).toHaveLength(2);
  });

  it('fails the orders of a broken stream with its error, and opens a new one for the next order', async () => {
    const { place, received } = await standIn();
    const placed = ['A', 'B'].map((id) => place(id));
    const first = await received(0, 2);
    first.answer('A', reserved('A'));
    first.fail(grpc.status.UNAVAILABLE, 'connection reset');
    const [a, b] = await settled(placed);
    expect(a).toMatchObject({ order: { orderId: 'A' } });
    expect(isAppError(b, 'unavailable') && b.message).toBe('inventory.v1.InventoryService is unavailable: connection reset');

    const next = place('C');
    (await received(1, 1)).answer('C', reserved('C'));
    expect(await next).toMatchObject({ order: { orderId: 'C' } });
  });

  it('against our own server: the orders it took before closing are answered, one sent after is never taken', async () => {
    const log = createLogger({ service: 'test', level: 'silent', destination: memoryDestination() });
    const taken: string[] = [];
    const held: (() => void)[] = [];
    const services = [
      bindService(
        { reserveStockStream: definition.reserveStockStream },
        {
          reserveStockStream(requests: AsyncIterable<inventory.v1.ReserveStockStreamRequest>) {
            const responses = new PassThrough({ objectMode: true });
            let open = 1;
            const done = () => --open === 0 && responses.end();
            void (async () => {
              for await (const { orders: sent } of requests) {
                for (const { id, order } of sent) {
                  taken.push(order!.orderId);
                  open++;
                  held.push(() => (responses.write({ results: [{ id, result: reserved(order!.orderId) }] }), done()));
                }
              }
              done();
            })();
            return responses;
          },
        },
      ),
    ];
    const first = await startGrpcServer({ host: '127.0.0.1', port: 0, services, descriptorSetBase64, log });
    const client = createServiceClient(definition, `127.0.0.1:${first.port}`);
    const later: RunningGrpcServer[] = [];
    stop = () => {
      client.close();
      for (const server of later) void server.close(100);
    };
    const streamed = withStreamedReservations(client as InventoryClient, { defaultTimeoutMs: 5000 });
    const place = (orderId: string) => streamed.reserveStock({ order: orders.v1.CreateOrderRequest.fromPartial({ orderId }) });

    const before = ['A', 'B'].map(place);
    await until(() => taken.length === 2);
    const closed = first.close(5000);
    const after = place('C'); // on the stream still open, after the server stopped taking orders
    await new Promise((r) => setTimeout(r, 100));
    for (const answer of held.splice(0)) answer();
    const [a, b, c] = await settled([...before, after]);
    await closed;
    expect(a).toMatchObject({ order: { orderId: 'A' } });
    expect(b).toMatchObject({ order: { orderId: 'B' } });
    // C was never taken: sent again on a new stream, which found no server, so it fails as a call would.
    expect(taken).toEqual(['A', 'B']);
    expect(isAppError(c, 'unavailable')).toBe(true);

    later.push(await startGrpcServer({ host: '127.0.0.1', port: first.port, services, descriptorSetBase64, log }));
    // The client reconnects in its own time: the first orders may still find no server.
    let next: unknown;
    for (let i = 0; i < 50 && (next === undefined || next instanceof Error); i++) {
      let outcome: unknown;
      void settled([place(`D${i}`)]).then(([o]) => (outcome = o ?? null));
      while (outcome === undefined) {
        held.splice(0).forEach((answer) => answer());
        await new Promise((r) => setTimeout(r, 10));
      }
      next = outcome;
      if (next instanceof Error) await new Promise((r) => setTimeout(r, 100));
    }
    expect(next).toMatchObject({ order: { orderId: expect.stringMatching(/^D/) } });
    expect(taken.slice(0, 2)).toEqual(['A', 'B']);
    expect(taken).not.toContain('C');
  });
});
