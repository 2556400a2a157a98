import { randomUUID } from 'node:crypto';
import { deadLetterTopic, topicNames, type IncomingMessage, type KafkaClient } from '@order-system/kafka';
import { events } from '@order-system/proto';

/** The dead-letter topics and the topics they hold messages of. */
export function deadLetterTopics(prefix: string) {
  return Object.values(topicNames(prefix)).map((topic) => ({ topic, dlt: deadLetterTopic(topic) }));
}

/** Every message on a dead-letter topic, read with a one-off group. */
export async function readAll(kafka: KafkaClient, dlt: string): Promise<IncomingMessage[]> {
  const out: IncomingMessage[] = [];
  await kafka.drain(dlt, `dlt-read-${randomUUID()}`, async (m) => void out.push(m), { temporary: true });
  return out.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

/** The payload as JSON when it decodes as the event of its original topic, else as hex. */
export function describePayload(m: IncomingMessage): unknown {
  const original = m.headers['dlt-original-topic'] ?? '';
  const codec = original.endsWith('payment-events') ? events.v1.PaymentEvent : events.v1.OrderEvent;
  try {
    return codec.toJSON(codec.decode(m.value ?? Buffer.alloc(0)) as never);
  } catch {
    return { undecodable: true, hex: (m.value ?? Buffer.alloc(0)).toString('hex').slice(0, 2000) };
  }
}

/**
 * Publishes the dead letters not redriven before back to their original
 * topic, unchanged but for dlt-* headers; the group `dlt-redrive` remembers
 * how far it got, so a second redrive sends only new ones. Consumers are
 * idempotent, so a message redriven twice takes effect once.
 */
export async function redrive(kafka: KafkaClient, dlt: string, onEach: (m: IncomingMessage) => void = () => {}) {
  const producer = await kafka.producer();
  try {
    return await kafka.drain(dlt, `dlt-redrive`, async (m) => {
      const original = m.headers['dlt-original-topic'];
      if (!original) throw new Error(`message ${m.partition}:${m.offset} has no dlt-original-topic header`);
      const headers = Object.fromEntries(Object.entries(m.headers).filter(([k]) => !k.startsWith('dlt-')));
      await producer.send(original, [
        { key: m.key ?? '', value: m.value ?? Buffer.alloc(0), headers: { ...headers, 'dlt-redriven-from': `${dlt}/${m.partition}/${m.offset}` } },
      ]);
      onEach(m);
    });
  } finally {
    await producer.close();
  }
}
