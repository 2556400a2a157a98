import { createLogger, memoryDestination } from '@order-system/logger';
import { descriptorSetBase64, orders } from '@order-system/proto';
import { eventually } from '@order-system/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bindService, createServiceClient, startGrpcServer, type CallContext, type RunningGrpcServer } from '../src/index.js';
import type { ServiceHandlers } from '../src/service.js';

/**
 * A caller going away reaches every call made on its behalf: the front
 * server passes its ctx.signal on to its call to the back server,
 * whose handler sees its own signal abort.
 */
const log = createLogger({ service: 'test', level: 'silent', destination: memoryDestination() });
const unused = async () => {
  throw new Error('unused');
};

/** What the back server's handler saw, by order id. */
const back = new Map<string, { aborted: Promise<void> }>();
/** The front handler's context after its call to the back server ended, and the listeners it saw called, by order id. */
const front = new Map<string, { ctx: CallContext; fired: string[] }>();

type OrderService = typeof orders.v1.OrderServiceService;
let backServer: RunningGrpcServer;
let frontServer: RunningGrpcServer;
let backClient: ReturnType<typeof createServiceClient<OrderService>>;
let client: ReturnType<typeof createServiceClient<OrderService>>;

/** A server whose GetOrder is getOrder, and a client of it. */
async function serve(getOrder: ServiceHandlers<OrderService>['getOrder']) {
  const services = [bindService(orders.v1.OrderServiceService, { getOrder, createOrder: unused, listOrders: unused, async *watchOrder() {} })];
  const server = await startGrpcServer({ host: '127.0.0.1', port: 0, descriptorSetBase64, log, services });
  return { server, client: createServiceClient(orders.v1.OrderServiceService, `127.0.0.1:${server.port}`) };
}

beforeAll(async () => {
  ({ server: backServer, client: backClient } = await serve(async (req, ctx) => {
    const aborted = new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    back.set(req.orderId, { aborted });
    if (req.orderId.startsWith('held')) await aborted;
    return { order: orders.v1.Order.fromPartial({ orderId: req.orderId }) };
  }));
  ({ server: frontServer, client } = await serve(async (req, ctx) => {
    const fired: string[] = [];
    const removed = () => fired.push('removed');
    ctx.signal.addEventListener('abort', removed);
    ctx.signal.addEventListener('abort', () => fired.push('kept'));
    ctx.signal.removeEventListener('abort', removed);
    try {
      return await backClient.getOrder(req, { signal: ctx.signal });
    } finally {
      front.set(req.orderId, { ctx, fired });
    }
  }));
});
afterAll(async () => {
  client?.close();
  backClient?.close();
  await frontServer?.close(100);
  await backServer?.close(100);
});

describe('cancellation', () => {
  it('cancels the calls a handler made with ctx.signal when its caller goes away', async () => {
    const caller = new AbortController();
    const call = client.getOrder({ orderId: 'held-1' }, { signal: caller.signal }).catch((err: Error & { kind?: string }) => err);
    await eventually(() => back.has('held-1'), { what: 'the back server to have the call' });
    caller.abort();

    await back.get('held-1')!.aborted; // the back server's handler saw its caller, the front server, go away
    await eventually(() => front.has('held-1'), { what: 'the front handler to end' });
    const { ctx, fired } = front.get('held-1')!;
    expect(fired).toEqual(['kept']);
    expect(ctx.signal.aborted).toBe(true);
    expect(await call).toBeInstanceOf(Error);
  });

  it('leaves an answered call uncancelled, though grpc-js reports its stream closing as cancelled', async () => {
    const answer = await client.getOrder({ orderId: 'quick-1' });
    expect(answer.order?.orderId).toBe('quick-1');
    await eventually(() => front.has('quick-1'), { what: 'the front handler to end' });
    const { ctx, fired } = front.get('quick-1')!;
    ctx.signal.addEventListener('abort', () => fired.push('signal'));
    await new Promise((r) => setTimeout(r, 50));
    expect(ctx.signal.aborted).toBe(false);
    expect(fired).toEqual([]);
  });
});
