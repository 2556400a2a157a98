import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaClient, type IncomingMessage, type Producer } from '@order-system/kafka';
import { createTestDatabase, eventually, testConfig, testLogger, testTopicPrefix } from '@order-system/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRelay } from '../src/adapters/outbox-relay.js';
import { createPool, migrate } from '../src/adapters/postgres.js';

/**
 * The relay against real PostgreSQL and Kafka. Rows are written as another
 * inventory instance writes them (its transaction inserts and NOTIFYs; this
 * relay's wake() is never called), and the relay polls only once a minute,
 * so everything published within the test's time came by NOTIFY.
 */
const LINGER_MS = 20;
const infra = testConfig();
const log = testLogger(infra);
const topic = `${testTopicPrefix()}order-events`;
const received: string[] = [];
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;
let kafka: KafkaClient;
let producer: Producer;
let watcher: ReturnType<KafkaClient['consumer']>;
let relay: OutboxRelay;

beforeAll(async () => {
  db = await createTestDatabase(infra);
  pool = createPool(
    { host: infra.postgresHost, port: infra.postgresPort, user: infra.postgresUser, password: infra.postgresPassword, database: db.name, poolSize: 4 },
    log,
  );
  await migrate(pool, log);
  kafka = new KafkaClient({ ...infra.kafka('admin'), clientId: 'test', log });
  await kafka.ensureTopics([{ topic, partitions: 1 }]);
  producer = await kafka.producer();
  watcher = kafka.consumer({
    groupId: `watch-${topic}`,
    topic,
    handle: async (m: IncomingMessage) => void received.push(m.key!),
  });
  await watcher.start();
  relay = new OutboxRelay(pool, producer, log, { pollMs: 60_000, lingerMs: LINGER_MS });
  relay.start();
});

afterAll(async () => {
  await relay?.stop();
  await watcher?.stop();
  await producer?.close();
  await pool?.end();
  await db?.drop();
  await kafka?.deleteTopicsWithPrefix(topic);
});

/** One row, committed with its NOTIFY, as reserve_order() does in another instance. */
async function writeElsewhere(key: string) {
  await pool.query(
    `WITH row AS (INSERT INTO outbox (topic, key, payload) VALUES ($1, $2, $3) RETURNING id)
     SELECT pg_notify('outbox', '') FROM row`,
    [topic, key, Buffer.from(key)],
  );
}

const outboxRows = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox')).rows[0]!.n);

describe('outbox relay', () => {
  it('is woken by another instance’s NOTIFY once the outbox is quiet, long before it would poll', async () => {
    await sleep(300); // leading, found the outbox empty, listening
    await writeElsewhere('quiet-1');
    await eventually(() => received.includes('quiet-1'), { timeoutMs: 10_000, what: 'quiet-1 on Kafka' });
  });

  it('publishes every row, in order, while rows keep coming, and is woken again once they stop', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => `busy-${i}`);
    for (const key of keys) {
      await writeElsewhere(key);
      await sleep(2);
    }
    await eventually(() => keys.every((k) => received.includes(k)), { timeoutMs: 15_000, what: 'every busy row on Kafka' });
    expect(received.filter((k) => k.startsWith('busy-'))).toEqual(keys);
    expect(await outboxRows()).toBe(0);

    await sleep(300); // quiet again
    await writeElsewhere('quiet-2');
    await eventually(() => received.includes('quiet-2'), { timeoutMs: 10_000, what: 'quiet-2 on Kafka' });
  });
});
