import { randomUUID } from 'node:crypto';
import { AppError, invalid, unavailable } from '@order-system/errors';
import { currentCorrelationId } from '@order-system/logger';
import { createMetricsRegistry, type MetricsRegistry } from '@order-system/metrics';
import { events } from '@order-system/proto';
import { eventually, testConfig, testLogger, testTopicPrefix } from '@order-system/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeEvent,
  deadLetterTopic,
  KafkaClient,
  topicNames,
  topicSpecs,
  type Consumer,
  type IncomingMessage,
  type Producer,
} from '../src/index.js';

const log = testLogger();

const orderEvent = (orderId: string, n = 0): events.v1.OrderEvent => ({
  eventId: randomUUID(),
  orderId,
  occurredAt: new Date(),
  orderConfirmed: { paymentId: `pay-${n}` },
});
const encode = (e: events.v1.OrderEvent) => events.v1.OrderEvent.encode(e).finish();

describe('kafka lib against a real broker', () => {
  const run = { prefix: testTopicPrefix() };
  const topics = topicNames(run.prefix);
  // The admin principal (a super user): these tests are of the lib, not of the ACLs.
  const kafka = new KafkaClient({ ...testConfig().kafka('admin'), clientId: 'test', log });
  let producer: Producer;
  const consumers: Consumer[] = [];

  async function consume(
    topic: string,
    handle: (m: IncomingMessage) => Promise<void>,
    groupId = `g-${randomUUID()}`,
    metrics?: MetricsRegistry,
  ) {
    const consumer = kafka.consumer({ groupId, topic, handle, maxAttempts: 3, retryDelayMs: 20, metrics });
    consumers.push(consumer);
    await consumer.start();
    return consumer;
  }

  beforeAll(async () => {
    await kafka.ensureTopics(topicSpecs(topics));
    producer = await kafka.producer();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await producer?.close();
    await kafka.deleteTopicsWithPrefix(run.prefix);
  });

  it('creates order-events with 3 partitions, idempotently', async () => {
    await kafka.ensureTopics(topicSpecs(topics));
    expect(await kafka.partitionCount(topics.orderEvents)).toBe(3);
    expect(await kafka.partitionCount(deadLetterTopic(topics.orderEvents))).toBe(1);
  });

  it('round-trips a protobuf event keyed by order id, in order per key', async () => {
    const orderId = `ORD-${randomUUID()}`;
    const sent = Array.from({ length: 20 }, (_, n) => orderEvent(orderId, n));
    const received: events.v1.OrderEvent[] = [];
    const keys = new Set<string | null>();
    await consume(topics.orderEvents, async (m) => {
      keys.add(m.key);
      received.push(decodeEvent(events.v1.OrderEvent, m));
    });
    await producer.send(
      topics.orderEvents,
      sent.map((e) => ({ key: orderId, value: encode(e), headers: { 'x-correlation-id': 'c-1' } })),
    );
    await eventually(() => received.length >= sent.length, { what: 'all events' });
    expect(received).toEqual(sent);
    expect([...keys]).toEqual([orderId]);
  });

  it('dead-letters undecodable bytes with the error in headers, and keeps the partition flowing', async () => {
    const orderId = `ORD-${randomUUID()}`;
    const good: string[] = [];
    const dead: IncomingMessage[] = [];
    await consume(topics.paymentEvents, async (m) => {
      good.push(decodeEvent(events.v1.OrderEvent, m).eventId);
    });
    await consume(deadLetterTopic(topics.paymentEvents), async (m) => void dead.push(m));
    const after = orderEvent(orderId);
    await producer.send(topics.paymentEvents, [
      { key: orderId, value: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]) },
      { key: orderId, value: encode(orderEvent(orderId)).slice(0, 10) },
      { key: orderId, value: encode(after) },
    ]);
    await eventually(() => good.includes(after.eventId) && dead.length >= 2, { what: 'good event and two dead letters' });
    expect(dead.map((m) => m.headers['dlt-error-kind'])).toEqual(['invalid', 'invalid']);
    expect(dead[0]!.headers['dlt-error']).toMatch(/undecodable event/);
    expect(dead[0]!.headers['dlt-original-topic']).toBe(topics.paymentEvents);
    expect(dead[0]!.key).toBe(orderId);
  });

  it('retries a transient failure until it succeeds, and dead-letters a persistent one after bounded attempts', async () => {
    const topic = `${run.prefix}retries`;
    await kafka.ensureTopics([{ topic, partitions: 1 }, { topic: deadLetterTopic(topic), partitions: 1 }]);
    const attempts = new Map<string, number>();
    const done: string[] = [];
    const dead: IncomingMessage[] = [];
    await consume(topic, async (m) => {
      const key = m.key ?? '';
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      if (key === 'flaky' && n <= 4) throw unavailable('database down');
      // A long outage, then a failure of its own: it still gets maxAttempts tries.
      if (key === 'recovering' && n <= 4) throw unavailable('database down');
      if (key === 'recovering' && n === 5) throw new AppError('internal', 'fails once');
      if (key === 'broken') throw new AppError('internal', 'always fails');
      done.push(key);
    });
    await consume(deadLetterTopic(topic), async (m) => void dead.push(m));
    await producer.send(topic, ['flaky', 'recovering', 'broken', 'fine'].map((key) => ({ key, value: Buffer.from(key) })));
    await eventually(() => done.includes('fine') && dead.length === 1, { what: 'retries to finish' });
    expect(done).toEqual(['flaky', 'recovering', 'fine']);
    expect(attempts.get('flaky')).toBe(5); // transient errors retry past maxAttempts
    expect(attempts.get('recovering')).toBe(6);
    expect(attempts.get('broken')).toBe(3); // others stop at maxAttempts
    expect(dead[0]!.key).toBe('broken');
    expect(dead[0]!.headers['dlt-attempts']).toBe('3');
  });

  it('records processing time by outcome, lag and dead letters, and handles each message in its correlation context', async () => {
    const topic = `${run.prefix}observed`;
    await kafka.ensureTopics([{ topic, partitions: 1 }, { topic: deadLetterTopic(topic), partitions: 1 }]);
    const groupId = `g-${randomUUID()}`;
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const seen = new Map<string, string | undefined>();
    let flaky = 0;
    await consume(
      topic,
      async (m) => {
        if (m.key === 'garbage') throw invalid('undecodable');
        if (m.key === 'flaky' && ++flaky === 1) throw unavailable('database down');
        seen.set(m.key ?? '', currentCorrelationId());
      },
      groupId,
      metrics,
    );
    await producer.send(topic, [
      { key: 'plain', value: Buffer.from('1') },
      { key: 'traced', value: Buffer.from('2'), headers: { 'x-correlation-id': 'corr-7' } },
      { key: 'garbage', value: Buffer.from('3') },
      { key: 'flaky', value: Buffer.from('4') },
    ]);
    await eventually(() => seen.has('flaky'), { what: 'all four messages' });
    expect(Object.fromEntries(seen)).toEqual({ plain: undefined, traced: 'corr-7', flaky: undefined });

    const text = await metrics.metrics();
    const value = (series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1]);
    const labels = `topic="${topic}",group="${groupId}"`;
    expect(value(`kafka_consume_duration_seconds_count{${labels},outcome="ok"}`)).toBe(3);
    expect(value(`kafka_consume_duration_seconds_count{${labels},outcome="retry"}`)).toBe(1);
    expect(value(`kafka_consume_duration_seconds_count{${labels},outcome="dead_lettered"}`)).toBe(1);
    expect(value(`kafka_dead_lettered_total{${labels}}`)).toBe(1);
    expect(value(`kafka_consumer_lag{topic="${topic}",partition="0",group="${groupId}"}`)).toBe(0);
  });

  it('applies runs of a partition with handleBatch, in order, and one at a time around a message that breaks a run', async () => {
    const topic = `${run.prefix}batches`;
    await kafka.ensureTopics([{ topic, partitions: 1 }, { topic: deadLetterTopic(topic), partitions: 1 }]);
    const applied: string[] = [];
    const runs: number[] = [];
    const dead: IncomingMessage[] = [];
    const value = (m: IncomingMessage) => m.value!.toString();
    const consumer = kafka.consumer({
      groupId: `g-${randomUUID()}`,
      topic,
      maxAttempts: 2,
      retryDelayMs: 20,
      maxBatchSize: 25,
      handle: async (m) => {
        if (value(m) === 'poison') throw invalid('poison');
        applied.push(value(m));
      },
      handleBatch: async (ms) => {
        if (ms.some((m) => value(m) === 'poison')) throw new Error('a run with poison in it');
        runs.push(ms.length);
        applied.push(...ms.map(value));
      },
    });
    consumers.push(consumer);
    await consume(deadLetterTopic(topic), async (m) => void dead.push(m));
    const sent = Array.from({ length: 60 }, (_, i) => (i === 30 ? 'poison' : `m${i}`));
    await producer.send(topic, sent.map((v) => ({ key: 'k', value: Buffer.from(v) })));
    await consumer.start();
    await eventually(() => applied.length >= 59 && dead.length === 1, { what: 'all messages applied or dead-lettered' });
    expect(applied).toEqual(sent.filter((v) => v !== 'poison'));
    expect(Math.max(...runs)).toBeGreaterThan(1); // fetched together, applied as runs
    expect(Math.max(...runs)).toBeLessThanOrEqual(25);
    expect(dead.map(value)).toEqual(['poison']);
  });

  it('with batchWaitMs, lets messages sent one by one gather into runs', async () => {
    const topic = `${run.prefix}gathered`;
    await kafka.ensureTopics([{ topic, partitions: 1 }, { topic: deadLetterTopic(topic), partitions: 1 }]);
    const runs: string[][] = [];
    const consumer = kafka.consumer({
      groupId: `g-${randomUUID()}`,
      topic,
      batchWaitMs: 1500,
      handle: async (m) => void runs.push([m.value!.toString()]),
      handleBatch: async (ms) => void runs.push(ms.map((m) => m.value!.toString())),
    });
    consumers.push(consumer);
    await consumer.start();
    const sent = Array.from({ length: 10 }, (_, i) => `m${i}`);
    for (const v of sent) {
      await producer.send(topic, [{ key: 'k', value: Buffer.from(v) }]);
      await new Promise((r) => setTimeout(r, 20));
    }
    await eventually(() => runs.flat().length >= sent.length, { what: 'all ten messages' });
    expect(runs.flat()).toEqual(sent);
    expect(Math.max(...runs.map((r) => r.length))).toBeGreaterThanOrEqual(5); // one fetch held them together
  });

  it('sends concurrently on one producer without losing or repeating a message', async () => {
    const topic = `${run.prefix}concurrent`;
    await kafka.ensureTopics([{ topic, partitions: 1 }, { topic: deadLetterTopic(topic), partitions: 1 }]);
    const received: string[] = [];
    await consume(topic, async (m) => void received.push(m.value!.toString()));
    const sent = Array.from({ length: 50 }, (_, i) => `m${i}`);
    await Promise.all(sent.map((v) => producer.send(topic, [{ key: 'k', value: Buffer.from(v) }])));
    await eventually(() => received.length >= sent.length, { what: 'every message' });
    expect([...received].sort()).toEqual([...sent].sort()); // each exactly once
  });

  it('reports a consumer group Stable with its members', async () => {
    const topic = `${run.prefix}described`;
    await kafka.ensureTopics([{ topic, partitions: 1 }, { topic: deadLetterTopic(topic), partitions: 1 }]);
    const groupId = `g-${randomUUID()}`;
    await consume(topic, async () => undefined, groupId);
    await eventually(async () => {
      const group = await kafka.describeGroup(groupId);
      return group.state === 'Stable' && group.members === 1;
    }, { what: 'a Stable group of one' });
  });

  it('drains what a group has not committed, up to the end as of the start, and leaves later messages for the next drain', async () => {
    const topic = `${run.prefix}drained`;
    await kafka.ensureTopics([{ topic, partitions: 2 }, { topic: deadLetterTopic(topic), partitions: 1 }]);
    const send = (values: string[]) => producer.send(topic, values.map((v) => ({ key: v, value: Buffer.from(v) })));
    await send(['a', 'b', 'c', 'd', 'e', 'f']);
    const seen: string[] = [];
    const groupId = `g-${randomUUID()}`;
    let late: Promise<void> | undefined;
    const first = await kafka.drain(topic, groupId, async (m) => {
      await (late ??= send(['late'])); // arrives after the drain started: held, left for the next one
      seen.push(m.value!.toString());
    });
    expect(first).toBe(6);
    expect(seen.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    await send(['g', 'h']);
    seen.length = 0;
    expect(await kafka.drain(topic, groupId, async (m) => void seen.push(m.value!.toString()))).toBe(3);
    expect(seen.sort()).toEqual(['g', 'h', 'late']);
    expect(await kafka.drain(topic, groupId, async () => undefined)).toBe(0);

    const temporary = `g-${randomUUID()}`;
    expect(await kafka.drain(topic, temporary, async () => undefined, { temporary: true })).toBe(9);
    expect(await kafka.describeGroup(temporary)).toEqual({ state: 'Dead', members: 0 });
  });

  it('hands a partition over to a member joining mid-stream without losing a message', async () => {
    const topic = `${run.prefix}rebalanced`;
    await kafka.ensureTopics([{ topic, partitions: 3 }, { topic: deadLetterTopic(topic), partitions: 1 }]);
    const groupId = `g-${randomUUID()}`;
    const seen = new Set<string>();
    const slow = async (m: IncomingMessage) => {
      await new Promise((resolve) => setTimeout(resolve, 2));
      seen.add(m.value!.toString());
    };
    const batch = (from: number) => Array.from({ length: 150 }, (_, i) => ({ key: `k${(from + i) % 11}`, value: Buffer.from(`m${from + i}`) }));
    await consume(topic, slow, groupId);
    await producer.send(topic, batch(0));
    await eventually(() => seen.size >= 20, { what: 'the first member under way' });
    await consume(topic, slow, groupId);
    await producer.send(topic, batch(150));
    await eventually(() => seen.size >= 300, { what: 'every message', timeoutMs: 60_000 });
    await eventually(async () => (await kafka.describeGroup(groupId)).members === 2, { what: 'two members' });
  }, 90_000);

  it('with undurableFrom, fetches past a message held back but commits only up to it, and catches up once it is written', async () => {
    const topic = `${run.prefix}held-back`;
    await kafka.ensureTopics([{ topic, partitions: 1 }, { topic: deadLetterTopic(topic), partitions: 1 }]);
    const groupId = `g-${randomUUID()}`;
    let seen: string[] = [];
    let undurable: string | undefined;
    const start = async () => {
      const consumer = kafka.consumer({
        groupId,
        topic,
        handle: async (m) => {
          const value = m.value!.toString();
          if (value.startsWith('hold') && undurable === undefined) undurable = m.offset;
          seen.push(value);
        },
        undurableFrom: () => undurable,
      });
      consumers.push(consumer);
      await consumer.start();
      return consumer;
    };
    const send = (values: string[]) => producer.send(topic, values.map((v) => ({ key: 'k', value: Buffer.from(v) })));

    // A crash while 'hold-1' is held back delivers it again, and what follows it, but not what precedes it.
    let consumer = await start();
    await send(['a', 'hold-1', 'b', 'c']);
    await eventually(() => seen.includes('c'), { what: 'the messages after the held one' });
    await consumer.stop();
    seen = [];
    undurable = undefined;
    consumer = await start();
    await eventually(() => seen.includes('c'), { what: 'the held message again' });
    expect(seen).toEqual(['hold-1', 'b', 'c']);

    // Once written, it is committed within COMMIT_INTERVAL_MS, with no further message: the
    // consumer then claims it is held again, and stopping still leaves it behind.
    const heldAt = undurable;
    undurable = undefined;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    undurable = heldAt;
    await consumer.stop();
    seen = [];
    undurable = undefined;
    await start();
    await send(['d']);
    await eventually(() => seen.includes('d'), { what: 'the next message' });
    expect(seen).toEqual(['d']);
  }, 60_000);

  it('commits only what was processed: a restarted consumer group loses nothing', async () => {
    const topic = `${run.prefix}restart`;
    await kafka.ensureTopics([{ topic, partitions: 3 }, { topic: deadLetterTopic(topic), partitions: 1 }]);
    const groupId = `g-${randomUUID()}`;
    const seen = new Set<string>();
    const first = await consume(topic, async (m) => void seen.add(m.value!.toString()), groupId);
    const batch = (from: number) => Array.from({ length: 100 }, (_, i) => ({ key: `k${(from + i) % 7}`, value: Buffer.from(`m${from + i}`) }));
    await producer.send(topic, batch(0));
    await eventually(() => seen.size >= 100, { what: 'first hundred' });
    await first.stop();
    await producer.send(topic, batch(100));
    await consume(topic, async (m) => void seen.add(m.value!.toString()), groupId);
    await eventually(() => seen.size >= 200, { what: 'second hundred' });
    expect(seen.size).toBe(200);
  });
});

describe('the broker refuses who has no business with a topic', () => {
  const topics = topicNames(testTopicPrefix());
  const cfg = testConfig();
  const admin = new KafkaClient({ ...cfg.kafka('admin'), clientId: 'test', log });
  const as = (principal: 'inventory' | 'payment' | 'order-store') => new KafkaClient({ ...cfg.kafka(principal), clientId: `test-${principal}`, log });
  const event = (orderId: string) => [{ key: orderId, value: encode(orderEvent(orderId)) }];

  beforeAll(() => admin.provision(topics));
  afterAll(() => admin.deleteTopicsWithPrefix(topics.orderEvents.replace('order-events', '')));

  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (err: Error) => err.message,
    );

  it('refuses an anonymous client, and one with a wrong password', async () => {
    const anonymous = new KafkaClient({ brokers: cfg.kafkaBrokers, ca: cfg.kafka().ca, clientId: 'anonymous', log, retries: 1 });
    expect(await refusal(anonymous.producer())).not.toBe('accepted');
    const plaintext = new KafkaClient({ brokers: cfg.kafkaBrokers, clientId: 'plaintext', log, retries: 1 });
    expect(await refusal(plaintext.producer())).not.toBe('accepted');
    const wrong = new KafkaClient({ ...cfg.kafka('payment'), sasl: { username: 'payment', password: 'guessed' }, clientId: 'wrong', log, retries: 1 });
    expect(await refusal(wrong.producer())).toMatch(/SASL|authentication|Authentication/);
  });

  it('lets only a topic’s writer write it: payment may not publish order events, inventory may', async () => {
    const payment = await as('payment').producer();
    expect(await refusal(payment.send(topics.orderEvents, event('ORD-forged')))).toMatch(/not authorized|Not authorized|authoriz/i);
    await payment.send(topics.paymentEvents, event('ORD-ok')); // its own topic
    await payment.close();
    const inventory = await as('inventory').producer();
    await inventory.send(topics.orderEvents, event('ORD-ok'));
    expect(await refusal(inventory.send(topics.paymentEvents, event('ORD-forged')))).toMatch(/authoriz/i);
    await inventory.close();
  });

  it('lets a principal read only its own topics, in its own consumer groups', async () => {
    const seen = new Map<string, string[]>();
    const reader = (principal: 'order-store', groupId: string, topic: string) =>
      as(principal).consumer({ groupId, topic, handle: async (m) => void seen.set(groupId, [...(seen.get(groupId) ?? []), m.key ?? '']) });
    const wrongTopic = reader('order-store', `order-store-${randomUUID()}`, topics.paymentEvents);
    expect(await refusal(wrongTopic.start())).toMatch(/authoriz/i);
    await wrongTopic.stop().catch(() => undefined);

    // Its own group on its own topic reads; another service's group name does not.
    const own = reader('order-store', `order-store-${randomUUID()}`, topics.orderEvents);
    const borrowed = reader('order-store', `payment-${randomUUID()}`, topics.orderEvents);
    await own.start();
    await borrowed.start().catch(() => undefined);
    const producer = await admin.producer();
    await producer.send(topics.orderEvents, event('ORD-read'));
    await producer.close();
    await eventually(() => [...seen.keys()].some((g) => g.startsWith('order-store-')), { what: 'its own group to read' });
    await new Promise((r) => setTimeout(r, 1500));
    expect([...seen.keys()].filter((g) => g.startsWith('payment-'))).toEqual([]);
    await own.stop();
    await borrowed.stop().catch(() => undefined);
  });
});
