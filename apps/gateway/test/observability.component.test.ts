import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { TokenVerifier } from '@order-system/auth';
import { descriptorRegistry } from '@order-system/grpc';
import { testAuth } from '@order-system/testing';
import { createLogger, currentCorrelationId, memoryDestination } from '@order-system/logger';
import { createMetricsRegistry } from '@order-system/metrics';
import { descriptorSetBase64, orders } from '@order-system/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../src/app/deps.js';
import { loadConfig } from '../src/config.js';
import { buildService } from '../src/service.js';

/**
 * The gateway's HTTP listener as buildService wires it, with stand-ins for
 * inventory and order-store that note the correlation id each call came with.
 */
const seen: { orderId: string; sent?: string; context?: string }[] = [];
const deps = {
  orderStore: {
    async getOrder(req: { orderId: string }, opts: { correlationId?: string }) {
      seen.push({ orderId: req.orderId, sent: opts.correlationId, context: currentCorrelationId() });
      if (req.orderId === 'ORD-BOOM') throw new Error('a bug');
      return { order: orders.v1.Order.fromPartial({ orderId: req.orderId, customer: { userId: 'user_1' }, status: orders.v1.OrderStatus.ORDER_STATUS_CONFIRMED }) };
    },
  },
  inventory: {},
} as unknown as Deps;

const logged = memoryDestination();
const log = createLogger({ service: 'gateway', level: 'info', destination: logged });
const metrics = createMetricsRegistry();
let base: string;
let close: () => void;
let authorization: string;

beforeAll(async () => {
  const auth = await testAuth();
  authorization = await auth.bearer('user_1');
  const config = loadConfig({ AUTH_JWKS_FILE: auth.jwksFile });
  const verifier = new TokenVerifier({ jwksFile: auth.jwksFile, issuer: config.authIssuer, audience: config.authAudience });
  const { httpServer } = buildService(config, { deps, registry: descriptorRegistry(descriptorSetBase64), verifier, log, metrics });
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  close = () => httpServer.close();
});
afterAll(() => close?.());

const connect = (orderId: string, correlationId: string) =>
  fetch(`${base}/orders.v1.OrderService/GetOrder`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId, authorization },
    body: JSON.stringify({ orderId }),
  });

describe('gateway observability', () => {
  it('carries the x-correlation-id of a REST or Connect request to inventory and order-store, and into its context', async () => {
    const rest = await fetch(`${base}/orders/ORD-1`, { headers: { 'x-correlation-id': 'corr-rest', authorization } });
    expect(rest.status).toBe(200);
    expect(rest.headers.get('x-correlation-id')).toBe('corr-rest');
    expect((await connect('ORD-2', 'corr-connect')).status).toBe(200);
    expect(seen).toEqual([
      { orderId: 'ORD-1', sent: 'corr-rest', context: 'corr-rest' },
      { orderId: 'ORD-2', sent: 'corr-connect', context: 'corr-connect' },
    ]);
  });

  it('logs a failure with the correlation id of its request', async () => {
    expect((await connect('ORD-BOOM', 'corr-boom')).status).toBe(500);
    expect(logged.entries().find((l) => l.msg === 'rpc failed')).toMatchObject({ correlation_id: 'corr-boom', rpc: 'orders.v1.OrderService/GetOrder' });
  });

  it('times every Connect call by service, method, code and transport, and keeps /metrics off the public listener', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const text = await metrics.metrics();
    const series = (code: string) =>
      `rpc_server_duration_seconds_count{service="orders.v1.OrderService",method="GetOrder",code="${code}",transport="connect"}`;
    expect(text).toContain(`${series('OK')} 1\n`);
    expect(text).toContain(`${series('INTERNAL')} 1\n`);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });
});
