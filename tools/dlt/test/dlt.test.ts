import { randomUUID } from 'node:crypto';
import { deadLetterTopic, KafkaClient, topicNames, topicSpecs, type Consumer } from '@order-system/kafka';
import { eventually, testConfig, testLogger, testTopicPrefix } from '@order-system/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { describePayload, readAll, redrive } from '../src/dlt.js';

const log = testLogger();
const prefix = testTopicPrefix();
const kafka = new KafkaClient({ brokers: testConfig().kafkaBrokers, clientId: 'test', log });
const topics = topicNames(prefix);
const consumers: Consumer[] = [];
afterAll(async () => {
  await Promise.all(consumers.map((c) => c.stop()));
  await kafka.deleteTopicsWithPrefix(prefix);
});

describe('dlt tool', () => {
  it('lists dead letters with their error, and redrives each once to its original topic', async () => {
    await kafka.ensureTopics(topicSpecs(topics));
    // A consumer that rejects everything at first: it dead-letters three messages.
    let accept = false;
    const seen: string[] = [];
    const consumer = kafka.consumer({
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
    const producer = await kafka.producer();
    await producer.send(topics.orderEvents, ['a', 'b', 'c'].map((key) => ({ key, value: Buffer.from([0xde, 0xad]) })));
    await producer.close();

    const dlt = deadLetterTopic(topics.orderEvents);
    const dead = await eventually(async () => {
      const all = await readAll(kafka, dlt);
      return all.length === 3 ? all : undefined;
    }, { what: 'three dead letters' });
    expect(dead.map((m) => m.key).sort()).toEqual(['a', 'b', 'c']);
    expect(dead[0]!.headers['dlt-error']).toMatch(/cannot handle/);
    expect(describePayload(dead[0]!)).toEqual({ undecodable: true, hex: 'dead' });

    accept = true;
    expect(await redrive(kafka, dlt)).toBe(3);
    expect(await redrive(kafka, dlt)).toBe(0); // nothing new
    await eventually(() => seen.length === 3, { what: 'redriven messages' });
    expect(seen.sort()).toEqual(['a', 'b', 'c']);
  });
});
