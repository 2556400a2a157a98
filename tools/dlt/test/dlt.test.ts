import { randomUUID } from 'node:crypto';
import { deadLetterTopic, KafkaClient, topicNames, type Consumer } from '@order-system/kafka';
import { eventually, testConfig, testLogger, testTopicPrefix } from '@order-system/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { deadLetterTopics, describe as describeDeadLetter, readAll, redrive } from '../src/dlt.js';
import { events } from '@order-system/proto';

const log = testLogger();
const prefix = testTopicPrefix();
// The tool runs as the operator's `dlt` principal; the test's setup (playing the services) as the admin.
const kafka = new KafkaClient({ ...testConfig().kafka('dlt'), clientId: 'dlt-tool', log });
const admin = new KafkaClient({ ...testConfig().kafka('admin'), clientId: 'test', log });
const topics = topicNames(prefix);
const consumers: Consumer[] = [];
afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  await admin.deleteTopicsWithPrefix(prefix);
});

describe('dlt tool', () => {
  it('lists dead letters with their error, and redrives each once to its original topic', async () => {
    await admin.provision(topics);
    // A consumer that rejects everything at first: it dead-letters three messages.
    let accept = false;
    const seen: string[] = [];
    const consumer = admin.consumer({
      groupId: `svc-${randomUUID()}`,
      topic: topics.orderEvents,
      maxAttempts: 1,
      handle: async (m) => {
        if (!accept) throw new Error(`cannot handle ${m.key}`);
        seen.push(m.key ?? '');
      },
    });
    consumers.push(consumer);
    await consumer.start();
    const producer = await admin.producer();
    await producer.send(topics.orderEvents, ['a', 'b', 'c'].map((key) => ({ key, value: Buffer.from([0xde, 0xad]) })));
    await producer.close();

    const dlt = deadLetterTopic(topics.orderEvents);
    const target = deadLetterTopics(prefix).find((t) => t.dlt === dlt)!;
    const dead = await eventually(async () => {
      const all = await readAll(kafka, dlt);
      return all.length === 3 ? all : undefined;
    }, { what: 'three dead letters' });
    expect(dead.map((m) => m.key).sort()).toEqual(['a', 'b', 'c']);
    expect(dead[0]!.headers['dlt-error']).toMatch(/cannot handle/);
    expect(describeDeadLetter(dead[0]!, target)).toMatchObject({ key: dead[0]!.key, payload: { undecodable: true, hex: 'dead' } });

    accept = true;
    expect(await redrive(kafka, target)).toBe(3);
    expect(await redrive(kafka, target)).toBe(0); // nothing new
    await eventually(() => seen.length === 3, { what: 'redriven messages' });
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('dlt tool, against a hostile dead letter', () => {
  it('redrives to the topic its dead-letter topic belongs to, whatever its headers name, and shows it with secrets redacted', async () => {
    await admin.provision(topics);
    const target = deadLetterTopics(prefix).find((t) => t.topic === topics.orderEvents)!;
    const placed = events.v1.OrderEvent.encode({
      eventId: randomUUID(),
      orderId: 'ORD-H',
      occurredAt: new Date(),
      orderPlaced: { customer: { userId: 'u', email: 'u@example.com' }, lines: [], total: undefined, paymentToken: 'tok_secret_value', createdAt: new Date() },
    }).finish();
    const producer = await admin.producer();
    await producer.send(target.dlt, [{ key: 'ORD-H', value: placed, headers: { 'dlt-original-topic': topics.paymentEvents, authorization: 'Bearer stolen' } }]);
    await producer.close();

    const [dead] = await eventually(async () => {
      const all = (await readAll(kafka, target.dlt)).filter((m) => m.key === 'ORD-H');
      return all.length === 1 ? all : undefined;
    }, { what: 'the hostile dead letter' });
    const shown = JSON.stringify(describeDeadLetter(dead!, target));
    expect(shown).toContain('ORD-H');
    expect(shown).not.toContain('tok_secret_value');
    expect(shown).not.toContain('u@example.com');
    expect(shown).not.toContain('stolen');

    const landed: string[] = [];
    for (const topic of [topics.orderEvents, topics.paymentEvents]) {
      const reader = admin.consumer({ groupId: `read-${randomUUID()}`, topic, handle: async (m) => void (m.key === 'ORD-H' && landed.push(topic)) });
      consumers.push(reader);
      await reader.start();
    }
    expect(await redrive(kafka, target)).toBeGreaterThanOrEqual(1);
    await eventually(() => landed.length > 0, { what: 'the redriven message' });
    await new Promise((r) => setTimeout(r, 500));
    expect(landed).toEqual([topics.orderEvents]);
  });
});
