import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { TokenVerifier } from '@order-system/auth';
import { descriptorRegistry } from '@order-system/grpc';
import { testAuth } from '@order-system/testing';
import { createLogger, memoryDestination } from '@order-system/logger';
import { descriptorSetBase64, orders } from '@order-system/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../src/app/deps.js';
import { loadConfig } from '../src/config.js';
import { buildService } from '../src/service.js';

/**
 * MAX_ORDERS_IN_FLIGHT through the gateway's HTTP listener as buildService
 * wires it: Connect's CreateOrder and REST's POST /orders share the limit. The
 * stand-in inventory answers ReserveStock only when the test lets it.
 */
const held: (() => void)[] = [];
const deps = {
  inventory: {
    async reserveStock(req: { order: orders.v1.CreateOrderRequest }) {
      await new Promise<void>((resolve) => held.push(resolve));
      const order = orders.v1.Order.fromPartial({ orderId: req.order.orderId, status: orders.v1.OrderStatus.ORDER_STATUS_PENDING });
      return { order, created: true };
    },
  },
  orderStore: {},
} as unknown as Deps;

let base: string;
let close: () => void;
let authorization: string;

beforeAll(async () => {
  const auth = await testAuth();
  authorization = await auth.bearer('user_1');
  const config = loadConfig({ MAX_ORDERS_IN_FLIGHT: '2', AUTH_JWKS_FILE: auth.jwksFile });
  const verifier = new TokenVerifier({ jwksFile: auth.jwksFile, issuer: config.authIssuer, audience: config.authAudience });
  const log = createLogger({ service: 'gateway', level: 'silent', destination: memoryDestination() });
  const { httpServer } = buildService(config, { deps, registry: descriptorRegistry(descriptorSetBase64), verifier, log });
  httpServer.listen(0, '127.0.0.1');
  await once(httpServer, 'listening');
  base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  close = () => httpServer.close();
});
afterAll(() => close?.());

const customer = { userId: 'user_1', email: 'user_1@example.com' };
const viaConnect = (orderId: string) =>
  fetch(`${base}/orders.v1.OrderService/CreateOrder`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ orderId, customer, items: [{ sku: 'SKU-1', quantity: 1 }] }),
  });
const viaRest = (orderId: string) =>
  fetch(`${base}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ order_id: orderId, customer: { user_id: customer.userId, email: customer.email }, items: [{ sku: 'SKU-1', quantity: 1 }] }),
  });

async function until(condition: () => boolean) {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

describe('gateway admission (MAX_ORDERS_IN_FLIGHT=2)', () => {
  it('refuses an order beyond the limit at once, on every transport, and admits again once one is placed', async () => {
    const first = viaConnect('ORD-A1');
    const second = viaRest('ORD-A2');
    await until(() => held.length === 2);

    const refusedConnect = await viaConnect('ORD-A3');
    expect(refusedConnect.status).toBe(503);
    expect(await refusedConnect.json()).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/placing 2 orders already.*MAX_ORDERS_IN_FLIGHT.*retry/) });
    const refusedRest = await viaRest('ORD-A4');
    expect(refusedRest.status).toBe(503);
    expect(await refusedRest.json()).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/placing 2 orders already/) });
    expect(held).toHaveLength(2); // the refused ones never reached inventory

    held.shift()!();
    expect((await first).status).toBe(200);
    const third = viaConnect('ORD-A5');
    await until(() => held.length === 2);
    for (const release of held.splice(0)) release();
    expect((await second).status).toBe(202);
    expect(await (await third).json()).toMatchObject({ order: { orderId: 'ORD-A5' } });
  });
});
