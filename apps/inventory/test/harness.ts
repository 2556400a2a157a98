import { randomUUID } from 'node:crypto';
import { createServiceClient, startGrpcServer } from '@order-system/grpc';
import { decodeEvent, KafkaClient, topicNames, type IncomingMessage } from '@order-system/kafka';
import { descriptorSetBase64, events, inventory } from '@order-system/proto';
import { serviceEnv } from '@order-system/local-stack';
import { createTestDatabase, tcpProxy, testConfig, testLogger, testTopicPrefix } from '@order-system/testing';
import pg from 'pg';
import { createPool, migrate } from '../src/adapters/postgres.js';
import { loadConfig } from '../src/config.js';
import { buildService } from '../src/service.js';

/**
 * The real inventory service (buildService, as main.ts wires it) on a random
 * port, against its own PostgreSQL database (reached through a TCP proxy, so
 * tests can cut it) and its own Kafka topics.
 */
export async function startInventory(env: Record<string, string> = {}) {
  const infra = testConfig();
  const log = testLogger(infra);
  const db = await createTestDatabase(infra);
  const topics = { prefix: testTopicPrefix() };
  const proxy = await tcpProxy(infra.postgresHost, infra.postgresPort);
  const config = loadConfig({
    ...process.env,
    ...serviceEnv('inventory'),
    POSTGRES_HOST: '127.0.0.1',
    POSTGRES_PORT: String(proxy.port),
    POSTGRES_DB: db.name,
    KAFKA_TOPIC_PREFIX: topics.prefix,
    KAFKA_GROUP_ID: `inventory-${randomUUID()}`,
    ...env,
  });
  // Migrated as the migration role; run as the runtime role, as main.ts does.
  const database = { host: config.postgresHost, port: config.postgresPort, database: config.postgresDb };
  const owner = createPool({ ...database, user: config.postgresMigrationUser, password: config.postgresMigrationPassword, poolSize: 1 }, log);
  await migrate(owner, log, { runtimeRole: config.postgresUser });
  await owner.end();
  const pool = createPool({ ...database, user: config.postgresUser, password: config.postgresPassword, poolSize: 20 }, log);
  // The admin sets the run's topics up and plays the other services; inventory has its own principal.
  const admin = new KafkaClient({ ...infra.kafka('admin'), clientId: 'test', log });
  await admin.provision(topicNames(topics.prefix));
  const kafka = new KafkaClient({ ...infra.kafka('inventory'), clientId: 'inventory', log });
  const producer = await kafka.producer();
  const adminProducer = await admin.producer();
  const service = buildService(config, { pool, kafka, producer, log });
  const server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: service.grpcServices, descriptorSetBase64, log });
  await service.start();

  // What inventory publishes, as the other services see it.
  const names = topicNames(topics.prefix);
  const published: events.v1.OrderEvent[] = [];
  /** The correlation id each published event carries, by event id. */
  const correlationOf = new Map<string, string | undefined>();
  const watcher = admin.consumer({
    groupId: `watch-${randomUUID()}`,
    topic: names.orderEvents,
    handle: async (m: IncomingMessage) => {
      const event = decodeEvent(events.v1.OrderEvent, m);
      correlationOf.set(event.eventId, m.headers['x-correlation-id']);
      published.push(event);
    },
  });
  await watcher.start();

  const client = createServiceClient(inventory.v1.InventoryServiceService, `127.0.0.1:${server.port}`);
  // A direct connection for checking invariants, not through the proxy.
  const direct = new pg.Pool({ host: infra.postgresHost, port: infra.postgresPort, user: infra.postgresUser, password: infra.postgresPassword, database: db.name, max: 2 });

  return {
    client,
    config,
    repo: service.repo,
    metrics: service.metrics,
    published,
    correlationOf,
    db: direct,
    proxy,
    /** Publishes a payment result, as payment does. */
    async pay(orderId: string, approved: boolean, eventId = randomUUID()) {
      const event: events.v1.PaymentEvent = {
        eventId,
        orderId,
        occurredAt: new Date(),
        paymentProcessed: {
          paymentId: `pay-${orderId}`,
          outcome: approved ? events.v1.PaymentOutcome.PAYMENT_OUTCOME_APPROVED : events.v1.PaymentOutcome.PAYMENT_OUTCOME_DECLINED,
          declineMessage: approved ? '' : 'declined in test',
          amount: undefined,
        },
      };
      await adminProducer.send(names.paymentEvents, [{ key: orderId, value: events.v1.PaymentEvent.encode(event).finish() }]);
      return eventId;
    },
    async stop() {
      client.close();
      await watcher.stop();
      await service.stop();
      await server.close(1000);
      await producer.close();
      await adminProducer.close();
      await pool.end();
      await direct.end();
      await proxy.close();
      await db.drop();
      await admin.deleteTopicsWithPrefix(topics.prefix);
    },
  };
}

export type Inventory = Awaited<ReturnType<typeof startInventory>>;

/** Stock of a product as stored, with the conservation invariant checked. */
export async function stockOf(db: pg.Pool, productId: string) {
  const { rows } = await db.query<{ available: string; reserved: string; sold: string; received: string }>(
    'SELECT available, reserved, sold, received FROM products WHERE product_id = $1',
    [productId],
  );
  const row = rows[0]!;
  const stock = { available: Number(row.available), reserved: Number(row.reserved), sold: Number(row.sold), received: Number(row.received) };
  if (stock.available + stock.reserved + stock.sold !== stock.received || stock.available < 0) {
    throw new Error(`stock not conserved: ${JSON.stringify(stock)}`);
  }
  return stock;
}
