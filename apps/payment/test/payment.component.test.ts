import { randomUUID } from 'node:crypto';
import { decodeEvent, KafkaClient, topicNames, type Producer } from '@order-system/kafka';
import type { MetricsRegistry } from '@order-system/metrics';
import { events } from '@order-system/proto';
import { eventually, testConfig, testLogger, testTopicPrefix } from '@order-system/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { buildService } from '../src/service.js';

const log = testLogger();
// The admin sets the run's topics up and plays inventory; payment has its own principal.
const run = { prefix: testTopicPrefix(), kafka: new KafkaClient({ ...testConfig().kafka('admin'), clientId: 'test', log }) };
const topics = topicNames(run.prefix);
const results: events.v1.PaymentEvent[] = [];
let producer: Producer;
let stop: () => Promise<void>;
let metrics: MetricsRegistry;

beforeAll(async () => {
  const config = loadConfig({ ...process.env, KAFKA_TOPIC_PREFIX: run.prefix, KAFKA_GROUP_ID: `payment-${randomUUID()}`, PAYMENT_FAILURE_RATE: '0.5' });
  await run.kafka.provision(topics);
  const kafka = new KafkaClient({ ...testConfig().kafka('payment'), clientId: 'payment', log });
  const servicesProducer = await kafka.producer();
  producer = await run.kafka.producer();
  const service = buildService(config, { kafka, producer: servicesProducer, log });
  metrics = service.metrics;
  await service.start();
  const watcher = run.kafka.consumer({
    groupId: `watch-${randomUUID()}`,
    topic: topics.paymentEvents,
    handle: async (m) => void results.push(decodeEvent(events.v1.PaymentEvent, m)),
  });
  await watcher.start();
  stop = async () => {
    await watcher.stop();
    await service.stop();
    await servicesProducer.close();
    await producer.close();
  };
});

afterAll(async () => {
  await stop?.();
  await run.kafka.deleteTopicsWithPrefix(run.prefix);
});

const placed = (orderId: string, paymentToken: string): events.v1.OrderEvent => ({
  eventId: randomUUID(),
  orderId,
  occurredAt: new Date(),
  orderPlaced: {
    customer: { userId: 'u', email: 'u@example.com' },
    lines: [],
    total: { currencyCode: 'USD', units: 42, nanos: 0 },
    paymentToken,
    createdAt: new Date(),
  },
});
const publish = (...list: events.v1.OrderEvent[]) =>
  producer.send(topics.orderEvents, list.map((e) => ({ key: e.orderId, value: events.v1.OrderEvent.encode(e).finish() })));
const resultsFor = (orderId: string) => results.filter((r) => r.orderId === orderId);

describe('payment service', () => {
  it('approves tok_visa and declines tok_chargeDeclined, charging the order total', async () => {
    const ok = `ORD-${randomUUID()}`;
    const no = `ORD-${randomUUID()}`;
    await publish(placed(ok, 'tok_visa'), placed(no, 'tok_chargeDeclined'));
    await eventually(() => resultsFor(ok).length === 1 && resultsFor(no).length === 1, { what: 'payment results' });
    expect(resultsFor(ok)[0]!.paymentProcessed).toMatchObject({
      outcome: events.v1.PaymentOutcome.PAYMENT_OUTCOME_APPROVED,
      amount: { currencyCode: 'USD', units: 42, nanos: 0 },
    });
    expect(resultsFor(no)[0]!.paymentProcessed).toMatchObject({
      outcome: events.v1.PaymentOutcome.PAYMENT_OUTCOME_DECLINED,
      declineMessage: expect.stringContaining('declined'),
    });
  });

  it('answers a redelivered request with the same payment id, outcome and event id', async () => {
    const ids = Array.from({ length: 10 }, () => `ORD-${randomUUID()}`);
    const first = ids.map((id) => placed(id, ''));
    await publish(...first, ...first);
    await eventually(() => ids.every((id) => resultsFor(id).length === 2), { what: 'both deliveries' });
    for (const id of ids) {
      const [a, b] = resultsFor(id);
      expect(b!.eventId).toBe(a!.eventId);
      expect(b!.paymentProcessed).toEqual(a!.paymentProcessed);
    }
  });

  it('refunds on RefundRequested, once per order', async () => {
    const id = `ORD-${randomUUID()}`;
    const refund: events.v1.OrderEvent = {
      eventId: randomUUID(),
      orderId: id,
      occurredAt: new Date(),
      refundRequested: { paymentId: 'pay_x', amount: { currencyCode: 'USD', units: 5, nanos: 0 }, reason: 'late' },
    };
    await publish(refund, refund);
    await eventually(() => resultsFor(id).length === 2, { what: 'refunds' });
    const [a, b] = resultsFor(id);
    expect(a!.paymentRefunded).toEqual({ paymentId: 'pay_x', amount: { currencyCode: 'USD', units: 5, nanos: 0 } });
    expect(b!.eventId).toBe(a!.eventId);
  });

  it('counts payments by outcome, and records how long each message took', async () => {
    const text = () => metrics.metrics();
    const value = async (series: string) => Number((await text()).split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1] ?? 0);
    const before = await Promise.all(['approved', 'declined'].map((o) => value(`payments_total{outcome="${o}"}`)));
    const [ok, no] = [`ORD-${randomUUID()}`, `ORD-${randomUUID()}`];
    await publish(placed(ok, 'tok_visa'), placed(no, 'tok_chargeDeclined'));
    const counted = async () => (await Promise.all(['approved', 'declined'].map((o) => value(`payments_total{outcome="${o}"}`)))).map((n, i) => n - before[i]!);
    await eventually(async () => (await counted()).join() === '1,1', { what: 'one approved and one declined payment counted' });
    expect(await text()).toMatch(new RegExp(`^kafka_consume_duration_seconds_count\\{topic="${topics.orderEvents.replaceAll('.', '\\.')}",group="payment-[^"]+",outcome="ok"\\} \\d+$`, 'm'));
  });

  it('ignores order events that do not ask for payment', async () => {
    const id = `ORD-${randomUUID()}`;
    await publish({ eventId: randomUUID(), orderId: id, occurredAt: new Date(), orderConfirmed: { paymentId: 'p' } }, placed(id, 'tok_visa'));
    await eventually(() => resultsFor(id).length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(resultsFor(id)).toHaveLength(1);
  });
});
