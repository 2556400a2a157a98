import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { notFound } from '@order-system/errors';
import { createLogger, currentCorrelationId, memoryDestination } from '@order-system/logger';
import { createMetricsRegistry } from '@order-system/metrics';
import { descriptorSetBase64, orders } from '@order-system/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bindService,
  connectRoutes,
  createServiceClient,
  descriptorRegistry,
  startGrpcServer,
  type RunningGrpcServer,
} from '../src/index.js';

const logged = memoryDestination();
const log = createLogger({ service: 'test', level: 'info', destination: logged });

/** An order service whose orders are named after the correlation id they were read under. */
const services = [
  bindService(orders.v1.OrderServiceService, {
    async createOrder() {
      throw new Error('not a business error: INTERNAL');
    },
    async getOrder(req) {
      log.info({ orderId: req.orderId }, 'get order');
      if (req.orderId === 'missing') throw notFound('order missing not found');
      return { order: orders.v1.Order.fromPartial({ orderId: currentCorrelationId() }) };
    },
    async listOrders() {
      return { orders: [], nextPageToken: '' };
    },
    async *watchOrder(req) {
      for (let i = 0; i < 2; i++) yield { order: orders.v1.Order.fromPartial({ orderId: `${req.orderId}:${currentCorrelationId()}` }) };
    },
  }),
];

const serverMetrics = createMetricsRegistry();
const clientMetrics = createMetricsRegistry();
let grpcServer: RunningGrpcServer;
let httpServer: http.Server;
let client: ReturnType<typeof createServiceClient<typeof orders.v1.OrderServiceService>>;
let connectUrl: string;

beforeAll(async () => {
  grpcServer = await startGrpcServer({ host: '127.0.0.1', port: 0, services, descriptorSetBase64, log, metrics: serverMetrics });
  client = createServiceClient(orders.v1.OrderServiceService, `127.0.0.1:${grpcServer.port}`, { metrics: clientMetrics });
  const routes = connectRoutes(descriptorRegistry(descriptorSetBase64), services, log, serverMetrics);
  httpServer = http.createServer(connectNodeAdapter({ routes }));
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  connectUrl = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/orders.v1.OrderService`;
});

afterAll(async () => {
  client?.close();
  await grpcServer?.close(100);
  httpServer?.close();
});

const count = async (registry: typeof serverMetrics, series: string) => {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
};
const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable(), (err: Error & { kind?: string }) => err);

describe('gRPC server and client', () => {
  it('time each RPC by service, method and status code', async () => {
    await client.getOrder({ orderId: 'ORD-1' });
    await client.getOrder({ orderId: 'ORD-2' });
    expect((await failure(client.getOrder({ orderId: 'missing' }))).kind).toBe('not_found');
    expect((await failure(client.createOrder(orders.v1.CreateOrderRequest.fromPartial({})))).kind).toBe('internal');
    const watched = [];
    for await (const res of client.watchOrder({ orderId: 'ORD-3' })) watched.push(res.order?.orderId);
    expect(watched).toHaveLength(2);

    const server = (method: string, code: string) =>
      count(serverMetrics, `rpc_server_duration_seconds_count{service="orders.v1.OrderService",method="${method}",code="${code}",transport="grpc"}`);
    expect(await server('GetOrder', 'OK')).toBe(2);
    expect(await server('GetOrder', 'NOT_FOUND')).toBe(1);
    expect(await server('CreateOrder', 'INTERNAL')).toBe(1);
    expect(await server('WatchOrder', 'OK')).toBe(1);
    const clientSide = (method: string, code: string) =>
      count(clientMetrics, `rpc_client_duration_seconds_count{service="orders.v1.OrderService",method="${method}",code="${code}"}`);
    expect(await clientSide('GetOrder', 'OK')).toBe(2);
    expect(await clientSide('GetOrder', 'NOT_FOUND')).toBe(1);
    expect(await clientSide('WatchOrder', 'OK')).toBe(1);
  });

  it('run each handler, stream steps included, in the correlation context of the call', async () => {
    const { order } = await client.getOrder({ orderId: 'ORD-4' }, { correlationId: 'corr-grpc' });
    expect(order?.orderId).toBe('corr-grpc');
    expect(logged.entries().find((l) => (l as { orderId?: string }).orderId === 'ORD-4')).toMatchObject({ correlation_id: 'corr-grpc' });
    const watched = [];
    for await (const res of client.watchOrder({ orderId: 'ORD-5' }, { correlationId: 'corr-stream' })) watched.push(res.order?.orderId);
    expect(watched).toEqual(['ORD-5:corr-stream', 'ORD-5:corr-stream']);
    // Without one, the server makes one up: still one per call.
    const { order: anonymous } = await client.getOrder({ orderId: 'ORD-6' });
    expect(anonymous?.orderId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the Connect bridge', () => {
  it('times each RPC with its protocol as transport, in the correlation context of the x-correlation-id header', async () => {
    const res = await fetch(`${connectUrl}/GetOrder`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'corr-connect' },
      body: JSON.stringify({ orderId: 'ORD-7' }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ order: { orderId: 'corr-connect' } });
    const missing = await fetch(`${connectUrl}/GetOrder`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: 'missing' }),
    });
    expect(missing.status).toBe(404);
    const series = (code: string) =>
      `rpc_server_duration_seconds_count{service="orders.v1.OrderService",method="GetOrder",code="${code}",transport="connect"}`;
    expect(await count(serverMetrics, series('OK'))).toBe(1);
    expect(await count(serverMetrics, series('NOT_FOUND'))).toBe(1);
  });
});
