import { createLogger, memoryDestination } from '@order-system/logger';
import { descriptorSetBase64, orders } from '@order-system/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindService, createServiceClient, startGrpcServer, type RunningGrpcServer } from '../src/index.js';

/**
 * maxConcurrentStreams bounds what one client connection has open on the
 * server. What we rely on from grpc-js: calls beyond it wait in the client
 * and go out as streams close; none fails for it.
 */
const LIMIT = 3;
const held: (() => void)[] = [];
let peak = 0;
let open = 0;

const services = [
  bindService(orders.v1.OrderServiceService, {
    async getOrder(req) {
      open++;
      peak = Math.max(peak, open);
      await new Promise<void>((resolve) => held.push(resolve));
      open--;
      return { order: orders.v1.Order.fromPartial({ orderId: req.orderId }) };
    },
    async createOrder() {
      throw new Error('unused');
    },
    async listOrders() {
      return { orders: [], nextPageToken: '' };
    },
    async *watchOrder() {},
  }),
];

let server: RunningGrpcServer;
let client: ReturnType<typeof createServiceClient<typeof orders.v1.OrderServiceService>>;

beforeAll(async () => {
  const log = createLogger({ service: 'test', level: 'silent', destination: memoryDestination() });
  server = await startGrpcServer({ host: '127.0.0.1', port: 0, services, descriptorSetBase64, log, maxConcurrentStreams: LIMIT });
  client = createServiceClient(orders.v1.OrderServiceService, `127.0.0.1:${server.port}`);
});
afterAll(async () => {
  client?.close();
  await server?.close(100);
});

async function until(condition: () => boolean) {
  for (let i = 0; i < 300 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

describe('maxConcurrentStreams', () => {
  it('holds calls beyond the limit in the client until streams close, and answers every one', async () => {
    let settled = 0;
    const calls = Array.from({ length: 2 * LIMIT + 1 }, (_, i) =>
      client.getOrder({ orderId: `ORD-${i}` }, { timeoutMs: 10_000 }).finally(() => settled++),
    );
    await until(() => held.length === LIMIT);
    await new Promise((r) => setTimeout(r, 100));
    expect(held).toHaveLength(LIMIT); // the others have not reached the server

    // Until every call is answered: a waiting call reaches the server only after a stream closes.
    while (settled < calls.length) {
      for (const release of held.splice(0)) release();
      await new Promise((r) => setTimeout(r, 20));
    }
    const answers = await Promise.all(calls);
    expect(answers.map((a) => a.order?.orderId)).toEqual(Array.from({ length: 2 * LIMIT + 1 }, (_, i) => `ORD-${i}`));
    expect(peak).toBe(LIMIT);
  });
});
