import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServiceClient, type TlsMaterial } from '@order-system/grpc';
import { KafkaClient, topicNames } from '@order-system/kafka';
import { tlsFiles } from '@order-system/local-stack';
import { events, inventory, orderstore } from '@order-system/proto';
import { failure, testConfig, testLogger } from '@order-system/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type System } from './system.js';

/**
 * Inside the system, every caller proves who it is: services by their
 * certificate from the project CA (mutual TLS, authorized per method), Kafka
 * clients by their SCRAM principal (ACLs per topic and group). A caller that
 * reaches a port is not trusted for that.
 */
let sys: System;
beforeAll(async () => {
  sys = await startSystem();
}, 120_000);
afterAll(() => sys?.stop());

const material = (name: string): TlsMaterial => {
  const f = tlsFiles(name);
  return { ca: readFileSync(f.ca), cert: readFileSync(f.cert), key: readFileSync(f.key) };
};

/** A CA of someone else's, and a certificate it signed that calls itself the gateway. */
function foreignGateway(): TlsMaterial {
  const dir = mkdtempSync(path.join(tmpdir(), 'foreign-ca-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=evil CA', '-keyout', 'ca.key', '-out', 'ca.crt');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=gateway', '-keyout', 'gw.key', '-out', 'gw.csr');
  run('x509', '-req', '-in', 'gw.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', 'gw.crt');
  // It trusts the real CA (so that the server's certificate checks out), but presents its own.
  return { ca: material('gateway').ca, cert: readFileSync(path.join(dir, 'gw.crt')), key: readFileSync(path.join(dir, 'gw.key')) };
}

const inventoryAs = (tls: TlsMaterial | undefined) =>
  createServiceClient(inventory.v1.InventoryServiceService, `127.0.0.1:${sys.grpcPort('inventory')}`, { tls, serverName: 'inventory', defaultTimeoutMs: 3000 });
const orderStoreAs = (tls: TlsMaterial) =>
  createServiceClient(orderstore.v1.OrderStoreServiceService, `127.0.0.1:${sys.grpcPort('order-store')}`, { tls, serverName: 'order-store', defaultTimeoutMs: 3000 });


const upsert = { productId: '', sku: `ZT-${randomUUID().slice(0, 6)}`, name: 'forged', price: { currencyCode: 'USD', units: 0, nanos: 0 }, stock: 1_000_000 };

describe('service to service: mutual TLS', () => {
  it('refuses a plaintext caller and one whose certificate another CA signed, before any method runs', async () => {
    for (const [what, client] of [
      ['plaintext', inventoryAs(undefined)],
      ['a foreign CA', inventoryAs(foreignGateway())],
    ] as const) {
      const err = await failure(client.upsertProduct(upsert));
      expect({ what, kind: err.kind }).toEqual({ what, kind: 'unavailable' });
      client.close();
    }
    const { rowCount } = await sys.pg.query('SELECT 1 FROM products WHERE sku = $1', [upsert.sku]);
    expect(rowCount).toBe(0);
  });

  it('refuses a service that calls a method not meant for it, and lets the gateway in', async () => {
    const asPayment = inventoryAs(material('payment'));
    expect((await failure(asPayment.upsertProduct(upsert))).message).toBe('payment may not call /inventory.v1.InventoryService/UpsertProduct');
    const asInventory = orderStoreAs(material('inventory'));
    const read = await failure(asInventory.getOrder({ orderId: 'ORD-anything' }));
    expect({ kind: read.kind, message: read.message }).toEqual({ kind: 'permission_denied', message: 'inventory may not call /orderstore.v1.OrderStoreService/GetOrder' });
    const asGateway = inventoryAs(material('gateway'));
    const { products } = await asGateway.listProducts({ pageSize: 1, pageToken: '' });
    expect(products).toHaveLength(1);
    for (const c of [asPayment, asInventory, asGateway]) c.close();
  });

  it('checks the server too: a client that expects inventory will not talk to the order-store', async () => {
    const confused = createServiceClient(inventory.v1.InventoryServiceService, `127.0.0.1:${sys.grpcPort('order-store')}`, {
      tls: material('gateway'),
      serverName: 'inventory',
      defaultTimeoutMs: 3000,
    });
    expect((await failure(confused.listProducts({ pageSize: 1, pageToken: '' }))).kind).toBe('unavailable');
    confused.close();
  });
});

describe('Kafka: principals and ACLs', () => {
  it('refuses an anonymous producer, and a service writing a topic it does not own', async () => {
    const cfg = testConfig();
    const log = testLogger(cfg);
    const topics = topicNames(sys.topicPrefix);
    const approval = events.v1.PaymentEvent.encode({
      eventId: randomUUID(),
      orderId: 'ORD-forged',
      occurredAt: new Date(),
      paymentProcessed: { paymentId: 'pay-forged', outcome: events.v1.PaymentOutcome.PAYMENT_OUTCOME_APPROVED, declineMessage: '', amount: undefined },
    }).finish();
    const forge = async (client: KafkaClient) => {
      const producer = await client.producer();
      try {
        await producer.send(topics.paymentEvents, [{ key: 'ORD-forged', value: approval }]);
      } finally {
        await producer.close();
      }
    };
    const anonymous = new KafkaClient({ brokers: cfg.kafkaBrokers, ca: cfg.kafka().ca, clientId: 'anonymous', log, retries: 1 });
    await expect(forge(anonymous)).rejects.toThrow();
    const inventoryPrincipal = new KafkaClient({ ...cfg.kafka('inventory'), clientId: 'not-payment', log, retries: 1 });
    await expect(forge(inventoryPrincipal)).rejects.toThrow(/authoriz/i);
    const payment = new KafkaClient({ ...cfg.kafka('payment'), clientId: 'payment-as-itself', log, retries: 1 });
    await expect(forge(payment)).resolves.toBeUndefined(); // its writer may (inventory dead-letters the unknown order)
  });
});
